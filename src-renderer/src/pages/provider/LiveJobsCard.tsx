import { useEffect, useRef, useState } from 'react';
import type { LiveJobView } from '../../../../src-main/core/api/contract';
import { useCoreEvent, useProcMutation } from '../../api/hooks';
import { shortKey } from '../../components/keys';
import { Badge, Card, Empty, FormError, Sats, Time } from '../../components/ui';

type Streamed = Record<string, { text: string; tokens: number }>;

/**
 * The jobs on the engine now. The status carries each job's text and token count so far;
 * 'provider.tokens' events carry what came after (text and tokens since the last event). Both
 * texts are prefixes of the same output, so the longer one is the newer and a refetch never
 * duplicates or loses text.
 */
export function LiveJobsCard({ live }: { live: LiveJobView[] }) {
  const [streamed, setStreamed] = useState<Streamed>({});
  const ids = live.map((j) => j.id).join(',');

  useCoreEvent('provider.tokens', (d) => {
    setStreamed((s) => {
      const job = live.find((j) => j.id === d.id);
      const prev = s[d.id] ?? { text: job?.text ?? '', tokens: job?.tokens ?? 0 };
      return { ...s, [d.id]: { text: prev.text + d.text, tokens: prev.tokens + d.tokens } };
    });
  });

  // Jobs that left the engine take their streamed text with them.
  useEffect(() => {
    const keep = new Set(ids.split(','));
    setStreamed((s) => (Object.keys(s).every((id) => keep.has(id)) ? s : Object.fromEntries(Object.entries(s).filter(([id]) => keep.has(id)))));
  }, [ids]);

  return (
    <Card title="Live jobs">
      {live.length === 0 ? <Empty>No job is on the engine. Paid jobs show up here while they run, with their text as it is written.</Empty> : (
        <div className="provider-live" data-testid="provider-live">
          {live.map((job) => {
            const s = streamed[job.id];
            const newer = s && s.text.length > job.text.length ? s : job;
            return <LiveJob key={job.id} job={job} text={newer.text} tokens={newer.tokens} />;
          })}
        </div>
      )}
    </Card>
  );
}

function LiveJob({ job, text, tokens }: { job: LiveJobView; text: string; tokens: number }) {
  const cancel = useProcMutation('provider.cancel', ['provider.status', 'provider.jobs', 'earnings.summary']);
  const [confirming, setConfirming] = useState(false);
  const out = useRef<HTMLPreElement>(null);
  // Follow the text as it grows, unless the operator scrolled up to read.
  useEffect(() => {
    const el = out.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 48) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <div className="provider-live-job" data-testid="provider-live-job">
      <div className="provider-live-head">
        <Badge tone={job.status === 'processing' ? 'info' : 'muted'}>{job.status}</Badge>
        <span title={job.customer}>for <span className="mono">{shortKey(job.customer)}</span></span>
        <Sats value={job.priceSats} />
        <span className="muted small" aria-live="off" data-testid="provider-live-tokens">{tokens.toLocaleString('en-US')} tokens</span>
        {job.startedAt ? <span className="muted small">started <Time ms={job.startedAt} /></span> : null}
        <span className="provider-live-actions">
          {confirming ? (
            <span className="confirm" role="group" aria-label="Confirm cancelling the job">
              <span className="small">Cancel this job? A paid job is refunded when the requester can be paid.</span>
              <button type="button" className="danger" onClick={() => cancel.mutate({ id: job.id })} disabled={cancel.isPending} data-testid="provider-cancel-confirm">
                {cancel.isPending ? 'Cancelling…' : 'Yes, cancel'}
              </button>
              <button type="button" onClick={() => { setConfirming(false); cancel.reset(); }}>Keep it</button>
            </span>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="provider-cancel">Cancel</button>
          )}
        </span>
      </div>
      <pre ref={out} className="provider-live-text" data-testid="provider-live-text" aria-label="Text written so far" tabIndex={0}>
        {text || <span className="muted">{job.status === 'queued' ? 'Waiting for the engine…' : 'Starting…'}</span>}
      </pre>
      <FormError error={cancel.error} />
    </div>
  );
}
