import { useId, useState, type FormEvent } from 'react';
import type { BudgetLimitsView } from '../../../../src-main/core/api/contract';
import { useProcMutation } from '../../api/hooks';
import { FormError } from '../../components/ui';

type Field = 'dailySats' | 'sessionSats' | 'tickSats' | 'warnPct';
type Values = Record<Field, string>;
type Errors = Partial<Record<Field, string>>;

const FIELDS: { key: Field; label: string; hint: string }[] = [
  { key: 'dailySats', label: 'Daily limit (sats)', hint: 'whole number, 0 or more' },
  { key: 'sessionSats', label: 'Session limit (sats)', hint: 'whole number, 0 or more' },
  { key: 'tickSats', label: 'Per-tick limit (sats)', hint: 'whole number, 0 or more' },
  { key: 'warnPct', label: 'Warn at (%)', hint: 'whole number from 1 to 100' },
];

/** Same bounds as the contract's budget patch, checked here so the operator sees them per field. */
export function validateLimits(v: Values): { errors: Errors; patch: Pick<BudgetLimitsView, Field> | null } {
  const errors: Errors = {};
  const whole = (s: string): number | null => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) return null;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : null;
  };
  const out: Partial<Record<Field, number>> = {};
  for (const f of ['dailySats', 'sessionSats', 'tickSats'] as const) {
    const n = whole(v[f]);
    if (n === null) errors[f] = 'Enter a whole number of sats, 0 or more.';
    else out[f] = n;
  }
  const warn = whole(v.warnPct);
  if (warn === null || warn < 1 || warn > 100) errors.warnPct = 'Enter a whole number from 1 to 100.';
  else out.warnPct = warn;
  if (Object.keys(errors).length > 0) return { errors, patch: null };
  return { errors, patch: { dailySats: out.dailySats ?? 0, sessionSats: out.sessionSats ?? 0, tickSats: out.tickSats ?? 0, warnPct: out.warnPct ?? 80 } };
}

export function LimitsForm({ agent, onDone }: { agent: { id: string; name: string; budget: BudgetLimitsView }; onDone: () => void }) {
  const configure = useProcMutation('agents.configure', ['budgets.overview', 'agents.status', 'agents.list']);
  const [values, setValues] = useState<Values>({
    dailySats: String(agent.budget.dailySats),
    sessionSats: String(agent.budget.sessionSats),
    tickSats: String(agent.budget.tickSats),
    warnPct: String(agent.budget.warnPct),
  });
  const [errors, setErrors] = useState<Errors>({});
  const idBase = useId();

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const { errors: found, patch } = validateLimits(values);
    setErrors(found);
    if (!patch) return;
    configure.mutate({ agent: agent.id, budget: patch }, { onSuccess: onDone });
  };

  return (
    <form className="budgets-edit-form" onSubmit={submit} noValidate aria-label={`Budget limits for ${agent.name}`}>
      {FIELDS.map(({ key, label, hint }, index) => {
        const id = `${idBase}-${key}`;
        const err = errors[key];
        return (
          <label key={key} htmlFor={id}>
            {label}
            <input
              id={id}
              name={key}
              inputMode="numeric"
              autoComplete="off"
              value={values[key]}
              onChange={(e) => setValues({ ...values, [key]: e.target.value })}
              aria-invalid={err ? true : undefined}
              aria-describedby={`${id}-hint`}
              data-testid={`budget-${key}`}
              autoFocus={index === 0}
            />
            <span id={`${id}-hint`} className={err ? 'field-error' : 'muted small'}>{err ?? hint}</span>
          </label>
        );
      })}
      <div className="budgets-edit-actions">
        <button type="submit" className="primary" disabled={configure.isPending} data-testid="budget-save">
          {configure.isPending ? 'Saving…' : 'Save limits'}
        </button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
      {configure.error ? <div className="budgets-edit-actions"><FormError error={configure.error} /></div> : null}
    </form>
  );
}
