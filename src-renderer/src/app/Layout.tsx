import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import type { ProviderStatusView } from '../../../src-main/core/api/contract';
import { useConnection, useCoreEvent, useLiveInvalidation, useProc } from '../api/hooks';
import { DevnetBanner } from '../components/DevnetBanner';
import { PROVIDER_STATE_LABEL, ProviderStateBadge } from '../components/provider';
import { Badge } from '../components/ui';
import { useUi } from '../state/ui';

/**
 * Navigation is grouped by what the operator does: run agents, sell compute, follow the
 * money; Settings stands apart at the end.
 */
const NAV: { group: string | null; items: { to: string; label: string; key?: 'approvals' | 'provider' }[] }[] = [
  { group: 'Agents', items: [{ to: '/agents', label: 'Agents' }, { to: '/approvals', label: 'Approvals', key: 'approvals' }, { to: '/activity', label: 'Activity' }] },
  { group: 'Compute', items: [{ to: '/provider', label: 'Provider', key: 'provider' }] },
  { group: 'Money', items: [{ to: '/wallet', label: 'Wallet' }, { to: '/earnings', label: 'Earnings' }, { to: '/budgets', label: 'Budgets' }] },
  { group: null, items: [{ to: '/settings', label: 'Settings' }] },
];

/**
 * The provider's state, always in view beside its nav item. The state event patches the
 * cached status at once; the invalidation it also causes refetches the rest.
 */
function ProviderPill() {
  const identity = useProc('identity.status', {});
  const status = useProc('provider.status', {}, { enabled: identity.data?.initialized === true });
  const qc = useQueryClient();
  useCoreEvent('provider.state', (d) => {
    qc.setQueryData<ProviderStatusView>(['provider.status', {}], (old) => (old ? { ...old, state: d.state, reasons: d.reasons, checks: d.checks } : old));
  });
  if (!status.data) return null;
  const { state, reasons } = status.data;
  return (
    <span data-testid="provider-pill" title={reasons.length ? `${PROVIDER_STATE_LABEL[state]}: ${reasons.join('; ')}` : undefined}>
      <ProviderStateBadge state={state} />
    </span>
  );
}

export function Layout() {
  useLiveInvalidation();
  const connection = useConnection();
  const status = useProc('system.status', {});
  const theme = useUi((s) => s.theme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const navigate = useNavigate();
  // In the desktop app a notification or the tray may ask for a page.
  useEffect(() => window.openagents?.onNavigate((route) => void navigate(route)), [navigate]);
  const pending = status.data?.pendingApprovals ?? 0;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">OpenAgents</div>
        {NAV.map((g) => (
          <div key={g.group ?? 'other'} className="nav-group">
            {g.group ? <div className="nav-group-title">{g.group}</div> : null}
            {g.items.map((item) => (
              <NavLink key={item.to} to={item.to} className={({ isActive }) => `nav-item${isActive ? ' active' : ''}`}>
                {item.label}
                {item.key === 'approvals' && pending > 0 ? <span className="count" aria-label={`${pending} pending`}>{pending}</span> : null}
                {item.key === 'provider' ? <ProviderPill /> : null}
              </NavLink>
            ))}
          </div>
        ))}
        <div className="sidebar-footer">
          <Badge tone={connection === 'open' ? 'ok' : connection === 'connecting' ? 'warn' : 'bad'}>
            {connection === 'open' ? 'connected' : connection === 'connecting' ? 'connecting…' : connection === 'unauthorized' ? 'no access' : 'disconnected'}
          </Badge>
          {status.data?.relayUrl ? <div className="muted small">relay {status.data.relayUrl}</div> : null}
        </div>
      </nav>
      <main className="content" data-testid="content">
        <DevnetBanner />
        {connection === 'unauthorized' ? (
          <div className="error" role="alert" data-testid="unauthorized">
            <h1>No access</h1>
            <p>Open the console with the link the daemon printed: it carries the access token.</p>
          </div>
        ) : (
          <Outlet />
        )}
      </main>
    </div>
  );
}
