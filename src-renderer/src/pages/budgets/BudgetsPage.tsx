import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { BudgetStatusView, BudgetsOverview } from '../../../../src-main/core/api/contract';
import { useProc } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, Loading, Page, Sats, lifecycleTone } from '../../components/ui';
import { LimitsForm } from './LimitsForm';
import './budgets.css';

type AgentRow = BudgetsOverview['agents'][number];
type Tone = 'ok' | 'warn' | 'bad';

const DAYS = 14;

/** A limit of 0 allows nothing, so any use against it reads as full. */
function percent(used: number, limit: number): number {
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.round((used / limit) * 100);
}

function toneFor(pct: number, warnPct: number): Tone {
  if (pct > 100) return 'bad';
  if (pct >= warnPct) return 'warn';
  return 'ok';
}

function UsageBar({ label, used, limit, warnPct, unit }: { label: string; used: number; limit: number; warnPct: number; unit: 'sats' | 'plain' | 'seconds' }) {
  const pct = percent(used, limit);
  const fmt = (n: number): string => (unit === 'seconds' ? `${n.toLocaleString('en-US')} s` : n.toLocaleString('en-US'));
  return (
    <div className="budgets-usage">
      <span>
        {unit === 'sats' ? <><Sats value={used} /> / <Sats value={limit} /></> : <>{fmt(used)} / {fmt(limit)}</>}
        <span className="muted"> ({pct}%)</span>
      </span>
      <div className="budgets-bar" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.min(pct, 100)} aria-valuetext={`${pct}%`}>
        <div className={`budgets-bar-fill budgets-tone-${toneFor(pct, warnPct)}`} style={{ width: `${Math.min(pct, 100)}%` }} />
      </div>
    </div>
  );
}

function StatusBadge({ status }: { status: BudgetStatusView }) {
  switch (status.kind) {
    case 'ok':
      return <span className="budgets-status-ok"><Badge tone="ok">ok</Badge></span>;
    case 'warning':
      return (
        <span className="budgets-status-warn" title={`${status.dailyPct}% of the daily and ${status.sessionPct}% of the session limit used`}>
          <Badge tone="warn">warning {Math.max(status.dailyPct, status.sessionPct)}%</Badge>
        </span>
      );
    case 'session_exceeded':
      return <span className="budgets-status-bad"><Badge tone="bad">session exceeded</Badge></span>;
    case 'daily_exceeded':
      return <span className="budgets-status-bad"><Badge tone="bad">daily exceeded</Badge></span>;
  }
}

/** Spending limits and use per agent, with the last two weeks of total spend. */
export function BudgetsPage() {
  const overview = useProc('budgets.overview', { days: DAYS });
  return (
    <Page title="Budgets">
      {overview.isPending ? <Loading what="budgets" /> : null}
      {overview.isError ? <ErrorState error={overview.error} retry={() => void overview.refetch()} /> : null}
      {overview.data ? <BudgetsBody data={overview.data} /> : null}
    </Page>
  );
}

function BudgetsBody({ data }: { data: BudgetsOverview }) {
  if (data.agents.length === 0) {
    return <Empty>No agents yet. Spawn one on the <Link to="/agents">Agents</Link> page to give it a budget.</Empty>;
  }
  return (
    <>
      <TotalsCard data={data} />
      <SpendChart data={data} />
      <AgentsTable agents={data.agents} />
    </>
  );
}

function TotalsCard({ data }: { data: BudgetsOverview }) {
  const { todaySats, dailyLimitSats } = data.totals;
  const pct = percent(todaySats, dailyLimitSats);
  // Each agent has its own warn %; the summed figure has none, so it uses the usual default.
  const tone = toneFor(pct, 80);
  return (
    <Card title="Today">
      <div className="budgets-totals" data-testid="budgets-totals">
        <div>
          <div className="budgets-totals-figure"><Sats value={todaySats} /></div>
          <div className="muted small">spent today of <Sats value={dailyLimitSats} /> in summed daily limits</div>
        </div>
        <div className="budgets-totals-bar">
          <div className="budgets-bar" role="progressbar" aria-label="Today's spend against the summed daily limits" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.min(pct, 100)} aria-valuetext={`${pct}%`}>
            <div className={`budgets-bar-fill budgets-tone-${tone}`} style={{ width: `${Math.min(pct, 100)}%` }} />
          </div>
          <div className="muted small">{pct}% used</div>
        </div>
      </div>
    </Card>
  );
}

function SpendChart({ data }: { data: BudgetsOverview }) {
  const points = data.days.map((day, i) => ({ day: day.slice(5), full: day, sats: data.totals.spendByDay[i] ?? 0 }));
  const total = points.reduce((s, p) => s + p.sats, 0);
  return (
    <Card title={`Total spend, last ${DAYS} days`}>
      {total === 0 ? <p className="muted small">No spend in the last {DAYS} days.</p> : null}
      <div className="budgets-chart" data-testid="budgets-chart" role="figure" aria-label={`Total spend by day: ${total.toLocaleString('en-US')} sats over ${DAYS} days`}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
            <XAxis dataKey="day" stroke="currentColor" tickLine={false} fontSize={12} />
            <YAxis stroke="currentColor" tickLine={false} fontSize={12} allowDecimals={false} width={56} />
            <Tooltip
              cursor={{ fill: 'var(--border)', opacity: 0.4 }}
              contentStyle={{ background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
              labelFormatter={(_, payload) => String(payload[0]?.payload?.full ?? '')}
              formatter={(value) => [`${Number(value).toLocaleString('en-US')} sats`, 'spend']}
            />
            <Bar dataKey="sats" fill="var(--accent)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </Card>
  );
}

function AgentsTable({ agents }: { agents: AgentRow[] }) {
  const [editing, setEditing] = useState<string | null>(null);
  // Keyboard users land back on the row's button instead of the top of the page when the form closes.
  const close = (id: string): void => {
    setEditing(null);
    document.getElementById(`budgets-edit-button-${id}`)?.focus();
  };
  return (
    <Card title="Agents">
      <div className="budgets-table-wrap">
        <table className="budgets-table" data-testid="budgets-table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Lifecycle</th>
              <th scope="col">Today</th>
              <th scope="col">Session</th>
              <th scope="col">Model calls</th>
              <th scope="col">Compute</th>
              <th scope="col">Status</th>
              <th scope="col">Limits</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <Fragment key={a.id}>
                <tr data-testid="budgets-row">
                  <td><Link to={`/agents/${a.id}`}>{a.name}</Link></td>
                  <td><Badge tone={lifecycleTone(a.lifecycle)}>{a.lifecycle}</Badge></td>
                  <td><UsageBar label={`${a.name}: today's spend`} used={a.usage.dailySats} limit={a.budget.dailySats} warnPct={a.budget.warnPct} unit="sats" /></td>
                  <td><UsageBar label={`${a.name}: session spend`} used={a.usage.sessionSats} limit={a.budget.sessionSats} warnPct={a.budget.warnPct} unit="sats" /></td>
                  <td><UsageBar label={`${a.name}: model calls today`} used={a.usage.modelCallsToday} limit={a.budget.modelCallsPerDay} warnPct={a.budget.warnPct} unit="plain" /></td>
                  <td><UsageBar label={`${a.name}: compute today`} used={a.usage.computeSecondsToday} limit={a.budget.dailyComputeSeconds} warnPct={a.budget.warnPct} unit="seconds" /></td>
                  <td><StatusBadge status={a.status} /></td>
                  <td>
                    <button
                      type="button"
                      id={`budgets-edit-button-${a.id}`}
                      aria-expanded={editing === a.id}
                      aria-controls={`budgets-edit-${a.id}`}
                      onClick={() => setEditing(editing === a.id ? null : a.id)}
                    >
                      {editing === a.id ? 'Close' : 'Edit limits'}
                    </button>
                  </td>
                </tr>
                {editing === a.id ? (
                  <tr className="budgets-edit-row" id={`budgets-edit-${a.id}`}>
                    <td colSpan={8}>
                      <LimitsForm agent={a} onDone={() => close(a.id)} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
