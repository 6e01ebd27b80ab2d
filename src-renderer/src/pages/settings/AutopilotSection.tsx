import { useState, type FormEvent } from 'react';
import { useProc, useProcMutation } from '../../api/hooks';
import { Card, ErrorState } from '../../components/ui';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The overnight autopilot window: inside it the desktop app keeps the machine awake. */
export function AutopilotSection() {
  const settings = useProc('settings.get', {});
  const save = useProcMutation('settings.set', ['settings.get']);
  const current = settings.data?.autopilotWindow ?? null;
  const [start, setStart] = useState<string | null>(null);
  const [end, setEnd] = useState<string | null>(null);
  const s = start ?? current?.start ?? '22:00';
  const e = end ?? current?.end ?? '06:00';
  const invalid = !HHMM.test(s) || !HHMM.test(e);
  const submit = (ev: FormEvent): void => {
    ev.preventDefault();
    if (!invalid) save.mutate({ autopilotWindow: { start: s, end: e } });
  };
  return (
    <Card title="Overnight autopilot">
      <p className="muted small">{current ? `On: ${current.start}–${current.end} (local time); the desktop app keeps the machine awake then.` : 'Off: the machine may sleep as usual.'}</p>
      <form className="row" onSubmit={submit}>
        <label>From <input value={s} onChange={(x) => setStart(x.target.value)} size={5} aria-invalid={!HHMM.test(s)} data-testid="autopilot-start" /></label>
        <label>to <input value={e} onChange={(x) => setEnd(x.target.value)} size={5} aria-invalid={!HHMM.test(e)} data-testid="autopilot-end" /></label>
        <button type="submit" className="primary" disabled={invalid || save.isPending}>Save window</button>
        {current ? <button type="button" onClick={() => save.mutate({ autopilotWindow: null })}>Turn off</button> : null}
      </form>
      {invalid ? <p className="error" role="alert">Times are HH:MM, 00:00–23:59.</p> : null}
      {save.error ? <ErrorState error={save.error} /> : null}
    </Card>
  );
}
