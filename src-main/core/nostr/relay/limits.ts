import { AppError } from '../../errors.js';

/** Per-connection and per-relay limits of the embedded relay (advertised through NIP-11). */
export interface RelayLimits {
  /** Largest client message accepted, in bytes of the WebSocket frame. */
  maxMessageBytes: number;
  /** Open subscriptions (REQs not yet CLOSEd) one connection may hold. */
  maxSubscriptionsPerConnection: number;
  /** Sustained EVENT rate of one connection; bursts up to one second's worth pass. */
  maxEventsPerSecondPerConnection: number;
  /** Filters in one REQ. */
  maxFiltersPerSubscription: number;
  /** Concurrent WebSocket connections to the relay. */
  maxConnections: number;
}

export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = Object.freeze({
  maxMessageBytes: 128 * 1024,
  maxSubscriptionsPerConnection: 20,
  maxEventsPerSecondPerConnection: 50,
  maxFiltersPerSubscription: 10,
  maxConnections: 256,
});

/**
 * Frames up to this multiple of `maxMessageBytes` are read and answered with a reason
 * (OK false / CLOSED / NOTICE) so the connection stays usable; anything larger is cut off by
 * the WebSocket layer (close code 1009), because buffering arbitrarily large frames is the
 * very cost the limit exists to prevent.
 */
export const HARD_FRAME_MULTIPLIER = 4;

/** Longest subscription id accepted (the validator's default, advertised through NIP-11). */
export const SUBSCRIPTION_ID_MAX_LENGTH = 128;

export function resolveRelayLimits(partial: Partial<RelayLimits> | undefined): RelayLimits {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS };
  for (const key of Object.keys(DEFAULT_RELAY_LIMITS) as (keyof RelayLimits)[]) {
    const value = partial?.[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 1) throw new AppError('BAD_INPUT', `relay limit ${key} must be a positive number, got ${value}`);
    limits[key] = Math.floor(value);
  }
  return limits;
}
