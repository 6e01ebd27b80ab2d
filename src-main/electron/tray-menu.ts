import type { ProviderState } from '../core/api/contract.js';

/** What the tray menu can do; main.ts maps each action to Electron calls. */
export type TrayAction = 'open' | 'approvals' | 'provider' | 'provider.online' | 'provider.offline' | 'quit';
export interface TrayItem { label: string; action?: TrayAction; enabled?: boolean; separator?: boolean }

const STATE_LABEL: Record<ProviderState, string> = {
  offline: 'Selling compute: off',
  connecting: 'Selling compute: connecting…',
  online: 'Selling compute: online',
  degraded: 'Selling compute: degraded',
  paused: 'Selling compute: paused',
};

/**
 * The tray menu (kept free of Electron so it can be tested): node status, approvals waiting,
 * the provider's state with a one-click Go online / Go offline, and today's earnings.
 */
export function trayMenu(s: { nodeOnline: boolean; pending: number; provider: { state: ProviderState; reasons: string[]; earnedTodaySats: number } | null }): TrayItem[] {
  const items: TrayItem[] = [
    { label: s.nodeOnline ? 'Node online' : 'Node offline', enabled: false },
    { label: s.pending ? `${s.pending} approvals waiting` : 'No approvals waiting', action: 'approvals' },
    { label: '', separator: true },
  ];
  if (s.provider) {
    const p = s.provider;
    items.push({ label: `${STATE_LABEL[p.state]}${p.reasons.length ? ` (${p.reasons[0]})` : ''}`, action: 'provider' });
    if (p.state === 'offline') items.push({ label: 'Go online', action: 'provider.online' });
    else if (p.state !== 'connecting') items.push({ label: 'Go offline', action: 'provider.offline' });
    items.push({ label: `Earned today: ${p.earnedTodaySats.toLocaleString('en-US')} sats`, enabled: false });
    items.push({ label: '', separator: true });
  }
  items.push({ label: 'Open OpenAgents', action: 'open' }, { label: 'Quit', action: 'quit' });
  return items;
}

export function trayTooltip(s: { nodeOnline: boolean; pending: number; provider: { state: ProviderState } | null }): string {
  return `OpenAgents — ${s.nodeOnline ? 'online' : 'offline'}${s.pending ? `, ${s.pending} approvals waiting` : ''}${s.provider && s.provider.state !== 'offline' ? `, selling compute: ${s.provider.state}` : ''}`;
}
