import { describe, expect, it } from 'vitest';
import { fundingState, mayTick, nextLifecycle } from './lifecycle.js';

describe('funding state', () => {
  it('is dead at zero, hibernating below the threshold, low below 7 days of runway', () => {
    expect(fundingState(0, 10, 100)).toBe('dead');
    expect(fundingState(99, 0, 100)).toBe('hibernating');
    expect(fundingState(699, 100, 100)).toBe('low_balance');
    expect(fundingState(700, 100, 100)).toBe('active');
    expect(fundingState(1_000_000, 0, 100)).toBe('active');
  });
});

describe('lifecycle transitions', () => {
  it('goes creating → spawning → active on funding and back down as funds drain', () => {
    let s = nextLifecycle('creating', { type: 'created', funded: false });
    expect(s).toBe('spawning');
    expect(nextLifecycle(s, { type: 'funding', state: 'dead' })).toBe('spawning');
    s = nextLifecycle(s, { type: 'funding', state: 'active' });
    expect(s).toBe('active');
    s = nextLifecycle(s, { type: 'funding', state: 'low_balance' });
    expect(s).toBe('low_balance');
    s = nextLifecycle(s, { type: 'funding', state: 'hibernating' });
    expect(s).toBe('hibernating');
    s = nextLifecycle(s, { type: 'funding', state: 'active' });
    expect(s).toBe('active');
    s = nextLifecycle(s, { type: 'funding', state: 'dead' });
    expect(s).toBe('dead');
    // Dead is terminal for autonomous operation: funds alone do not revive it.
    expect(nextLifecycle(s, { type: 'funding', state: 'active' })).toBe('dead');
  });

  it('lets the operator stop, restart and kill; a killed agent stays killed', () => {
    expect(nextLifecycle('active', { type: 'stop' })).toBe('dormant');
    expect(nextLifecycle('dormant', { type: 'funding', state: 'low_balance' })).toBe('dormant');
    expect(nextLifecycle('dormant', { type: 'start', funding: 'active', fundedBefore: true })).toBe('active');
    expect(nextLifecycle('failed', { type: 'start', funding: 'low_balance', fundedBefore: true })).toBe('low_balance');
    expect(() => nextLifecycle('dead', { type: 'start', funding: 'dead', fundedBefore: true })).toThrow(/no sats/);
    expect(nextLifecycle('dead', { type: 'start', funding: 'active', fundedBefore: true })).toBe('active');
    expect(nextLifecycle('active', { type: 'kill' })).toBe('terminated');
    expect(() => nextLifecycle('terminated', { type: 'start', funding: 'active', fundedBefore: true })).toThrow(/killed/);
    expect(nextLifecycle('active', { type: 'fail', reason: 'x' })).toBe('failed');
  });

  it('wakes a hibernating agent only for incoming funds, and never a stopped one', () => {
    expect(mayTick('hibernating', 'heartbeat')).toBe(false);
    expect(mayTick('hibernating', 'message')).toBe(false);
    expect(mayTick('hibernating', 'payment')).toBe(true);
    expect(mayTick('dormant', 'manual')).toBe(false);
    expect(mayTick('active', 'heartbeat')).toBe(true);
    expect(mayTick('dead', 'payment')).toBe(false);
  });
});
