import { useState, type FormEvent } from 'react';
import type { RelayStatusView, RelaysView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Time } from '../../components/ui';
import { isRelayUrl } from './validate';

const STATE_TONE: Record<RelayStatusView['state'], 'ok' | 'warn' | 'bad' | 'muted'> = {
  connected: 'ok',
  connecting: 'warn',
  error: 'bad',
  closed: 'muted',
};

/** "embedded" in the configured list stands for this home's own relay, whose URL the pool reports. */
function statusFor(configured: string, view: RelaysView): RelayStatusView | undefined {
  const url = configured === 'embedded' ? view.embeddedRelay : configured;
  return url ? view.relays.find((r) => r.url === url) : undefined;
}

export function RelaysSection() {
  // Relay connection state changes without a core event, so it is polled while the page is open.
  const relays = useProc('relays.list', {}, { refetchInterval: 10_000 });
  return (
    <Card title="Nostr relays">
      {relays.isPending ? <Loading what="the relays" /> : null}
      {relays.isError ? <ErrorState error={relays.error} retry={() => void relays.refetch()} /> : null}
      {relays.data ? <RelaysBody view={relays.data} /> : null}
      <AddRelayForm />
    </Card>
  );
}

function RelaysBody({ view }: { view: RelaysView }) {
  const remove = useProcMutation('relays.remove', ['relays.list']);
  const connected = view.relays.filter((r) => r.state === 'connected').length;
  return (
    <>
      <p className="muted small" data-testid="relays-summary">
        {view.relays.length === 0
          ? 'Not connected here: the relays run in the daemon.'
          : `${connected} of ${view.relays.length} connected.`}
        {' '}
        {view.pendingEvents > 0 ? `${view.pendingEvents} ${view.pendingEvents === 1 ? 'event is' : 'events are'} waiting to be published.` : 'No events waiting to be published.'}
        {view.embeddedRelay ? <> Embedded relay: <span className="mono">{view.embeddedRelay}</span>.</> : null}
      </p>
      {view.configured.length === 0 ? <Empty>No relays configured.</Empty> : (
        <div className="settings-table-wrap">
          <table data-testid="relays-table">
            <thead>
              <tr>
                <th scope="col">Relay</th>
                <th scope="col">State</th>
                <th scope="col">Latency</th>
                <th scope="col">Connected since</th>
                <th scope="col">Last error</th>
                <th scope="col"><span className="muted">Remove</span></th>
              </tr>
            </thead>
            <tbody>
              {view.configured.map((url) => {
                const s = statusFor(url, view);
                return (
                  <tr key={url} data-testid="relay-row">
                    <td className="mono">{url === 'embedded' ? <>embedded{view.embeddedRelay ? <span className="muted"> ({view.embeddedRelay})</span> : null}</> : url}</td>
                    <td>
                      {s ? <Badge tone={STATE_TONE[s.state]}>{s.state}</Badge> : <Badge tone="muted">not running</Badge>}
                      {s && s.reconnects > 0 ? <div className="muted small">{s.reconnects} reconnects</div> : null}
                    </td>
                    <td>{s?.latencyMs != null ? `${s.latencyMs} ms` : <span className="muted">—</span>}</td>
                    <td><Time ms={s?.connectedAt} /></td>
                    <td>{s?.lastError ? <span className="settings-relay-error">{s.lastError}</span> : <span className="muted">—</span>}</td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => remove.mutate({ url })}
                        disabled={remove.isPending}
                        aria-label={`Remove relay ${url}`}
                        data-testid="relay-remove"
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <FormError error={remove.error} />
    </>
  );
}

function AddRelayForm() {
  const add = useProcMutation('relays.add', ['relays.list']);
  const [url, setUrl] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const t = url.trim();
    if (!isRelayUrl(t) || t.length > 500) {
      setInvalid('Enter a ws:// or wss:// URL, or "embedded" for this home\'s own relay.');
      return;
    }
    setInvalid(null);
    add.mutate({ url: t }, { onSuccess: () => setUrl('') });
  };
  return (
    <form className="settings-add" onSubmit={submit} noValidate>
      <label className="field" htmlFor="settings-relay-url">
        Add a relay
        <input
          id="settings-relay-url"
          data-testid="relay-url"
          value={url}
          placeholder="wss://relay.example.com"
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={invalid ? 'settings-relay-url-error' : undefined}
        />
      </label>
      {invalid ? <span id="settings-relay-url-error" className="field-error" role="alert">{invalid}</span> : null}
      <FormError error={add.error} />
      <div className="row" style={{ marginTop: '0.5rem' }}>
        <button type="submit" className="primary" disabled={add.isPending} data-testid="relay-add">{add.isPending ? 'Adding…' : 'Add relay'}</button>
      </div>
    </form>
  );
}
