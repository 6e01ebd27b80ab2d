import { useState, type FormEvent } from 'react';
import type { BackendView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Sats } from '../../components/ui';
import { BACKEND_NAME, isHttpUrl, parseWhole } from './validate';

export function BackendsSection() {
  const backends = useProc('backends.list', {});
  return (
    <Card title="Model backends">
      <p className="muted small">Any OpenAI-compatible server: Ollama, LM Studio, vLLM, OpenAI… Costs are what the core charges an agent's budget per 1,000 tokens.</p>
      {backends.isPending ? <Loading what="the backends" /> : null}
      {backends.isError ? <ErrorState error={backends.error} retry={() => void backends.refetch()} /> : null}
      {backends.data && backends.data.length === 0 ? <Empty>No backends yet: add one below so agents have somewhere to think.</Empty> : null}
      {backends.data && backends.data.length > 0 ? (
        <div className="settings-table-wrap">
          <table data-testid="backends-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL and model</th>
                <th scope="col">API key</th>
                <th scope="col">Cost in / out per 1k</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {backends.data.map((b) => <BackendRow key={b.name} backend={b} />)}
            </tbody>
          </table>
        </div>
      ) : null}
      <AddBackendForm />
    </Card>
  );
}

function BackendRow({ backend: b }: { backend: BackendView }) {
  const test = useProcMutation('backends.test');
  const setEnabled = useProcMutation('backends.setEnabled', ['backends.list']);
  const remove = useProcMutation('backends.remove', ['backends.list', 'agents.list', 'agents.status']);
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-testid="backend-row">
      <td>
        <strong>{b.name}</strong>
        {b.isDefault ? <> <Badge tone="info">default</Badge></> : null}
        <div className="muted small">{b.kind}</div>
      </td>
      <td>
        <div className="mono">{b.url}</div>
        <div className="small">{b.model}</div>
      </td>
      <td>{b.hasApiKey ? <Badge tone="ok">stored</Badge> : <span className="muted">none</span>}</td>
      <td><Sats value={b.costInSatsPer1k} /> / <Sats value={b.costOutSatsPer1k} /></td>
      <td><Badge tone={b.enabled ? 'ok' : 'muted'}>{b.enabled ? 'enabled' : 'disabled'}</Badge></td>
      <td>
        <div className="actions">
          <button type="button" onClick={() => test.mutate({ name: b.name })} disabled={test.isPending} data-testid="backend-test">
            {test.isPending ? 'Testing…' : 'Test connection'}
          </button>
          <button type="button" onClick={() => setEnabled.mutate({ name: b.name, enabled: !b.enabled })} disabled={setEnabled.isPending} data-testid="backend-toggle">
            {b.enabled ? 'Disable' : 'Enable'}
          </button>
          {confirming ? (
            <span className="confirm" role="group" aria-label={`Confirm removing ${b.name}`}>
              <span className="small">Remove {b.name}?</span>
              <button type="button" className="danger" onClick={() => remove.mutate({ name: b.name })} disabled={remove.isPending} data-testid="backend-remove-confirm">
                {remove.isPending ? 'Removing…' : 'Yes, remove'}
              </button>
              <button type="button" onClick={() => { setConfirming(false); remove.reset(); }}>Cancel</button>
            </span>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="backend-remove">Remove</button>
          )}
        </div>
        <div className="settings-test-result" aria-live="polite">
          {test.data && !test.isPending ? (
            <span className="ok" data-testid="backend-test-result">✓ {test.data.model} answered in {test.data.latencyMs} ms</span>
          ) : null}
          {test.error && !test.isPending ? <FormError error={test.error} /> : null}
          <FormError error={setEnabled.error} />
          <FormError error={remove.error} />
        </div>
      </td>
    </tr>
  );
}

type Field = 'name' | 'url' | 'model' | 'apiKey' | 'costIn' | 'costOut';
const EMPTY: Record<Field, string> = { name: '', url: '', model: '', apiKey: '', costIn: '0', costOut: '0' };

function AddBackendForm() {
  const add = useProcMutation('backends.add', ['backends.list']);
  const [values, setValues] = useState(EMPTY);
  const [makeDefault, setMakeDefault] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [added, setAdded] = useState<string | null>(null);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const found: Partial<Record<Field, string>> = {};
    const name = values.name.trim();
    if (!name || name.length > 64 || !BACKEND_NAME.test(name)) found.name = 'Up to 64 letters, digits, _ . or -.';
    if (!isHttpUrl(values.url)) found.url = 'Enter an http:// or https:// URL.';
    if (!values.model.trim()) found.model = 'Enter the model name the server knows.';
    const costIn = parseWhole(values.costIn);
    const costOut = parseWhole(values.costOut);
    if (costIn === null) found.costIn = 'Whole sats, 0 or more.';
    if (costOut === null) found.costOut = 'Whole sats, 0 or more.';
    setErrors(found);
    setAdded(null);
    if (Object.keys(found).length > 0 || costIn === null || costOut === null) return;
    add.mutate(
      {
        name,
        url: values.url.trim(),
        model: values.model.trim(),
        costInSatsPer1k: costIn,
        costOutSatsPer1k: costOut,
        ...(values.apiKey ? { apiKey: values.apiKey } : {}),
        ...(makeDefault ? { makeDefault: true } : {}),
      },
      {
        onSuccess: (b) => {
          setAdded(b.name);
          setValues(EMPTY);
          setMakeDefault(false);
        },
      },
    );
  };

  const input = (key: Field, label: string, extra: { type?: string; placeholder?: string; hint?: string } = {}) => {
    const err = errors[key];
    const id = `settings-backend-${key}`;
    return (
      <label className="field" htmlFor={id}>
        {label}
        <input
          id={id}
          data-testid={`backend-${key}`}
          type={extra.type ?? 'text'}
          placeholder={extra.placeholder}
          autoComplete="off"
          spellCheck={false}
          inputMode={key === 'costIn' || key === 'costOut' ? 'numeric' : undefined}
          value={values[key]}
          onChange={(e) => setValues({ ...values, [key]: e.target.value })}
          aria-invalid={err ? true : undefined}
          aria-describedby={err || extra.hint ? `${id}-hint` : undefined}
        />
        {err || extra.hint ? <span id={`${id}-hint`} className={err ? 'field-error' : 'muted small'}>{err ?? extra.hint}</span> : null}
      </label>
    );
  };

  return (
    <form className="settings-add" onSubmit={submit} noValidate aria-labelledby="settings-add-backend-title">
      <h3 id="settings-add-backend-title" className="card-title">Add a backend</h3>
      <div className="settings-add-grid">
        {input('name', 'Name', { placeholder: 'local' })}
        {input('url', 'Base URL', { type: 'url', placeholder: 'http://127.0.0.1:11434/v1' })}
        {input('model', 'Model', { placeholder: 'llama3.2' })}
        {input('apiKey', 'API key (optional)', { type: 'password', hint: 'Stored encrypted; never shown again.' })}
        {input('costIn', 'Cost in (sats per 1k tokens)')}
        {input('costOut', 'Cost out (sats per 1k tokens)')}
      </div>
      <label className="checkbox-field" htmlFor="settings-backend-default" style={{ marginTop: '0.75rem' }}>
        <input id="settings-backend-default" type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
        <span>Make it the default backend</span>
      </label>
      <FormError error={add.error} />
      <div className="row" style={{ marginTop: '0.75rem' }}>
        <button type="submit" className="primary" disabled={add.isPending} data-testid="backend-add">{add.isPending ? 'Adding…' : 'Add backend'}</button>
        <span role="status" aria-live="polite" className="ok small">{added ? `Added ${added}. Test its connection above.` : ''}</span>
      </div>
    </form>
  );
}
