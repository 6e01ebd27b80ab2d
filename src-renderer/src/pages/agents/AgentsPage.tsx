import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { AutonomyLevel } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Empty, ErrorState, Loading, Page, Sats, Time, lifecycleTone } from '../../components/ui';

export function AgentsPage() {
  const agents = useProc('agents.list', {});
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <Page title="Agents" actions={<button type="button" className="primary" onClick={() => dialog.current?.showModal()} data-testid="spawn-open">Spawn agent</button>}>
      <SpawnDialog dialogRef={dialog} />
      {agents.isPending ? <Loading what="agents" /> : agents.isError ? <ErrorState error={agents.error} retry={() => void agents.refetch()} /> : agents.data.length === 0 ? (
        <Empty>No agents yet. Spawn one: it gets its own Nostr identity and wallet.</Empty>
      ) : (
        <table data-testid="agents-table">
          <thead>
            <tr><th>Name</th><th>Lifecycle</th><th>Balance</th><th>Runway</th><th>Autonomy</th><th>Next tick</th><th>Ticks</th></tr>
          </thead>
          <tbody>
            {agents.data.map((a) => (
              <tr key={a.id} data-testid="agent-row">
                <td><Link to={`/agents/${a.id}`}>{a.name}</Link><div className="muted small mono">{a.npub.slice(0, 20)}…</div></td>
                <td><Badge tone={lifecycleTone(a.lifecycle)}>{a.lifecycle.replace('_', ' ')}</Badge></td>
                <td><Sats value={a.balanceSats} /></td>
                <td>{a.runwayDays === null ? <span className="muted">∞</span> : `${a.runwayDays} days`}</td>
                <td>{autonomyLabel(a.autonomy)}</td>
                <td><Time ms={a.nextTickAt} /></td>
                <td>{a.tickCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

export function autonomyLabel(a: AutonomyLevel): string {
  return a === 'supervised' ? 'Supervised' : a === 'semi_autonomous' ? 'SemiAutonomous' : 'FullyAutonomous';
}

function SpawnDialog({ dialogRef }: { dialogRef: React.RefObject<HTMLDialogElement | null> }) {
  const spawn = useProcMutation('agents.spawn', ['agents.list', 'system.status', 'wallet.balance', 'budgets.overview']);
  const [form, setForm] = useState({ name: '', bootstrapSats: '0', autonomy: 'semi_autonomous' as AutonomyLevel, approvalThresholdSats: '1000', dailyLimitSats: '10000', heartbeatSeconds: '900', instructions: '' });
  const [invalid, setInvalid] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const ints = ['bootstrapSats', 'approvalThresholdSats', 'dailyLimitSats', 'heartbeatSeconds'] as const;
    for (const k of ints) {
      if (!/^\d+$/.test(form[k])) {
        setInvalid(`${k.replace(/([A-Z])/g, ' $1').toLowerCase()} must be a whole number`);
        return;
      }
    }
    if (Number(form.heartbeatSeconds) < 10) {
      setInvalid('heartbeat must be at least 10 seconds');
      return;
    }
    setInvalid(null);
    spawn.mutate({
      name: form.name.trim(), bootstrapSats: Number(form.bootstrapSats), autonomy: form.autonomy, approvalThresholdSats: Number(form.approvalThresholdSats),
      dailyLimitSats: Number(form.dailyLimitSats), heartbeatSeconds: Number(form.heartbeatSeconds), instructions: form.instructions,
    }, { onSuccess: () => { dialogRef.current?.close(); setForm({ ...form, name: '' }); spawn.reset(); } });
  };
  return (
    <dialog ref={dialogRef} aria-labelledby="spawn-title">
      <h2 id="spawn-title">Spawn an agent</h2>
      <form onSubmit={submit} className="form">
        <label className="field">Name<input value={form.name} onChange={set('name')} required maxLength={64} data-testid="spawn-name" /></label>
        <label className="field">Bootstrap sats (from your wallet)<input value={form.bootstrapSats} onChange={set('bootstrapSats')} inputMode="numeric" data-testid="spawn-sats" /></label>
        <label className="field">Autonomy
          <select value={form.autonomy} onChange={(e) => setForm({ ...form, autonomy: e.target.value as AutonomyLevel })} data-testid="spawn-autonomy">
            <option value="supervised">Supervised — every spend needs approval</option>
            <option value="semi_autonomous">SemiAutonomous — approval above a threshold</option>
            <option value="fully_autonomous">FullyAutonomous — no approvals</option>
          </select>
        </label>
        <label className="field">Approval threshold (sats)<input value={form.approvalThresholdSats} onChange={set('approvalThresholdSats')} inputMode="numeric" /></label>
        <label className="field">Daily limit (sats)<input value={form.dailyLimitSats} onChange={set('dailyLimitSats')} inputMode="numeric" /></label>
        <label className="field">Heartbeat (seconds)<input value={form.heartbeatSeconds} onChange={set('heartbeatSeconds')} inputMode="numeric" /></label>
        <label className="field">Instructions<textarea value={form.instructions} onChange={set('instructions')} rows={3} maxLength={4000} /></label>
        {invalid ? <p className="error" role="alert">{invalid}</p> : null}
        {spawn.error ? <ErrorState error={spawn.error} /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={spawn.isPending} data-testid="spawn-submit">Spawn</button>
          <button type="button" onClick={() => dialogRef.current?.close()}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
