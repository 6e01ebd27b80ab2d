import { Link } from 'react-router';
import type { ProviderCheck, ProviderStatusView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { CopyButton, useCopy } from '../../components/copy';
import { ProviderStateBadge } from '../../components/provider';
import { Badge, Card, ErrorState, FormError, Loading, Page, Sats } from '../../components/ui';
import { formatBytes, fullJobPrice } from './format';
import { JobHistoryCard } from './JobHistoryCard';
import { LiveJobsCard } from './LiveJobsCard';
import { ModelsCard } from './ModelsCard';
import { SettingsCard } from './SettingsCard';
import './provider.css';

const CHECKS: { name: ProviderCheck['name']; label: string }[] = [
  { name: 'model', label: 'Model' },
  { name: 'wallet', label: 'Wallet' },
  { name: 'relays', label: 'Relays' },
];

/** Selling this machine's local model on the NIP-90 market: going online, the model, prices and limits, jobs. */
export function ProviderPage() {
  const status = useProc('provider.status', {});
  return (
    <Page title="Provider">
      <p className="muted small">
        Sell local inference on the Nostr compute market (NIP-90): requesters pay a Lightning invoice to your wallet before a job runs.
      </p>
      {status.isPending ? <Loading what="the provider" /> : null}
      {status.isError ? <ErrorState error={status.error} retry={() => void status.refetch()} /> : null}
      {status.data ? <ProviderBody status={status.data} /> : null}
    </Page>
  );
}

function ProviderBody({ status }: { status: ProviderStatusView }) {
  return (
    <>
      <div className="grid">
        <OnlineCard status={status} />
        <ThisProviderCard status={status} />
      </div>
      <LiveJobsCard live={status.live} />
      <ModelsCard current={status.settings.model} />
      <EngineCard engine={status.engine} />
      <SettingsCard settings={status.settings} />
      <JobHistoryCard />
    </>
  );
}

function OnlineCard({ status }: { status: ProviderStatusView }) {
  const online = useProcMutation('provider.online', ['provider.status', 'provider.jobs']);
  const offline = useProcMutation('provider.offline', ['provider.status']);
  const on = status.state !== 'offline';
  const busy = online.isPending || offline.isPending;
  const toggle = (): void => {
    online.reset();
    offline.reset();
    if (on) offline.mutate({});
    else online.mutate({});
  };
  return (
    <Card title="Selling">
      <div className="provider-switch-row">
        <button
          type="button"
          role="switch"
          aria-checked={on}
          aria-describedby="provider-switch-hint"
          className={`provider-switch${on ? ' provider-switch-on' : ''}`}
          onClick={toggle}
          disabled={busy}
          data-testid="provider-switch"
        >
          <span className="provider-switch-track" aria-hidden="true"><span className="provider-switch-thumb" /></span>
          <span>Go online</span>
        </button>
        <span data-testid="provider-state"><ProviderStateBadge state={status.state} /></span>
      </div>
      <p id="provider-switch-hint" className="muted small" aria-live="polite">
        {online.isPending ? 'Checking the model, the wallet and the relays…'
          : offline.isPending ? 'Going offline…'
            : on ? 'Taking jobs from the market. Turn it off to stop.'
              : 'Offline: no jobs are taken. Going online checks the model, the wallet and the relays first.'}
      </p>
      <FormError error={online.error} />
      <FormError error={offline.error} />
      {status.reasons.length > 0 ? (
        <ul className="provider-reasons" aria-label={`Why the provider is ${status.state}`} data-testid="provider-reasons">
          {status.reasons.map((r) => <li key={r}>{r}</li>)}
        </ul>
      ) : null}
      {status.lastError ? <p className="error small" data-testid="provider-last-error">Last error: {status.lastError}</p> : null}
      <h3 className="provider-subtitle">Checks</h3>
      <ul className="provider-checks" aria-label="Checks before going online" data-testid="provider-checks">
        {CHECKS.map(({ name, label }) => {
          const c = status.checks.find((x) => x.name === name);
          return (
            <li key={name} data-testid={`provider-check-${name}`}>
              {!c ? <span className="muted" aria-label="not checked">–</span>
                : c.ok ? <span className="provider-check-ok" aria-label="ok">✓</span>
                  : <span className="provider-check-fail" aria-label="failed">✗</span>}
              <span>
                <strong>{label}</strong>
                <span className="provider-check-detail">{c?.detail ?? 'not checked yet'}</span>
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function ThisProviderCard({ status }: { status: ProviderStatusView }) {
  const price = fullJobPrice(status.minPriceSats, status.pricePer1kSats, status.maxTokens);
  const connected = status.relays.filter((r) => r.connected).length;
  return (
    <Card title="This provider">
      <dl className="facts provider-facts">
        <dt>Public key</dt>
        <dd><CopyText text={status.npub} label="npub" testId="provider-npub" /></dd>
        <dt>Model</dt>
        <dd data-testid="provider-model">{status.model ?? <span className="muted">none chosen: pick one below</span>}</dd>
        <dt>Price</dt>
        <dd data-testid="provider-price">
          <Sats value={status.minPriceSats} /> + <Sats value={status.pricePer1kSats} /> per 1,000 tokens
          <div className="muted small">A job of up to {status.maxTokens.toLocaleString('en-US')} tokens costs <Sats value={price} />.</div>
        </dd>
        <dt>Earned</dt>
        <dd>
          <Sats value={status.earnedTodaySats} /> today from {status.jobsToday.toLocaleString('en-US')} {status.jobsToday === 1 ? 'job' : 'jobs'} · <Sats value={status.earnedTotalSats} /> in all
          <div className="small"><Link to="/earnings">See earnings</Link></div>
        </dd>
        <dt>Relays</dt>
        <dd>
          {status.relays.length === 0 ? <span className="muted">none configured</span> : (
            <>
              <span className="small">{connected} of {status.relays.length} connected</span>
              <ul className="provider-relays">
                {status.relays.map((r) => (
                  <li key={r.url}><Badge tone={r.connected ? 'ok' : 'bad'}>{r.connected ? 'connected' : 'not connected'}</Badge> <span className="mono">{r.url}</span></li>
                ))}
              </ul>
            </>
          )}
        </dd>
      </dl>
    </Card>
  );
}

function CopyText({ text, label, testId }: { text: string; label: string; testId: string }) {
  const copy = useCopy(text);
  return (
    <div>
      <code ref={copy.ref} className="mono" data-testid={testId}>{text}</code>
      <div className="row">
        <CopyButton copy={copy} label={label} testId={`${testId}-copy`} />
      </div>
    </div>
  );
}

function EngineCard({ engine }: { engine: ProviderStatusView['engine'] }) {
  // The core probes the hardware once, in the background; the recommendations wait for it.
  const recs = useProc('models.recommended', {}, { enabled: engine.hardware === null });
  const hw = engine.hardware ?? recs.data?.hardware ?? null;
  return (
    <Card title="Engine">
      <div className="grid">
        <div>
          <h3 className="provider-subtitle">Hardware</h3>
          {hw ? (
            <dl className="facts provider-facts" data-testid="provider-hardware">
              <dt>GPU</dt>
              <dd>{hw.gpu === false ? <span className="muted">none (CPU only)</span> : hw.gpu}{hw.vramBytes !== null ? <span className="muted"> · {formatBytes(hw.vramBytes)} VRAM</span> : null}</dd>
              <dt>Memory</dt>
              <dd>{formatBytes(hw.freeRamBytes)} free of {formatBytes(hw.ramBytes)}</dd>
              <dt>CPU cores</dt>
              <dd>{hw.cores}</dd>
            </dl>
          ) : <p className="muted small" role="status">Looking at the hardware…</p>}
        </div>
        <div>
          <h3 className="provider-subtitle">Loaded model</h3>
          {engine.loaded ? (
            <dl className="facts provider-facts" data-testid="provider-loaded">
              <dt>Model</dt>
              <dd>{engine.loaded.model}</dd>
              <dt>Context</dt>
              <dd>{engine.loaded.contextSize.toLocaleString('en-US')} tokens</dd>
              <dt>Threads</dt>
              <dd>{engine.loaded.threads}</dd>
              <dt>GPU layers</dt>
              <dd>{engine.loaded.gpuLayers}</dd>
            </dl>
          ) : <p className="muted small">No model is loaded.</p>}
        </div>
      </div>
    </Card>
  );
}
