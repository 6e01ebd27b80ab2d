import type { JobView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { shortKey } from '../../components/keys';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Sats, Time } from '../../components/ui';
import { VirtualList } from '../../components/VirtualList';
import { jobStatusTone, refundTone } from './format';

const LIMIT = 1000;

/** Every job request the provider saw, newest first; only the rows in view are in the DOM. */
export function JobHistoryCard() {
  const jobs = useProc('provider.jobs', { limit: LIMIT });
  return (
    <Card title="Job history">
      {jobs.isPending ? <Loading what="the jobs" /> : null}
      {jobs.isError ? <ErrorState error={jobs.error} retry={() => void jobs.refetch()} /> : null}
      {jobs.data && jobs.data.length === 0 ? <Empty>No jobs yet. Requests from the market show up here once the provider is online.</Empty> : null}
      {jobs.data && jobs.data.length > 0 ? <JobList jobs={jobs.data} /> : null}
    </Card>
  );
}

function JobList({ jobs }: { jobs: JobView[] }) {
  return (
    <div>
      <div className="provider-jobs-meta muted small" role="status">
        {jobs.length.toLocaleString('en-US')} {jobs.length === 1 ? 'job' : 'jobs'}{jobs.length >= LIMIT ? ` (the newest ${LIMIT.toLocaleString('en-US')})` : ''}
      </div>
      <VirtualList
        items={jobs}
        getKey={(job) => job.id}
        estimateSize={56}
        overscan={10}
        rowClassName="provider-job-row"
        scrollerClassName="provider-jobs-scroller"
        head={(
          <>
            <span>Time</span>
            <span>Requester</span>
            <span>Status</span>
            <span className="num">Price</span>
            <span className="num">Tokens</span>
            <span>Refund</span>
            <span>Request</span>
          </>
        )}
        label="Jobs"
        testId="provider-jobs"
        rowTestId="provider-job-row"
        renderRow={(job) => <JobRow job={job} />}
      />
    </div>
  );
}

function JobRow({ job }: { job: JobView }) {
  return (
    <>
      <span className="small"><Time ms={job.createdAt} /></span>
      <span className="mono" title={job.customer}>{shortKey(job.customer)}</span>
      <span>
        <Badge tone={jobStatusTone(job.status)}>{job.status.replace(/_/g, ' ')}</Badge>
        {job.encrypted ? <span className="provider-block" title="The request was encrypted to this provider"><Badge tone="info">encrypted</Badge></span> : null}
      </span>
      <span className="num">
        <Sats value={job.priceSats} />
        {job.paidAt ? <span className="muted small provider-block">paid</span> : null}
      </span>
      <span className="num">
        {job.outputTokens === null ? <span className="muted">—</span> : job.outputTokens.toLocaleString('en-US')}
        <span className="muted small provider-block">of {job.maxTokens.toLocaleString('en-US')}</span>
      </span>
      <span>
        {job.refund ? (
          <span title={job.refund.detail ?? undefined}>
            <Badge tone={refundTone(job.refund.status)}>{job.refund.status}</Badge> <Sats value={job.refund.sats} />
            {job.refund.detail ? <span className="muted small provider-block">{job.refund.detail}</span> : null}
            {job.refund.status !== 'paid' ? <RetryRefund id={job.id} /> : null}
          </span>
        ) : <span className="muted">—</span>}
      </span>
      <span className="provider-job-request">
        {job.promptPreview ? <span>{job.promptPreview}</span> : <span className="muted">{job.encrypted ? 'encrypted' : '—'}</span>}
        {job.model ? <span className="muted small provider-block">{job.model}</span> : null}
        {job.error ? <span className="provider-job-error provider-block">{job.error}</span> : null}
      </span>
    </>
  );
}

/** Pays a refund still owed, once the requester can be paid (their Lightning address is looked up again). */
function RetryRefund({ id }: { id: string }) {
  const refund = useProcMutation('provider.refund', ['provider.jobs', 'earnings.summary']);
  return (
    <span className="provider-block">
      <button type="button" className="small" onClick={() => refund.mutate({ id })} disabled={refund.isPending} data-testid="provider-refund-retry">
        {refund.isPending ? 'Paying…' : 'Pay refund'}
      </button>
      <FormError error={refund.error} />
    </span>
  );
}
