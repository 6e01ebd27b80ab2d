import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import type { TickView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, Loading, Page, Sats, Time, lifecycleTone } from '../../components/ui';
import { autonomyLabel } from './AgentsPage';

const AFTER_ACTION = ['agents.list', 'agents.status', 'agents.ticks', 'wallet.balance', 'budgets.overview'] as const;

export function AgentDetailPage() {
  const { id = '' } = useParams();
  const status = useProc('agents.status', { agent: id });
  const ticks = useProc('agents.ticks', { agent: id, limit: 50 });
  if (status.isPending) return <Loading what="the agent" />;
  if (status.isError) return <ErrorState error={status.error} retry={() => void status.refetch()} />;
  const a = status.data;
  return (
    <Page title={a.name} actions={<AgentActions agentId={a.id} lifecycle={a.lifecycle} />}>
      <p className="muted"><Link to="/agents">← Agents</Link> · <span className="mono">{a.npub}</span></p>
      <div className="grid">
        <Card title="State">
          <p><Badge tone={lifecycleTone(a.lifecycle)}>{a.lifecycle.replace('_', ' ')}</Badge> <span className="muted small">{a.lifecycleReason}</span></p>
          <p>Balance <strong data-testid="agent-balance"><Sats value={a.balanceSats} /></strong> · burn {a.dailyBurnSats}/day · runway {a.runwayDays === null ? '∞' : `${a.runwayDays} days`}</p>
          <p>{autonomyLabel(a.autonomy)}{a.autonomy === 'semi_autonomous' ? ` · approval above ${a.approvalThresholdSats} sats` : ''}</p>
          <p>Heartbeat every {a.heartbeatSeconds} s · next <Time ms={a.nextTickAt} /></p>
          <RouteSelect agentId={a.id} current={a.backend} />
        </Card>
        <Card title="Budget">
          <p><Badge tone={a.budgetStatus.kind === 'ok' ? 'ok' : a.budgetStatus.kind === 'warning' ? 'warn' : 'bad'}>{a.budgetStatus.kind.replace('_', ' ')}</Badge></p>
          <p>Today <Sats value={a.usage.dailySats} /> of <Sats value={a.budget.dailySats} /></p>
          <p>Session <Sats value={a.usage.sessionSats} /> of <Sats value={a.budget.sessionSats} /></p>
          <p className="muted small">model calls {a.usage.modelCallsToday}/{a.budget.modelCallsPerDay} · compute {a.usage.computeSecondsToday}/{a.budget.dailyComputeSeconds} s · storage {a.usage.storageBytes}/{a.budget.storageBytes} B</p>
        </Card>
        <Card title="Goals">
          {a.goals.length === 0 ? <p className="muted">No goals.</p> : <ul>{a.goals.map((g) => <li key={g.id}>{g.status === 'done' ? '✓ ' : ''}{g.description} <span className="muted small">p{g.priority}</span></li>)}</ul>}
        </Card>
        <Card title="Memory">
          {a.memories.length === 0 ? <p className="muted">Nothing remembered yet.</p> : <ul>{a.memories.slice(0, 10).map((m) => <li key={m.id}>{m.content}</li>)}</ul>}
        </Card>
      </div>
      <TickNow agentId={a.id} />
      <Card title="Ticks">
        {ticks.isPending ? <Loading what="ticks" /> : ticks.isError ? <ErrorState error={ticks.error} /> : ticks.data.length === 0 ? <Empty>No ticks yet.</Empty> : (
          <ol className="timeline" data-testid="tick-timeline">{ticks.data.map((t) => <TickRow key={t.id} tick={t} />)}</ol>
        )}
      </Card>
    </Page>
  );
}

function AgentActions({ agentId, lifecycle }: { agentId: string; lifecycle: string }) {
  const start = useProcMutation('agents.start', [...AFTER_ACTION]);
  const stop = useProcMutation('agents.stop', [...AFTER_ACTION]);
  const kill = useProcMutation('agents.kill', [...AFTER_ACTION]);
  const fund = useProcMutation('agents.fund', [...AFTER_ACTION]);
  const [amount, setAmount] = useState('1000');
  const [confirmKill, setConfirmKill] = useState(false);
  const error = start.error ?? stop.error ?? kill.error ?? fund.error;
  if (lifecycle === 'terminated') return <Badge tone="bad">killed</Badge>;
  return (
    <div className="row">
      {lifecycle === 'dormant' || lifecycle === 'failed' || lifecycle === 'dead' ? (
        <button type="button" onClick={() => start.mutate({ agent: agentId })}>Start</button>
      ) : (
        <button type="button" onClick={() => stop.mutate({ agent: agentId })}>Stop</button>
      )}
      <input aria-label="Sats to fund" value={amount} onChange={(e) => setAmount(e.target.value)} size={8} inputMode="numeric" />
      <button type="button" disabled={!/^\d+$/.test(amount) || Number(amount) < 1} onClick={() => fund.mutate({ agent: agentId, amountSats: Number(amount) })}>Fund</button>
      {confirmKill ? (
        <>
          <button type="button" className="danger" onClick={() => kill.mutate({ agent: agentId })}>Really kill</button>
          <button type="button" onClick={() => setConfirmKill(false)}>Keep</button>
        </>
      ) : <button type="button" className="danger" onClick={() => setConfirmKill(true)}>Kill…</button>}
      {error ? <ErrorState error={error} /> : null}
    </div>
  );
}

/** Which backend the agent thinks through (the default unless routed). */
function RouteSelect({ agentId, current }: { agentId: string; current: string | null }) {
  const backends = useProc('backends.list', {});
  const route = useProcMutation('agents.route', ['agents.status', 'agents.list']);
  return (
    <label className="row">Thinks through
      <select value={current ?? ''} disabled={route.isPending || backends.isPending} onChange={(e) => route.mutate({ agent: agentId, backend: e.target.value === '' ? null : e.target.value })} data-testid="agent-route">
        <option value="">the default backend</option>
        {(backends.data ?? []).map((b) => <option key={b.name} value={b.name}>{b.name} ({b.model}){b.enabled ? '' : ' — disabled'}</option>)}
      </select>
      {route.error ? <ErrorState error={route.error} /> : null}
    </label>
  );
}

function TickNow({ agentId }: { agentId: string }) {
  const tick = useProcMutation('agents.tick', [...AFTER_ACTION]);
  const [message, setMessage] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    tick.mutate(message.trim() ? { agent: agentId, message: message.trim() } : { agent: agentId }, { onSuccess: () => setMessage('') });
  };
  return (
    <Card title="Tick now">
      <form onSubmit={submit} className="row">
        <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder="Message for the agent (optional)" style={{ flex: 1 }} data-testid="tick-message" />
        <button type="submit" className="primary" disabled={tick.isPending} data-testid="tick-submit">{tick.isPending ? 'Ticking…' : 'Tick now'}</button>
      </form>
      {tick.data ? <p className="muted small" role="status">Tick {tick.data.seq}: {tick.data.status} — {tick.data.summary}</p> : null}
      {tick.error ? <ErrorState error={tick.error} /> : null}
    </Card>
  );
}

function TickRow({ tick }: { tick: TickView }) {
  const [open, setOpen] = useState(false);
  const tone = tick.status === 'success' ? 'ok' : tick.status === 'running' ? 'info' : tick.status === 'skipped' ? 'muted' : 'bad';
  return (
    <li>
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open} className="row" style={{ border: 'none', background: 'none', padding: 0 }}>
        <Badge tone={tone}>{tick.status}</Badge> <strong>#{tick.seq}</strong> {tick.triggerKind} · <Time ms={tick.startedAt} /> · {tick.durationMs ?? '—'} ms · {tick.actions} actions · {tick.costSats} sats
      </button>
      <div className="small">{tick.summary}{tick.error ? <span className="error"> — {tick.error}</span> : null}{tick.recovery ? <span className="muted"> — {tick.recovery}</span> : null}</div>
      {open ? <><Trajectory tickId={tick.id} /><TickReceipts agentId={tick.agentId} tickId={tick.id} /></> : null}
    </li>
  );
}

function Trajectory({ tickId }: { tickId: string }) {
  const t = useProc('ticks.trajectory', { tickId });
  if (t.isPending) return <Loading what="steps" />;
  if (t.isError) return <ErrorState error={t.error} />;
  return (
    <ol className="steps-list" data-testid="trajectory">
      {t.data.steps.map((s, i) => (
        <li key={i}><span className="kbd">{s.step}</span> <strong>{s.type}</strong> {s.tokensIn !== null ? <span className="muted">({s.tokensIn}→{s.tokensOut} tokens)</span> : null} <span className="mono">{summarize(s.content)}</span></li>
      ))}
    </ol>
  );
}

/** The signed receipts of one tick (its result, model spends) with their verification. */
function TickReceipts({ agentId, tickId }: { agentId: string; tickId: string }) {
  const items = useProc('activity.list', { agent: agentId, limit: 500 });
  if (items.isPending) return <Loading what="receipts" />;
  if (items.isError) return <ErrorState error={items.error} />;
  const mine = items.data.filter((i) => i.tickId === tickId);
  if (mine.length === 0) return null;
  return (
    <ul className="steps-list" data-testid="tick-receipts">
      {mine.map((r) => <li key={r.id}>{r.verified ? '✓' : '✗'} <strong>{r.kind.replace('_', ' ')}</strong> {r.summary} <span className="muted mono">{r.id}</span>{r.problem ? <span className="error"> — {r.problem}</span> : null}</li>)}
    </ul>
  );
}

function summarize(content: unknown): string {
  const text = JSON.stringify(content);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
