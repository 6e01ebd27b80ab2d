import { useEffect } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useConnection, useLiveInvalidation, useProc } from '../api/hooks';
import { DevnetBanner } from '../components/DevnetBanner';
import { Badge } from '../components/ui';
import { useUi } from '../state/ui';

/**
 * Navigation is grouped by what the operator does; later pages (Inbox under Work, Earnings
 * under Money, Provider under Compute) slot into these groups.
 */
const NAV: { group: string; items: { to: string; label: string; key?: 'approvals' }[] }[] = [
  { group: 'Work', items: [{ to: '/agents', label: 'Agents' }, { to: '/approvals', label: 'Approvals', key: 'approvals' }] },
  { group: 'Money', items: [{ to: '/wallet', label: 'Wallet' }, { to: '/budgets', label: 'Budgets' }] },
  { group: 'System', items: [{ to: '/activity', label: 'Activity' }, { to: '/settings', label: 'Settings' }] },
];

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
          <div key={g.group} className="nav-group">
            <div className="nav-group-title">{g.group}</div>
            {g.items.map((item) => (
              <NavLink key={item.to} to={item.to} className={({ isActive }) => `nav-item${isActive ? ' active' : ''}`}>
                {item.label}
                {item.key === 'approvals' && pending > 0 ? <span className="count" aria-label={`${pending} pending`}>{pending}</span> : null}
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
