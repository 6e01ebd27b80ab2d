import { useEffect, useRef, useState } from 'react';
import { unwrap } from '../../api/client';
import { useApi } from '../../api/hooks';
import { Card, FormError } from '../../components/ui';

type Reveal = { state: 'hidden' } | { state: 'loading' } | { state: 'shown'; words: string[] } | { state: 'error'; error: unknown };

/**
 * The phrase is fetched straight from the client into this component's state, not through
 * react-query, so no query or mutation cache keeps a copy: hiding it or leaving the page drops it.
 */
export function RecoverySection() {
  const api = useApi();
  const [understood, setUnderstood] = useState(false);
  const [reveal, setReveal] = useState<Reveal>({ state: 'hidden' });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => { mounted.current = false; };
  }, []);

  const show = (): void => {
    setReveal({ state: 'loading' });
    unwrap(api.call('identity.exportMnemonic', {})).then(
      (r) => { if (mounted.current) setReveal({ state: 'shown', words: r.mnemonic.split(/\s+/).filter(Boolean) }); },
      (error: unknown) => { if (mounted.current) setReveal({ state: 'error', error }); },
    );
  };
  const hide = (): void => {
    setReveal({ state: 'hidden' });
    setUnderstood(false);
  };

  return (
    <Card title="Recovery phrase" className="settings-danger">
      <p>
        The recovery phrase restores your identity, every agent and every wallet. Show it only to write it down or move this home,
        and never where someone else can see the screen.
      </p>
      {reveal.state === 'shown' ? (
        <>
          <ol className="mnemonic settings-mnemonic" data-testid="mnemonic" aria-label="Recovery phrase">
            {reveal.words.map((w, i) => <li key={i}>{w}</li>)}
          </ol>
          <button type="button" onClick={hide} data-testid="mnemonic-hide">Hide recovery phrase</button>
        </>
      ) : (
        <>
          <label className="checkbox-field" htmlFor="settings-mnemonic-understand">
            <input
              id="settings-mnemonic-understand"
              type="checkbox"
              checked={understood}
              onChange={(e) => setUnderstood(e.target.checked)}
              data-testid="mnemonic-understand"
            />
            <span>I understand anyone with these words controls my agents</span>
          </label>
          {reveal.state === 'error' ? <FormError error={reveal.error} /> : null}
          <div className="row" style={{ marginTop: '0.75rem' }}>
            <button
              type="button"
              className="danger"
              disabled={!understood || reveal.state === 'loading'}
              onClick={show}
              data-testid="mnemonic-reveal"
            >
              {reveal.state === 'loading' ? 'Revealing…' : 'Reveal recovery phrase'}
            </button>
          </div>
        </>
      )}
    </Card>
  );
}
