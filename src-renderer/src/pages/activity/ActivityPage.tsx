import { Link } from 'react-router';
import type { ActivityItem } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Page, Sats, Time } from '../../components/ui';
import { VirtualList } from '../../components/VirtualList';
import { useUi } from '../../state/ui';
import './activity.css';

const LIMIT = 5000;

const KINDS: { value: string; label: string }[] = [
  { value: 'payment', label: 'Payments' },
  { value: 'spend', label: 'Model spend' },
  { value: 'approval_decision', label: 'Approval decisions' },
  { value: 'tick_result', label: 'Tick results' },
  { value: 'funding', label: 'Funding' },
];

function kindTone(kind: string): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  if (kind === 'payment' || kind === 'funding') return 'info';
  if (kind === 'spend') return 'warn';
  if (kind === 'approval_decision') return 'ok';
  return 'muted';
}

/** Every audited action from the signed receipt log, with each receipt's verification. */
export function ActivityPage() {
  return (
    <Page title="Activity">
      <Filters />
      <VerifyAll />
      <ActivityList />
    </Page>
  );
}

function Filters() {
  const filter = useUi((s) => s.activityFilter);
  const setFilter = useUi((s) => s.setActivityFilter);
  const agents = useProc('agents.list', {});
  const knownAgent = !filter.agent || (agents.data?.some((a) => a.id === filter.agent) ?? true);
  return (
    <Card>
      <div className="activity-filters" role="group" aria-label="Filter the activity">
        <label htmlFor="activity-filter-agent">
          Agent
          <select
            id="activity-filter-agent"
            data-testid="activity-filter-agent"
            value={filter.agent}
            onChange={(e) => setFilter({ agent: e.target.value })}
            disabled={agents.isPending}
          >
            <option value="">All agents and the operator</option>
            {agents.data?.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
            {!knownAgent ? <option value={filter.agent}>{filter.agent} (no longer listed)</option> : null}
          </select>
        </label>
        <label htmlFor="activity-filter-kind">
          Kind
          <select id="activity-filter-kind" data-testid="activity-filter-kind" value={filter.kind} onChange={(e) => setFilter({ kind: e.target.value })}>
            <option value="">All kinds</option>
            {KINDS.map((k) => <option key={k.value} value={k.value}>{k.label}</option>)}
          </select>
        </label>
        {filter.agent || filter.kind ? (
          <button type="button" onClick={() => setFilter({ agent: '', kind: '' })}>Clear filters</button>
        ) : null}
      </div>
      {agents.isError ? <p className="error small" role="alert">Could not load the agents for the filter: {agents.error.message}</p> : null}
    </Card>
  );
}

/** Checks the whole receipt log, not just the rows loaded here, so tampering anywhere shows. */
function VerifyAll() {
  const verify = useProcMutation('receipts.verify');
  const result = verify.data;
  return (
    <Card title="Receipt verification">
      <button type="button" onClick={() => verify.mutate({})} disabled={verify.isPending} data-testid="verify-receipts">
        {verify.isPending ? 'Verifying…' : 'Verify all receipts'}
      </button>
      <div aria-live="polite">
        {result && !verify.isPending ? (
          <div className="activity-verify-result" data-testid="verify-result">
            <span className={result.invalid.length === 0 ? 'activity-verified' : 'activity-unverified'}>
              {result.invalid.length === 0 ? '✓ ' : '✗ '}
              {result.valid.toLocaleString('en-US')} of {result.total.toLocaleString('en-US')} receipts verify
            </span>
            {result.invalid.length > 0 ? (
              <ul aria-label="Receipts that do not verify">
                {result.invalid.map((r) => <li key={r.id}><code className="mono">{r.id}</code>: {r.reason}</li>)}
              </ul>
            ) : null}
          </div>
        ) : null}
        <FormError error={verify.error} />
      </div>
    </Card>
  );
}

function ActivityList() {
  const filter = useUi((s) => s.activityFilter);
  const list = useProc('activity.list', {
    limit: LIMIT,
    ...(filter.agent ? { agent: filter.agent } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
  });
  if (list.isPending) return <Loading what="the activity" />;
  if (list.isError) return <ErrorState error={list.error} retry={() => void list.refetch()} />;
  const items = list.data;
  if (items.length === 0) {
    return <Empty>{filter.agent || filter.kind ? 'No actions match these filters.' : 'No audited actions yet: payments, model spend, approvals and ticks show up here as they happen.'}</Empty>;
  }
  const unverified = items.reduce((n, i) => n + (i.verified ? 0 : 1), 0);
  return (
    <>
      <div className="activity-meta" role="status">
        <span>{items.length.toLocaleString('en-US')} {items.length === 1 ? 'action' : 'actions'}{items.length >= LIMIT ? ` (the newest ${LIMIT.toLocaleString('en-US')})` : ''}</span>
        {unverified === 0
          ? <span className="activity-verified">✓ all verified</span>
          : <span className="activity-unverified">✗ {unverified.toLocaleString('en-US')} do not verify</span>}
      </div>
      <ActivityTable items={items} />
    </>
  );
}

/** Thousands of receipts: only the rows in view are in the DOM. */
function ActivityTable({ items }: { items: ActivityItem[] }) {
  return (
    <VirtualList
      items={items}
      getKey={(item) => item.id}
      estimateSize={52}
      overscan={12}
      rowClassName="activity-row"
      rowExtraClassName={(item) => (item.verified ? '' : 'activity-invalid')}
      scrollerClassName="activity-scroller"
      head={(
        <>
          <span>Receipt</span>
          <span>Kind</span>
          <span className="activity-col-agent">Agent</span>
          <span>Summary</span>
          <span className="num">Amount</span>
          <span className="activity-col-time">Time</span>
        </>
      )}
      label="Audited actions"
      testId="activity-list"
      rowTestId="activity-row"
      renderRow={(item) => <ActivityRow item={item} />}
    />
  );
}

function ActivityRow({ item }: { item: ActivityItem }) {
  return (
    <>
      <span>
        {item.verified
          ? <span className="activity-verified" title="The receipt's hash and signature check out">✓ verified</span>
          : <span className="activity-unverified">✗ invalid<span className="activity-problem">{item.problem ?? 'does not verify'}</span></span>}
      </span>
      <span><Badge tone={kindTone(item.kind)}>{item.kind.replace(/_/g, ' ')}</Badge></span>
      <span className="activity-col-agent">
        {item.agentId ? <Link to={`/agents/${item.agentId}`}>{item.agentName ?? item.agentId}</Link> : <span className="muted">{item.agentName ?? 'operator'}</span>}
      </span>
      <span className="activity-summary">
        {item.summary}
        {item.tickId && item.agentId ? (
          <> · <Link to={`/agents/${item.agentId}?tick=${encodeURIComponent(item.tickId)}`} data-testid="activity-tick-link">view tick</Link></>
        ) : null}
      </span>
      <span className="num">{item.amountSats === null ? <span className="muted">—</span> : <Sats value={item.amountSats} />}</span>
      <span className="activity-col-time small"><Time ms={item.createdAt} /></span>
    </>
  );
}
