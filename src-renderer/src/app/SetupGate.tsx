import { Outlet } from 'react-router';
import { useProc } from '../api/hooks';
import { ErrorState, Loading } from '../components/ui';
import { FirstRunPage } from '../pages/setup/FirstRunPage';

/** Shows first-run setup until the home has an identity, and the console after. */
export function SetupGate() {
  const status = useProc('identity.status', {});
  if (status.isPending) return <Loading what="this home" />;
  if (status.isError) return <ErrorState error={status.error} retry={() => void status.refetch()} />;
  if (!status.data.initialized) return <FirstRunPage />;
  return <Outlet />;
}
