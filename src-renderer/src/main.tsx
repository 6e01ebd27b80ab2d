import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Result, SystemStatus } from '../../src-main/core/api/contract';

interface Bridge {
  api: { 'system.status': (input: object) => Promise<Result<SystemStatus>> };
}

declare global {
  interface Window {
    openagents?: Bridge;
  }
}

/** The console shell; the full operator console (agents, approvals, budgets, wallet, audit) builds on it. */
function App() {
  const [status, setStatus] = useState<Result<SystemStatus> | null>(null);
  useEffect(() => {
    void window.openagents?.api['system.status']({}).then(setStatus);
  }, []);
  if (!window.openagents) return <p>This page must run inside the OpenAgents desktop app.</p>;
  if (!status) return <p>Loading…</p>;
  if (!status.ok) return <p role="alert">Error: {status.error.message}</p>;
  return (
    <main>
      <h1>OpenAgents</h1>
      <p>Home: {status.value.home}</p>
      <p>Network: {status.value.network ?? 'not set up'} {status.value.label}</p>
      <p>Agents: {status.value.agents}; approvals pending: {status.value.pendingApprovals}</p>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
