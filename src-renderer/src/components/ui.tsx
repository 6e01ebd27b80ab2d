import type { ReactNode } from 'react';
import { ApiCallError } from '../api/client';

/** Small shared building blocks; pages compose them. */

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{title}</h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Card({ title, children, className }: { title?: string; children: ReactNode; className?: string }) {
  return (
    <div className={`card ${className ?? ''}`}>
      {title ? <h2 className="card-title">{title}</h2> : null}
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" role="status" aria-live="polite">Loading {what}…</p>;
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = error instanceof ApiCallError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {retry ? <button type="button" onClick={retry}>Try again</button> : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Sats({ value, signed }: { value: number | null | undefined; signed?: boolean }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const text = `${signed && value > 0 ? '+' : ''}${value.toLocaleString('en-US')} sats`;
  return <span className="sats">{text}</span>;
}

export function Badge({ tone, children }: { tone?: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone ?? 'muted'}`}>{children}</span>;
}

export function lifecycleTone(state: string): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  if (state === 'active') return 'ok';
  if (state === 'low_balance' || state === 'hibernating' || state === 'spawning') return 'warn';
  if (state === 'dead' || state === 'failed' || state === 'terminated') return 'bad';
  return 'muted';
}

export function Time({ ms }: { ms: number | null | undefined }) {
  if (!ms) return <span className="muted">—</span>;
  const d = new Date(ms);
  return <time dateTime={d.toISOString()} title={d.toLocaleString()}>{d.toLocaleString()}</time>;
}

export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  return <ErrorState error={error} />;
}
