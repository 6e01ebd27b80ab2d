import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { createHashRouter, Navigate } from 'react-router';
import { Loading } from '../components/ui';
import { Layout } from './Layout';
import { SetupGate } from './SetupGate';
import { AgentsPage } from '../pages/agents/AgentsPage';
import { ApprovalsPage } from '../pages/approvals/ApprovalsPage';

// Pages other than the first ones an operator sees load on demand (charts, QR codes…), so
// the console is interactive sooner.
const AgentDetailPage = lazy(() => import('../pages/agents/AgentDetailPage').then((m) => ({ default: m.AgentDetailPage })));
const BudgetsPage = lazy(() => import('../pages/budgets/BudgetsPage').then((m) => ({ default: m.BudgetsPage })));
const WalletPage = lazy(() => import('../pages/wallet/WalletPage').then((m) => ({ default: m.WalletPage })));
const ActivityPage = lazy(() => import('../pages/activity/ActivityPage').then((m) => ({ default: m.ActivityPage })));
const ProviderPage = lazy(() => import('../pages/provider/ProviderPage').then((m) => ({ default: m.ProviderPage })));
const EarningsPage = lazy(() => import('../pages/earnings/EarningsPage').then((m) => ({ default: m.EarningsPage })));
const SettingsPage = lazy(() => import('../pages/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));

function page(Component: LazyExoticComponent<ComponentType>) {
  return <Suspense fallback={<Loading what="the page" />}><Component /></Suspense>;
}

/**
 * Hash routing: the same routes work from file:// in Electron and from the daemon. Created
 * after the access token has been taken out of the URL fragment.
 */
export const createRouter = () => createHashRouter([
  {
    element: <Layout />,
    children: [
      {
        element: <SetupGate />,
        children: [
          { index: true, element: <Navigate to="/agents" replace /> },
          { path: 'agents', element: <AgentsPage /> },
          { path: 'agents/:id', element: page(AgentDetailPage) },
          { path: 'approvals', element: <ApprovalsPage /> },
          { path: 'budgets', element: page(BudgetsPage) },
          { path: 'wallet', element: page(WalletPage) },
          { path: 'activity', element: page(ActivityPage) },
          { path: 'provider', element: page(ProviderPage) },
          { path: 'earnings', element: page(EarningsPage) },
          { path: 'settings', element: page(SettingsPage) },
        ],
      },
    ],
  },
]);
