import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EarningsBucket, EarningsView } from '../../../../src-main/core/api/contract';
import { useProc } from '../../api/hooks';
import { npubOf, shortKey } from '../../components/keys';
import { Card, Empty, ErrorState, Loading, Page, Sats } from '../../components/ui';
import { useUi, type EarningsDays } from '../../state/ui';
import { sinceForDays } from './period';
import './earnings.css';

const PERIODS: EarningsDays[] = [7, 30, 90];

/** What the provider earned, by day, model and requester, against what the agents spent. */
export function EarningsPage() {
  const days = useUi((s) => s.earningsDays);
  const setDays = useUi((s) => s.setEarningsDays);
  // Local midnight `days - 1` days ago: the same number all day, so the query key is stable.
  const since = sinceForDays(days);
  const earnings = useProc('earnings.summary', { since });
  return (
    <Page
      title="Earnings"
      actions={(
        <label className="earnings-period" htmlFor="earnings-period">
          Period
          <select id="earnings-period" data-testid="earnings-period" value={days} onChange={(e) => setDays(Number(e.target.value) as EarningsDays)}>
            {PERIODS.map((d) => <option key={d} value={d}>Last {d} days</option>)}
          </select>
        </label>
      )}
    >
      {earnings.isPending ? <Loading what="the earnings" /> : null}
      {earnings.isError ? <ErrorState error={earnings.error} retry={() => void earnings.refetch()} /> : null}
      {earnings.data ? <EarningsBody data={earnings.data} days={days} /> : null}
    </Page>
  );
}

function EarningsBody({ data, days }: { data: EarningsView; days: number }) {
  return (
    <>
      <TotalsCard data={data} days={days} />
      {data.jobs === 0 ? (
        <Empty>No paid jobs in the last {days} days. Go online on the <Link to="/provider">Provider</Link> page to sell compute.</Empty>
      ) : null}
      <DayChart data={data} days={days} />
      <div className="grid">
        <BreakdownCard title="By model" buckets={data.byModel} total={data.totalSats} column="Model" testId="earnings-by-model" />
        <BreakdownCard title="By requester" buckets={data.byRequester} total={data.totalSats} column="Requester" testId="earnings-by-requester" keyLabel={(k) => shortKey(k)} keyTitle={(k) => npubOf(k)} />
      </div>
    </>
  );
}

function TotalsCard({ data, days }: { data: EarningsView; days: number }) {
  const refunds = data.refundedSats + data.refundsOwedSats;
  return (
    <Card title={`Last ${days} days`}>
      <dl className="earnings-totals" data-testid="earnings-totals">
        <div>
          <dt>Earned</dt>
          <dd className="earnings-figure" data-testid="earnings-total"><Sats value={data.totalSats} /></dd>
        </div>
        <div>
          <dt>Jobs</dt>
          <dd className="earnings-figure" data-testid="earnings-jobs">{data.jobs.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Refunds</dt>
          <dd className="earnings-figure"><Sats value={refunds} /></dd>
          {data.refundsOwedSats > 0 ? <dd className="muted small"><Sats value={data.refundsOwedSats} /> still owed</dd> : null}
        </div>
        <div>
          <dt>Agents' spending</dt>
          <dd className="earnings-figure"><Sats value={data.agentSpendingSats} /></dd>
          <dd className="muted small">payments and paid model calls</dd>
        </div>
        <div>
          <dt>Net</dt>
          <dd className={`earnings-figure ${data.netSats < 0 ? 'earnings-negative' : 'earnings-positive'}`} data-testid="earnings-net"><Sats value={data.netSats} signed /></dd>
          <dd className="muted small">earnings against the agents' spending</dd>
        </div>
      </dl>
    </Card>
  );
}

function DayChart({ data, days }: { data: EarningsView; days: number }) {
  const points = data.byDay.map((b) => ({ day: b.key.slice(5), full: b.key, sats: b.sats, jobs: b.jobs }));
  return (
    <Card title="By day">
      <div className="earnings-chart" data-testid="earnings-chart" role="figure" aria-label={`Earnings by day: ${data.totalSats.toLocaleString('en-US')} sats over ${days} days`}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
            <XAxis dataKey="day" stroke="currentColor" tickLine={false} fontSize={12} minTickGap={8} />
            <YAxis stroke="currentColor" tickLine={false} fontSize={12} allowDecimals={false} width={56} />
            <Tooltip
              cursor={{ fill: 'var(--border)', opacity: 0.4 }}
              contentStyle={{ background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
              labelFormatter={(_, payload) => {
                const p = payload[0]?.payload as { full?: string; jobs?: number } | undefined;
                return p ? `${p.full ?? ''} · ${p.jobs ?? 0} ${p.jobs === 1 ? 'job' : 'jobs'}` : '';
              }}
              formatter={(value) => [`${Number(value).toLocaleString('en-US')} sats`, 'earned']}
            />
            <Bar dataKey="sats" fill="var(--ok)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </Card>
  );
}

function BreakdownCard({ title, buckets, total, column, testId, keyLabel, keyTitle }: {
  title: string; buckets: EarningsBucket[]; total: number; column: string; testId: string;
  keyLabel?: (key: string) => string; keyTitle?: (key: string) => string;
}) {
  const rows = [...buckets].sort((a, b) => b.sats - a.sats);
  return (
    <Card title={title}>
      {rows.length === 0 ? <p className="muted small">Nothing in this period.</p> : (
        <div className="earnings-table-wrap">
          <table data-testid={testId}>
            <thead>
              <tr>
                <th scope="col">{column}</th>
                <th scope="col" className="num">Jobs</th>
                <th scope="col" className="num">Earned</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => {
                const pct = total > 0 ? Math.round((b.sats / total) * 100) : 0;
                return (
                  <tr key={b.key}>
                    <td className={keyLabel ? 'mono' : undefined} title={keyTitle?.(b.key)}>{keyLabel ? keyLabel(b.key) : b.key || <span className="muted">unknown</span>}</td>
                    <td className="num">{b.jobs.toLocaleString('en-US')}</td>
                    <td className="num"><Sats value={b.sats} /></td>
                    <td>
                      <div className="earnings-share">
                        <div className="earnings-bar" role="progressbar" aria-label={`${keyLabel ? keyLabel(b.key) : b.key}: share of the earnings`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${pct}%`}>
                          <div className="earnings-bar-fill" style={{ width: `${pct}%` }} />
                        </div>
                        <span className="muted small">{pct}%</span>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
