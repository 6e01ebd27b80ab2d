import type { ProviderState } from '../../../src-main/core/api/contract';
import { Badge } from './ui';

export const PROVIDER_STATE_LABEL: Record<ProviderState, string> = {
  offline: 'Offline',
  connecting: 'Connecting',
  online: 'Online',
  degraded: 'Degraded',
  paused: 'Paused',
};

export function providerStateTone(state: ProviderState): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  if (state === 'online') return 'ok';
  if (state === 'connecting') return 'info';
  if (state === 'paused') return 'warn';
  if (state === 'degraded') return 'bad';
  return 'muted';
}

export function ProviderStateBadge({ state }: { state: ProviderState }) {
  return <Badge tone={providerStateTone(state)}>{PROVIDER_STATE_LABEL[state]}</Badge>;
}
