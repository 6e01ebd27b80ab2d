import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EventTemplate } from 'nostr-tools';
import { Kind } from './kinds.js';

/**
 * Event templates for the NIP-SA agent kinds (PROTOCOL.md, the 39200 block). Templates are
 * unsigned: the Nostr outbox signs them when it publishes. Kinds that must all be kept
 * (tick request/result, approvals, trajectory events) carry a unique `d` tag, since every
 * kind from 30000 to 39999 is addressable and a relay keeps only the newest per `d`.
 */

export type Template = EventTemplate;

const now = (ms: number): number => Math.floor(ms / 1000);

export function hashHex(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}

export interface ProfileContent {
  name: string;
  about: string;
  picture?: string;
  capabilities: string[];
  autonomy_level: 'supervised' | 'bounded' | 'autonomous';
  version: string;
}

export function agentProfile(content: ProfileContent, operatorPubkey: string, at: number): Template {
  return {
    kind: Kind.AgentProfile,
    created_at: now(at),
    tags: [['d', 'profile'], ['operator', operatorPubkey]],
    content: JSON.stringify(content),
  };
}

export interface AgentStateContent {
  goals: { id: number; description: string; priority: number; status: string }[];
  memory: string[];
  pending_tasks: string[];
  beliefs: Record<string, unknown>;
  wallet_balance: number;
  last_tick: number | null;
  tick_count: number;
}

/** `encryptedContent` is the state JSON NIP-44-encrypted by the agent to itself. */
export function agentState(encryptedContent: string, at: number): Template {
  return {
    kind: Kind.AgentState,
    created_at: now(at),
    tags: [['d', 'state'], ['encrypted'], ['state_version', '1']],
    content: encryptedContent,
  };
}

export function agentSchedule(s: { heartbeatSeconds: number; nextTickAt: number | null; active: boolean; triggers: string[] }, at: number): Template {
  const tags: string[][] = [['d', 'schedule'], ['heartbeat', String(s.heartbeatSeconds)], ['active', String(s.active)]];
  if (s.nextTickAt !== null) tags.push(['next_tick', String(now(s.nextTickAt))]);
  for (const t of s.triggers) tags.push(['trigger', t]);
  return { kind: Kind.AgentSchedule, created_at: now(at), tags, content: '' };
}

export function agentGoals(goals: { id: number; description: string; priority: number; status: string }[], at: number): Template {
  return { kind: Kind.AgentGoals, created_at: now(at), tags: [['d', 'goals']], content: JSON.stringify(goals) };
}

export interface TickRequestFields {
  tickId: string;
  agentPubkey: string;
  trigger: string;
  triggerEventId?: string | null;
  maxSteps: number;
  budgetSats: number;
  approvalThresholdSats?: number | null;
  guardianPubkey?: string | null;
}

export function tickRequest(f: TickRequestFields, at: number): Template {
  const tags: string[][] = [['d', f.tickId], ['p', f.agentPubkey], ['trigger', f.trigger], ['max_steps', String(f.maxSteps)], ['budget', String(f.budgetSats), 'lightning']];
  if (f.triggerEventId) tags.push(['e', f.triggerEventId]);
  if (f.approvalThresholdSats !== undefined && f.approvalThresholdSats !== null) tags.push(['approval_threshold', String(f.approvalThresholdSats)]);
  if (f.guardianPubkey) tags.push(['guardian', f.guardianPubkey]);
  return { kind: Kind.TickRequest, created_at: now(at), tags, content: '' };
}

export type TickResultStatus = 'success' | 'error' | 'partial';

export interface TickResultFields {
  tickId: string;
  agentPubkey: string;
  requestEventId: string;
  status: TickResultStatus;
  actions: number;
  costSats: number;
  durationMs: number;
  guardianApproved: string;
  /** NIP-44 encrypted summary (agent to itself). */
  encryptedSummary: string;
}

export function tickResult(f: TickResultFields, at: number): Template {
  return {
    kind: Kind.TickResult,
    created_at: now(at),
    tags: [
      ['d', `${f.tickId}:result`], ['p', f.agentPubkey], ['e', f.requestEventId], ['status', f.status], ['actions', String(f.actions)],
      ['cost', String(f.costSats)], ['duration', String(f.durationMs)], ['guardian_approved', f.guardianApproved],
    ],
    content: f.encryptedSummary,
  };
}

export function approvalRequest(f: { approvalId: string; guardianPubkey: string; tickRequestEventId: string | null; budgetRequestedSats: number; approvalThresholdSats: number; reason: string; expiresAt: number }, at: number): Template {
  const tags: string[][] = [['d', f.approvalId], ['p', f.guardianPubkey]];
  if (f.tickRequestEventId) tags.push(['e', f.tickRequestEventId]);
  tags.push(['budget_requested', String(f.budgetRequestedSats)], ['approval_threshold', String(f.approvalThresholdSats)], ['reason', f.reason], ['exp', String(now(f.expiresAt))]);
  return { kind: Kind.GuardianApprovalRequest, created_at: now(at), tags, content: '' };
}

export function approvalDecision(f: { approvalId: string; runnerPubkey: string; approvalRequestEventId: string | null; tickRequestEventId: string | null; decision: 'approved' | 'denied'; reason: string }, at: number): Template {
  const tags: string[][] = [['d', `${f.approvalId}:decision`], ['p', f.runnerPubkey]];
  if (f.approvalRequestEventId) tags.push(['e', f.approvalRequestEventId]);
  if (f.tickRequestEventId) tags.push(['e', f.tickRequestEventId]);
  tags.push(['decision', f.decision], ['reason', f.reason]);
  return { kind: Kind.GuardianApproval, created_at: now(at), tags, content: '' };
}

export function trajectorySession(f: { sessionId: string; model: string; startedAt: number; participants: string[] }, at: number): Template {
  return {
    kind: Kind.TrajectorySession,
    created_at: now(at),
    tags: [['d', f.sessionId], ['model', f.model], ['started_at', String(now(f.startedAt))], ...f.participants.map((p) => ['p', p])],
    content: '',
  };
}

export interface TrajectoryStepFields {
  sessionId: string;
  sessionEventId: string;
  relay: string;
  seq: number;
  type: string;
  content: unknown;
  ts: number;
  tokensIn?: number | null;
  tokensOut?: number | null;
  toolInvoked?: string | null;
  input?: unknown;
  output?: unknown;
}

export function trajectoryEvent(f: TrajectoryStepFields): Template {
  const tags: string[][] = [['d', `${f.sessionId}:${f.seq}`], ['e', f.sessionEventId, f.relay, 'root'], ['seq', String(f.seq)], ['action_type', f.type]];
  if (f.toolInvoked) tags.push(['tool_invoked', f.toolInvoked]);
  if (f.input !== undefined) tags.push(['input_hash', hashHex(JSON.stringify(f.input))]);
  if (f.output !== undefined) tags.push(['output_hash', hashHex(JSON.stringify(f.output))]);
  const content: Record<string, unknown> = { type: f.type, content: f.content, step: f.seq, ts: now(f.ts) };
  if (f.tokensIn != null) content.tokens_in = f.tokensIn;
  if (f.tokensOut != null) content.tokens_out = f.tokensOut;
  return { kind: Kind.TrajectoryEvent, created_at: now(f.ts), tags, content: JSON.stringify(content) };
}

// ---- parsing (both tag forms in the wild) ----

export interface ParsedTickResult {
  tickId: string | null;
  requestId: string | null;
  status: 'success' | 'error' | 'partial' | 'timeout';
  actions: number | null;
  costSats: number | null;
  durationMs: number | null;
}

const tag = (tags: string[][], name: string): string | undefined => tags.find((t) => t[0] === name)?.[1];

/**
 * Accepts the spec form (`e`, `status success|error|partial`, `duration`) and the older one
 * (`request`, `status success|failure|timeout`, `duration_ms`).
 */
export function parseTickResult(ev: { tags: string[][] }): ParsedTickResult {
  const d = tag(ev.tags, 'd');
  const rawStatus = tag(ev.tags, 'status') ?? 'error';
  const status = rawStatus === 'failure' ? 'error' : rawStatus === 'success' || rawStatus === 'partial' || rawStatus === 'timeout' ? rawStatus : 'error';
  const num = (v: string | undefined): number | null => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  return {
    tickId: d ? d.replace(/:result$/, '') : null,
    requestId: tag(ev.tags, 'e') ?? tag(ev.tags, 'request') ?? null,
    status,
    actions: num(tag(ev.tags, 'actions')),
    costSats: num(tag(ev.tags, 'cost')),
    durationMs: num(tag(ev.tags, 'duration') ?? tag(ev.tags, 'duration_ms')),
  };
}
