import { useProc } from '../api/hooks';

/** Devnet sats are never mistaken for money: a banner on every page while on devnet. */
export function DevnetBanner() {
  const status = useProc('system.status', {});
  if (status.data?.network !== 'devnet') return null;
  return <div className="devnet-banner" role="note">Devnet — {status.data.label}</div>;
}
