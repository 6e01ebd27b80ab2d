import { describe, expect, it } from 'vitest';
import { trayMenu, trayTooltip } from '../src-main/electron/tray-menu.js';

describe('tray menu', () => {
  it('offers Go online while the provider is offline, Go offline otherwise, with state and reason', () => {
    const off = trayMenu({ nodeOnline: true, pending: 0, provider: { state: 'offline', reasons: [], earnedTodaySats: 0 } });
    expect(off.map((i) => i.action).filter(Boolean)).toEqual(['approvals', 'provider', 'provider.online', 'open', 'quit']);
    expect(off.find((i) => i.action === 'provider')?.label).toBe('Selling compute: off');

    const paused = trayMenu({ nodeOnline: true, pending: 2, provider: { state: 'paused', reasons: ['on battery power'], earnedTodaySats: 1234 } });
    expect(paused.find((i) => i.action === 'provider')?.label).toBe('Selling compute: paused (on battery power)');
    expect(paused.some((i) => i.action === 'provider.offline')).toBe(true);
    expect(paused.some((i) => i.action === 'provider.online')).toBe(false);
    expect(paused.find((i) => i.label.startsWith('Earned'))?.label).toBe('Earned today: 1,234 sats');
    expect(paused[1]?.label).toBe('2 approvals waiting');

    const connecting = trayMenu({ nodeOnline: true, pending: 0, provider: { state: 'connecting', reasons: [], earnedTodaySats: 0 } });
    expect(connecting.some((i) => i.action === 'provider.online' || i.action === 'provider.offline')).toBe(false);
  });

  it('says in the tooltip when compute is being sold', () => {
    expect(trayTooltip({ nodeOnline: true, pending: 0, provider: { state: 'offline' } })).toBe('OpenAgents — online');
    expect(trayTooltip({ nodeOnline: true, pending: 1, provider: { state: 'online' } })).toBe('OpenAgents — online, 1 approvals waiting, selling compute: online');
  });
});
