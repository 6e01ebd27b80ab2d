import { createHashRouter, Navigate } from 'react-router';
import { Layout } from './Layout';
import { SetupGate } from './SetupGate';
import { AgentsPage } from '../pages/agents/AgentsPage';
import { AgentDetailPage } from '../pages/agents/AgentDetailPage';
import { ApprovalsPage } from '../pages/approvals/ApprovalsPage';
import { BudgetsPage } from '../pages/budgets/BudgetsPage';
import { WalletPage } from '../pages/wallet/WalletPage';
import { ActivityPage } from '../pages/activity/ActivityPage';
import { SettingsPage } from '../pages/settings/SettingsPage';

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
          { path: 'agents/:id', element: <AgentDetailPage /> },
          { path: 'approvals', element: <ApprovalsPage /> },
          { path: 'budgets', element: <BudgetsPage /> },
          { path: 'wallet', element: <WalletPage /> },
          { path: 'activity', element: <ActivityPage /> },
          { path: 'settings', element: <SettingsPage /> },
        ],
      },
    ],
  },
]);
