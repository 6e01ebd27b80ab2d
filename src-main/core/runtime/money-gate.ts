import { AppError } from '../errors.js';
import type { Agent } from './agents.js';
import { requiresApproval } from './autonomy.js';
import { budgetStatus, describeStatus, isExceeded, type BudgetMeter, type BudgetStatus } from './budget.js';

export type GateDecision =
  | { kind: 'allow'; budget: BudgetStatus }
  | { kind: 'needs_approval'; reason: string; budget: BudgetStatus }
  | { kind: 'deny'; reason: string; budget: BudgetStatus };

export interface InvoiceFacts {
  paymentHash: string;
  amountSats: number | null;
  expiresAt: number;
  payeeNodeKey: string;
}

/**
 * The one gate every agent spend passes (ARCHITECTURE.md "Money and authority flow"):
 * budget (daily, session, per tick) → autonomy (approval) → invoice checks. Code that pays
 * for an agent calls `decide` immediately before paying; nothing pays around it.
 */
export class MoneyGate {
  constructor(private readonly meter: BudgetMeter) {}

  decide(agent: Agent, amountSats: number, opts: { tickSpentSats: number; approved: boolean; now?: number }): GateDecision {
    const usage = this.meter.usage(agent.id, agent.sessionStartedAt, opts.now);
    const status = budgetStatus(usage, agent.budget, amountSats);
    if (isExceeded(status)) {
      return { kind: 'deny', reason: `${describeStatus(status)} (spent today ${usage.dailySats}/${agent.budget.dailySats}, this session ${usage.sessionSats}/${agent.budget.sessionSats}, asked ${amountSats})`, budget: status };
    }
    if (opts.tickSpentSats + amountSats > agent.budget.tickSats) {
      return { kind: 'deny', reason: `per-tick sats limit would be exceeded (${opts.tickSpentSats} spent this tick + ${amountSats} > ${agent.budget.tickSats})`, budget: status };
    }
    if (!opts.approved && requiresApproval(agent.autonomy, amountSats, agent.approvalThresholdSats)) {
      const reason = agent.autonomy === 'supervised'
        ? 'supervised agents need the operator’s approval for every spend'
        : `spends above ${agent.approvalThresholdSats} sats need the operator’s approval`;
      return { kind: 'needs_approval', reason, budget: status };
    }
    return { kind: 'allow', budget: status };
  }

  /**
   * PROTOCOL.md money rule 2, the invoice part: returns the amount that would be paid.
   * `alreadyPaid` is true when this wallet has already settled the payment hash.
   */
  checkInvoice(inv: InvoiceFacts, opts: { now: number; ownNodeKey: string; amountSats?: number | undefined; alreadyPaid: boolean }): number {
    if (inv.expiresAt <= opts.now) throw new AppError('INVOICE_INVALID', 'the invoice has expired');
    if (inv.payeeNodeKey === opts.ownNodeKey) throw new AppError('INVOICE_INVALID', 'the invoice was issued by this same wallet');
    if (opts.alreadyPaid) throw new AppError('ALREADY_PAID', `invoice ${inv.paymentHash.slice(0, 16)}… is already paid`);
    if (inv.amountSats === null) {
      if (opts.amountSats === undefined) throw new AppError('INVOICE_INVALID', 'the invoice has no amount: give amount_sats');
      return opts.amountSats;
    }
    if (opts.amountSats !== undefined && opts.amountSats !== inv.amountSats) {
      throw new AppError('INVOICE_INVALID', `the invoice is for ${inv.amountSats} sats, not ${opts.amountSats}`);
    }
    if (inv.amountSats <= 0) throw new AppError('INVOICE_INVALID', 'the invoice amount must be positive');
    return inv.amountSats;
  }
}
