import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ApprovalView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, Loading, Page, Sats, Time } from '../../components/ui';
import { useUi } from '../../state/ui';

const AFTER_DECISION = ['approvals.list', 'system.status', 'wallet.balance', 'wallet.history', 'agents.list', 'agents.status', 'activity.list', 'budgets.overview'] as const;

/** A clock that re-renders the queue once a second for the expiry countdowns. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

function countdown(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min left` : m > 0 ? `${m} min ${s % 60} s left` : `${s} s left`;
}

export function ApprovalsPage() {
  const pending = useProc('approvals.list', { status: 'pending' });
  const history = useProc('approvals.list', { status: 'all' });
  const budgets = useProc('budgets.overview', { days: 1 });
  const approve = useProcMutation('approvals.approve', [...AFTER_DECISION]);
  const reject = useProcMutation('approvals.reject', [...AFTER_DECISION]);
  const selected = useUi((s) => s.selectedApprovals);
  const toggle = useUi((s) => s.toggleApproval);
  const setSelected = useUi((s) => s.setSelectedApprovals);
  const [focus, setFocus] = useState(0);
  const [editing, setEditing] = useState<{ id: string; amount: string } | null>(null);
  const [rejecting, setRejecting] = useState<{ id: string; reason: string } | null>(null);
  const [bulkError, setBulkError] = useState<string | null>(null);
  const now = useNow();
  const items = pending.data ?? [];
  const left = useMemo(() => new Map((budgets.data?.agents ?? []).map((a) => [a.id, a.budget.dailySats - a.usage.dailySats])), [budgets.data]);

  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: items.length, getScrollElement: () => parent.current, estimateSize: () => 96, overscan: 8 });

  // Keyboard: j/k move, a approve, r reject (asks for a reason), e edit the amount, x select.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      const current = items[focus];
      if (e.key === 'j') setFocus((f) => Math.min(items.length - 1, f + 1));
      else if (e.key === 'k') setFocus((f) => Math.max(0, f - 1));
      else if (!current) return;
      else if (e.key === 'a') approve.mutate({ id: current.id });
      else if (e.key === 'r') setRejecting({ id: current.id, reason: '' });
      else if (e.key === 'e') setEditing({ id: current.id, amount: String(current.amountSats) });
      else if (e.key === 'x') toggle(current.id);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [items, focus, approve, toggle]);

  useEffect(() => {
    if (items.length) virtual.scrollToIndex(Math.min(focus, items.length - 1));
  }, [focus, items.length, virtual]);

  const bulk = async (decision: 'approve' | 'reject'): Promise<void> => {
    setBulkError(null);
    const failures: string[] = [];
    for (const id of selected) {
      try {
        if (decision === 'approve') await approve.mutateAsync({ id });
        else await reject.mutateAsync({ id, reason: 'rejected in bulk' });
      } catch (err) {
        failures.push(`${id}: ${(err as Error).message}`);
      }
    }
    setSelected([]);
    if (failures.length) setBulkError(failures.join('; '));
  };

  return (
    <Page title="Approvals" actions={selected.length ? (
      <div className="row">
        <span className="muted">{selected.length} selected</span>
        <button type="button" className="primary" onClick={() => void bulk('approve')}>Approve selected</button>
        <button type="button" className="danger" onClick={() => void bulk('reject')}>Reject selected</button>
      </div>
    ) : null}>
      <p className="muted small">Keys: <span className="kbd">j</span>/<span className="kbd">k</span> move · <span className="kbd">a</span> approve · <span className="kbd">r</span> reject · <span className="kbd">e</span> edit amount · <span className="kbd">x</span> select</p>
      {bulkError ? <p className="error" role="alert">{bulkError}</p> : null}
      {approve.error ? <ErrorState error={approve.error} /> : null}
      {reject.error ? <ErrorState error={reject.error} /> : null}
      {pending.isPending ? <Loading what="the approval queue" /> : pending.isError ? <ErrorState error={pending.error} retry={() => void pending.refetch()} /> : items.length === 0 ? (
        <Empty>Nothing waits for your decision.</Empty>
      ) : (
        <div ref={parent} style={{ maxHeight: '60vh', overflow: 'auto' }} data-testid="approval-queue">
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {virtual.getVirtualItems().map((row) => {
              const a = items[row.index]!;
              const budgetLeft = left.get(a.agentId);
              return (
                <div key={a.id} data-index={row.index} ref={virtual.measureElement} style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${row.start}px)` }}>
                  <div className={`queue-item${row.index === focus ? ' focused' : ''}`} data-testid="approval-item" onClick={() => setFocus(row.index)}>
                    <input type="checkbox" aria-label={`select ${a.id}`} checked={selected.includes(a.id)} onChange={() => toggle(a.id)} />
                    <div>
                      <div><strong>{a.agentName}</strong> wants to <strong>{a.action.replace('_', ' ')}</strong>: <Sats value={a.amountSats} /></div>
                      <div>{a.description}</div>
                      <div className="muted small">
                        {budgetLeft !== undefined ? <>budget left today after it: <Sats value={budgetLeft - a.amountSats} /> · </> : null}
                        <span data-testid="expiry">{countdown(a.expiresAt - now)}</span> · requested <Time ms={a.createdAt} />
                      </div>
                      {editing?.id === a.id ? (
                        <form className="row" onSubmit={(e) => { e.preventDefault(); if (/^\d+$/.test(editing.amount)) approve.mutate({ id: a.id, amountSats: Number(editing.amount) }, { onSuccess: () => setEditing(null) }); }}>
                          <label>Approve amount <input value={editing.amount} onChange={(e) => setEditing({ id: a.id, amount: e.target.value })} inputMode="numeric" autoFocus size={10} /></label>
                          <button type="submit" className="primary" disabled={!/^\d+$/.test(editing.amount)}>Approve edited</button>
                          <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                        </form>
                      ) : null}
                      {rejecting?.id === a.id ? (
                        <form className="row" onSubmit={(e) => { e.preventDefault(); reject.mutate({ id: a.id, ...(rejecting.reason ? { reason: rejecting.reason } : {}) }, { onSuccess: () => setRejecting(null) }); }}>
                          <label>Reason <input value={rejecting.reason} onChange={(e) => setRejecting({ id: a.id, reason: e.target.value })} autoFocus data-testid="reject-reason" /></label>
                          <button type="submit" className="danger" data-testid="reject-confirm">Reject</button>
                          <button type="button" onClick={() => setRejecting(null)}>Cancel</button>
                        </form>
                      ) : null}
                    </div>
                    <div className="row">
                      <button type="button" className="primary" onClick={() => approve.mutate({ id: a.id })} data-testid="approve">Approve</button>
                      <button type="button" onClick={() => setEditing({ id: a.id, amount: String(a.amountSats) })}>Edit</button>
                      <button type="button" className="danger" onClick={() => setRejecting({ id: a.id, reason: '' })} data-testid="reject">Reject</button>
                    </div>
                  </div>
                </div>
              );
            })}
          </div>
        </div>
      )}
      <Card title="Decisions">
        {history.isPending ? <Loading what="decisions" /> : history.isError ? <ErrorState error={history.error} /> : (
          <DecisionTable rows={history.data.filter((a) => a.status !== 'pending').slice(-200).reverse()} />
        )}
      </Card>
    </Page>
  );
}

function DecisionTable({ rows }: { rows: ApprovalView[] }) {
  if (rows.length === 0) return <p className="muted">No decisions yet.</p>;
  return (
    <table data-testid="decisions">
      <thead><tr><th>Agent</th><th>Action</th><th>Amount</th><th>Decision</th><th>Executed</th><th>When</th><th>Reason</th></tr></thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.id}>
            <td>{a.agentName}</td>
            <td>{a.action.replace('_', ' ')}</td>
            <td><Sats value={a.editedAmountSats ?? a.amountSats} /></td>
            <td><Badge tone={a.status === 'approved' ? 'ok' : a.status === 'rejected' ? 'bad' : 'muted'}>{a.status}</Badge></td>
            <td>{a.execution}</td>
            <td><Time ms={a.decidedAt} /></td>
            <td>{a.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
