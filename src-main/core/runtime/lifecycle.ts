import { AppError } from '../errors.js';

/**
 * One lifecycle for an agent, joining seed 002 (funding: Spawning → Active ⇄ LowBalance ⇄
 * Hibernating → Dead) and seed 004 (process: Creating, Active, Dormant, Failed, Terminated).
 * docs/LIFECYCLE.md draws the machine; this table is its single source.
 */
export type Lifecycle =
  | 'creating'
  | 'spawning'
  | 'active'
  | 'low_balance'
  | 'hibernating'
  | 'dead'
  | 'dormant'
  | 'failed'
  | 'terminated';

export const LIFECYCLES: readonly Lifecycle[] = ['creating', 'spawning', 'active', 'low_balance', 'hibernating', 'dead', 'dormant', 'failed', 'terminated'];

export type LifecycleEvent =
  | { type: 'created'; funded: boolean }
  | { type: 'creation_failed'; reason: string }
  | { type: 'funding'; state: FundingState }
  | { type: 'stop' }
  | { type: 'start'; funding: FundingState; fundedBefore: boolean }
  | { type: 'fail'; reason: string }
  | { type: 'kill' };

/** What the balance alone says about an agent that has been funded. */
export type FundingState = 'active' | 'low_balance' | 'hibernating' | 'dead';

export const RUNWAY_DAYS_LOW = 7;

/**
 * Funding state from balance and the observed daily burn (sats/day). Integer arithmetic only:
 * runway < 7 days ⇔ balance < 7 × burn.
 */
export function fundingState(balanceSats: number, dailyBurnSats: number, hibernateThresholdSats: number): FundingState {
  if (balanceSats <= 0) return 'dead';
  if (balanceSats < hibernateThresholdSats) return 'hibernating';
  if (dailyBurnSats > 0 && balanceSats < RUNWAY_DAYS_LOW * dailyBurnSats) return 'low_balance';
  return 'active';
}

/** Funding-driven states: the ones the balance may move an agent between. */
const FUNDING_STATES = new Set<Lifecycle>(['spawning', 'active', 'low_balance', 'hibernating']);

/**
 * The next state for an event, or the same state when the event does not apply. Illegal
 * operator requests (starting a terminated agent…) throw a clear error.
 */
export function nextLifecycle(current: Lifecycle, event: LifecycleEvent): Lifecycle {
  switch (event.type) {
    case 'created':
      if (current !== 'creating') return current;
      return event.funded ? 'active' : 'spawning';
    case 'creation_failed':
      return current === 'creating' ? 'failed' : current;
    case 'funding': {
      if (!FUNDING_STATES.has(current)) return current; // dormant, failed, dead, terminated ignore the balance
      if (current === 'spawning' && event.state === 'dead') return 'spawning'; // never funded yet: still waiting
      // Hibernating agents wake only on incoming funds, which is exactly when the state improves.
      return event.state;
    }
    case 'stop':
      if (current === 'terminated') throw new AppError('AGENT_NOT_RUNNABLE', 'the agent was killed; it cannot be stopped or started');
      return 'dormant';
    case 'start':
      if (current === 'terminated') throw new AppError('AGENT_NOT_RUNNABLE', 'the agent was killed; it cannot be started again');
      if (!event.fundedBefore) return 'spawning';
      if (event.funding === 'dead') {
        throw new AppError('AGENT_NOT_RUNNABLE', 'the agent has no sats; fund it (`openagents agent fund`) before starting it');
      }
      return event.funding;
    case 'fail':
      return current === 'terminated' ? current : 'failed';
    case 'kill':
      return 'terminated';
  }
}

/** Which triggers may wake an agent in a given state. */
export function mayTick(state: Lifecycle, trigger: string): boolean {
  switch (state) {
    case 'active':
    case 'low_balance':
      return true;
    case 'hibernating':
      return trigger === 'payment';
    case 'spawning':
      return trigger === 'manual' || trigger === 'payment' || trigger === 'message' || trigger === 'approval';
    default:
      return false;
  }
}

/** Heartbeat interval multiplier: a low-balance agent wakes half as often (seed 002: reduced frequency). */
export function heartbeatFactor(state: Lifecycle): number {
  return state === 'low_balance' ? 2 : 1;
}
