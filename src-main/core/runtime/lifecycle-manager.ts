import type { EventBus } from '../events.js';
import type { WalletRegistry } from '../wallet/registry.js';
import type { Agent, AgentStore } from './agents.js';
import type { BudgetMeter } from './budget.js';
import { fundingState, nextLifecycle, type Lifecycle, type LifecycleEvent } from './lifecycle.js';

/** Applies lifecycle events to stored agents and announces every change. */
export class LifecycleManager {
  constructor(
    private readonly agents: AgentStore,
    private readonly wallets: WalletRegistry,
    private readonly meter: BudgetMeter,
    private readonly events: EventBus,
  ) {}

  apply(agent: Agent, event: LifecycleEvent, reason: string): Lifecycle {
    const to = nextLifecycle(agent.lifecycle, event);
    if (to !== agent.lifecycle) {
      this.agents.setLifecycle(agent.id, agent.lifecycle, to, reason);
      this.events.emit('lifecycle.changed', { agentId: agent.id, from: agent.lifecycle, to, reason });
    }
    return to;
  }

  async funding(agent: Agent): Promise<{ balanceSats: number; dailyBurnSats: number; state: ReturnType<typeof fundingState> }> {
    const balanceSats = await this.wallets.agent(agent).wallet.balance();
    const dailyBurnSats = this.meter.dailyBurn(agent.id, agent.createdAt);
    return { balanceSats, dailyBurnSats, state: fundingState(balanceSats, dailyBurnSats, agent.hibernateThresholdSats) };
  }

  /** Re-reads the balance and moves the agent between the funding states. */
  async reevaluate(agentId: string): Promise<Lifecycle | null> {
    const agent = this.agents.get(agentId);
    if (!agent) return null;
    const f = await this.funding(agent);
    if (f.balanceSats > 0 && !agent.funded) this.agents.update(agent.id, { funded: true });
    const fresh = this.agents.get(agentId)!;
    const reason = `balance ${f.balanceSats} sats, burn ${f.dailyBurnSats} sats/day`;
    if (fresh.lifecycle === 'spawning' && f.balanceSats > 0) return this.apply(fresh, { type: 'funding', state: f.state }, `funded: ${reason}`);
    return this.apply(fresh, { type: 'funding', state: f.state }, reason);
  }
}
