/**
 * The one typed contract between the core and every face (CLI, daemon WebSocket, Electron
 * IPC, the renderer). Each procedure is a name, a zod input schema and an output type.
 * This module is imported by the renderer: it must stay free of Node-only imports.
 */
import { z } from 'zod';

const sats = z.number().int().min(0).max(2_100_000_000_000_000);
const positiveSats = z.number().int().min(1).max(2_100_000_000_000_000);
const agentRef = z.string().min(1).max(200);
const autonomy = z.enum(['supervised', 'semi_autonomous', 'fully_autonomous']);
const network = z.enum(['devnet', 'regtest', 'mainnet']);

export const budgetPatch = z.object({
  maxTickSeconds: z.number().int().min(1).max(86_400).optional(),
  dailyComputeSeconds: z.number().int().min(1).optional(),
  storageBytes: z.number().int().min(1).optional(),
  modelCallsPerDay: z.number().int().min(0).optional(),
  dailySats: sats.optional(),
  sessionSats: sats.optional(),
  tickSats: sats.optional(),
  warnPct: z.number().int().min(1).max(100).optional(),
}).strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const pubkeyList = z.array(z.string().min(1).max(200)).max(10_000);

/** Every provider setting; each one can be changed by `openagents provider set KEY VALUE`. */
export const providerSettingsPatch = z.object({
  /** A model of `openagents models list`. */
  model: z.string().min(1).max(200).optional(),
  /** The least a job costs, in sats. */
  minPriceSats: sats.optional(),
  /** Added per 1,000 output tokens the job may produce, in sats. */
  pricePer1kSats: sats.optional(),
  /** The most tokens one job may produce. */
  maxTokens: z.number().int().min(1).max(32_768).optional(),
  /** Jobs paid and running or waiting for the engine at once; more are refused as busy. */
  maxConcurrent: z.number().int().min(1).max(64).optional(),
  /** How long a payment-required invoice stays open. */
  paymentTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
  /** Only these requesters (npub or hex) are served; empty = anyone not denied. */
  allow: pubkeyList.optional(),
  /** Requesters (npub or hex) never served. */
  deny: pubkeyList.optional(),
  /** Unfinished jobs one requester may have at once. */
  maxInFlightPerRequester: z.number().int().min(1).max(1000).optional(),
  /** Jobs one requester may start per hour. */
  maxJobsPerRequesterPerHour: z.number().int().min(1).max(100_000).optional(),
  /** Sell only inside these local hours ("22:00"–"07:00" crosses midnight); null = any time. */
  hours: z.object({ start: hhmm, end: hhmm }).nullable().optional(),
  /** Sell only while the machine is idle: the desktop's idle time, or (headless) other programs' CPU use. */
  onlyWhenIdle: z.boolean().optional(),
  /** Desktop: minutes without keyboard/mouse before the machine counts as idle. */
  idleMinutes: z.number().int().min(1).max(1440).optional(),
  /** Headless: the machine counts as idle while other programs use less than this share of the CPU. */
  maxOtherCpuPercent: z.number().int().min(1).max(100).optional(),
  /** Pause while running on battery. */
  pauseOnBattery: z.boolean().optional(),
  /** CPU threads for inference; null = chosen from the model and the cores. */
  threads: z.number().int().min(1).max(256).nullable().optional(),
  /** The most model layers offloaded to the GPU; null = as many as fit. */
  gpuLayers: z.number().int().min(0).max(1000).nullable().optional(),
  /** Go back online when the app or daemon starts, if it was online when it stopped. Off by default. */
  resumeAtStart: z.boolean().optional(),
  /** The operator's own agents go ahead of market jobs waiting for the engine. */
  agentsFirst: z.boolean().optional(),
}).strict();
export type ProviderSettingsPatch = z.infer<typeof providerSettingsPatch>;
export type ProviderSettingKey = keyof ProviderSettingsPatch;

export const procedures = {
  'system.status': z.object({}).strict(),
  'identity.init': z.object({ importMnemonic: z.string().min(1).max(1000).optional(), network: network.default('devnet') }).strict(),
  'identity.status': z.object({}).strict(),
  'identity.exportMnemonic': z.object({}).strict(),

  'agents.spawn': z.object({
    name: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'letters, digits, space, _ . - only'),
    bootstrapSats: sats.default(0),
    /** Default: the operator's setting (SemiAutonomous unless changed). */
    autonomy: autonomy.optional(),
    heartbeatSeconds: z.number().int().min(10).max(30 * 86_400).default(900),
    approvalThresholdSats: sats.optional(),
    dailyLimitSats: sats.optional(),
    maxSteps: z.number().int().min(1).max(50).default(8),
    instructions: z.string().max(4000).default(''),
    budget: budgetPatch.optional(),
  }).strict(),
  'agents.list': z.object({}).strict(),
  'agents.status': z.object({ agent: agentRef }).strict(),
  'agents.start': z.object({ agent: agentRef }).strict(),
  'agents.stop': z.object({ agent: agentRef }).strict(),
  'agents.kill': z.object({ agent: agentRef }).strict(),
  'agents.fund': z.object({ agent: agentRef, amountSats: positiveSats }).strict(),
  'agents.tick': z.object({ agent: agentRef, message: z.string().min(1).max(20_000).optional() }).strict(),
  'agents.route': z.object({ agent: agentRef, backend: z.string().min(1).max(64).nullable() }).strict(),
  'agents.configure': z.object({
    agent: agentRef,
    autonomy: autonomy.optional(),
    approvalThresholdSats: sats.optional(),
    heartbeatSeconds: z.number().int().min(10).max(30 * 86_400).optional(),
    maxSteps: z.number().int().min(1).max(50).optional(),
    instructions: z.string().max(4000).optional(),
    budget: budgetPatch.optional(),
  }).strict(),
  'agents.ticks': z.object({ agent: agentRef, limit: z.number().int().min(1).max(1000).default(20) }).strict(),
  'ticks.trajectory': z.object({ tickId: z.string().min(1) }).strict(),

  'approvals.list': z.object({ status: z.enum(['pending', 'approved', 'rejected', 'expired', 'all']).default('pending'), agent: agentRef.optional() }).strict(),
  'approvals.approve': z.object({ id: z.string().min(1), amountSats: sats.optional(), reason: z.string().max(1000).optional() }).strict(),
  'approvals.reject': z.object({ id: z.string().min(1), reason: z.string().max(1000).optional() }).strict(),

  'wallet.balance': z.object({ agent: agentRef.optional() }).strict(),
  'wallet.invoice': z.object({ amountSats: positiveSats.optional(), memo: z.string().max(639).default(''), agent: agentRef.optional() }).strict(),
  'wallet.pay': z.object({ invoice: z.string().min(1).max(4000), amountSats: positiveSats.optional(), maxFeeSats: sats.default(10) }).strict(),
  'wallet.history': z.object({ agent: agentRef.optional(), limit: z.number().int().min(1).max(1000).default(50) }).strict(),
  'wallet.faucet': z.object({ amountSats: positiveSats.max(10_000_000) }).strict(),

  'backends.add': z.object({
    name: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    /** An OpenAI-compatible server's base URL; omitted for a local model (`local`). */
    url: z.string().url().optional(),
    /** For an OpenAI-compatible server: its model name. */
    model: z.string().min(1).max(200).optional(),
    /** A model of `openagents models list`, run by the local engine. */
    local: z.string().min(1).max(80).optional(),
    apiKey: z.string().min(1).max(1000).optional(),
    costInSatsPer1k: sats.default(0),
    costOutSatsPer1k: sats.default(0),
    makeDefault: z.boolean().optional(),
  }).strict().refine((b) => (b.local !== undefined) !== (b.url !== undefined && b.model !== undefined), { message: 'give either url and model (an OpenAI-compatible server) or local (a local model)' }),
  'backends.list': z.object({}).strict(),
  'backends.remove': z.object({ name: z.string().min(1) }).strict(),
  'backends.setEnabled': z.object({ name: z.string().min(1), enabled: z.boolean() }).strict(),

  'relays.list': z.object({}).strict(),
  'relays.add': z.object({ url: z.string().min(1).max(500) }).strict(),
  'relays.remove': z.object({ url: z.string().min(1).max(500) }).strict(),
  'nostr.publish': z.object({
    kind: z.number().int().min(0).max(65535),
    content: z.string().max(100_000).default(''),
    tags: z.array(z.array(z.string().max(10_000)).min(1)).max(200).default([]),
    as: agentRef.optional(),
  }).strict(),
  'nostr.query': z.object({ filter: z.record(z.string(), z.unknown()), timeoutMs: z.number().int().min(100).max(30_000).default(3000) }).strict(),
  'agents.dm': z.object({ agent: agentRef, message: z.string().min(1).max(20_000) }).strict(),
  'agents.allow': z.object({ agent: agentRef, pubkeys: z.array(z.string().min(1)).max(1000).default([]), anyone: z.boolean().optional() }).strict(),
  'agents.deny': z.object({ agent: agentRef, pubkeys: z.array(z.string().min(1)).min(1).max(1000) }).strict(),

  'activity.list': z.object({ agent: agentRef.optional(), kind: z.string().max(40).optional(), limit: z.number().int().min(1).max(5000).default(500) }).strict(),
  'budgets.overview': z.object({ days: z.number().int().min(1).max(90).default(14) }).strict(),
  'backends.test': z.object({ name: z.string().min(1) }).strict(),
  'settings.get': z.object({}).strict(),
  'settings.set': z.object({
    defaultAutonomy: autonomy.optional(),
    defaultApprovalThresholdSats: sats.optional(),
    defaultDailyLimitSats: sats.optional(),
    notifications: z.boolean().optional(),
    startAtLogin: z.boolean().optional(),
    closeToTray: z.boolean().optional(),
    /** Local times "HH:MM"; null turns the overnight autopilot window off. */
    autopilotWindow: z.object({ start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM'), end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM') }).nullable().optional(),
  }).strict(),

  'provider.online': providerSettingsPatch,
  'provider.offline': z.object({}).strict(),
  'provider.status': z.object({}).strict(),
  /** Change settings without going online or offline (`openagents provider set KEY VALUE`). */
  'provider.set': providerSettingsPatch,
  'provider.jobs': z.object({ limit: z.number().int().min(1).max(1000).default(50) }).strict(),
  /** The operator stops a job; a paid one is refunded when the requester can be paid (lud16), else recorded as owed. */
  'provider.cancel': z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, 'a job id (64 hex)') }).strict(),
  /** Pays a refund still owed for a job (the requester may have published a Lightning address since). */
  'provider.refund': z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, 'a job id (64 hex)') }).strict(),
  /** Earnings since a time (ms; default: 30 days ago), by local day, model and requester, net of the agents' spending. */
  'earnings.summary': z.object({ since: z.number().int().min(0).optional() }).strict(),
  /** Buy a NIP-90 text generation from the market with the operator wallet: post, pay the invoice (≤ maxSats), wait for the result. */
  'market.request': z.object({
    prompt: z.string().min(1).max(20_000),
    maxSats: positiveSats,
    maxTokens: z.number().int().min(1).max(32_768).optional(),
    /** npub or hex of one provider; omitted = any provider. */
    provider: z.string().min(1).max(200).optional(),
    /** Encrypt the request to the provider (NIP-04); needs `provider`. */
    encrypted: z.boolean().default(false),
    timeoutSeconds: z.number().int().min(1).max(3600).default(120),
  }).strict(),
  'models.recommended': z.object({}).strict(),
  /** The desktop's native file picker (Electron only; elsewhere a typed error says to type the path). */
  'system.pickFile': z.object({ purpose: z.enum(['model', 'folder']) }).strict(),
  /** The folder pulled models go to: show it, choose another (created if missing), or null for the home's. */
  'models.folder': z.object({ path: z.string().min(1).max(4096).nullable().optional() }).strict(),
  'localApi.status': z.object({}).strict(),
  'localApi.on': z.object({ port: z.number().int().min(0).max(65535).optional() }).strict(),
  'localApi.off': z.object({}).strict(),
  'models.list': z.object({}).strict(),
  'models.import': z.object({ path: z.string().min(1).max(4096), name: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/).optional() }).strict(),
  'models.pull': z.object({ url: z.string().url(), sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex characters').optional(), name: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/).optional() }).strict(),
  'models.remove': z.object({ name: z.string().min(1) }).strict(),

  'receipts.verify': z.object({}).strict(),
  'receipts.list': z.object({ agent: agentRef.optional(), limit: z.number().int().min(1).max(1000).default(50) }).strict(),
} as const;

export type ProcedureName = keyof typeof procedures;
export type ProcedureInput<P extends ProcedureName> = z.input<(typeof procedures)[P]>;
export type ParsedInput<P extends ProcedureName> = z.output<(typeof procedures)[P]>;

// ---- output shapes ----

export type Lifecycle = 'creating' | 'spawning' | 'active' | 'low_balance' | 'hibernating' | 'dead' | 'dormant' | 'failed' | 'terminated';
export type AutonomyLevel = z.infer<typeof autonomy>;
export type NetworkName = z.infer<typeof network>;

export interface BudgetLimitsView {
  maxTickSeconds: number; dailyComputeSeconds: number; storageBytes: number; modelCallsPerDay: number;
  dailySats: number; sessionSats: number; tickSats: number; warnPct: number;
}

export type BudgetStatusView =
  | { kind: 'ok' }
  | { kind: 'warning'; sessionPct: number; dailyPct: number }
  | { kind: 'session_exceeded' }
  | { kind: 'daily_exceeded' };

export interface AgentSummary {
  id: string;
  name: string;
  pubkey: string;
  npub: string;
  lifecycle: Lifecycle;
  lifecycleReason: string;
  autonomy: AutonomyLevel;
  approvalThresholdSats: number;
  heartbeatSeconds: number;
  balanceSats: number;
  runwayDays: number | null;
  nextTickAt: number | null;
  lastTickAt: number | null;
  tickCount: number;
  backend: string | null;
  walletAccount: number;
  network: NetworkName;
}

export interface AgentStatus extends AgentSummary {
  budget: BudgetLimitsView;
  usage: { dailySats: number; sessionSats: number; modelCallsToday: number; computeSecondsToday: number; storageBytes: number };
  budgetStatus: BudgetStatusView;
  dailyBurnSats: number;
  goals: { id: number; description: string; priority: number; status: string }[];
  memories: { id: number; content: string; createdAt: number }[];
  pendingApprovals: number;
  maxSteps: number;
  instructions: string;
  lifecycleHistory: { fromState: string | null; toState: string; reason: string; createdAt: number }[];
}

export type TickStatus = 'running' | 'success' | 'error' | 'cancelled' | 'skipped' | 'rolled_back' | 'resumed';

export interface TickView {
  id: string;
  agentId: string;
  seq: number;
  triggerKind: string;
  status: TickStatus;
  phase: string;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  steps: number;
  actions: number;
  modelCalls: number;
  costSats: number;
  summary: string;
  error: string | null;
  recovery: string | null;
}

export interface TrajectoryStep {
  step: number;
  type: string;
  content: unknown;
  tokensIn: number | null;
  tokensOut: number | null;
  createdAt: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalView {
  id: string;
  agentId: string;
  agentName: string;
  tickId: string | null;
  action: string;
  description: string;
  amountSats: number;
  createdAt: number;
  expiresAt: number;
  status: ApprovalStatus;
  decidedAt: number | null;
  reason: string | null;
  editedAmountSats: number | null;
  execution: 'none' | 'queued' | 'executed' | 'failed';
  outcome: unknown;
}

export interface ApprovalDecision {
  approval: ApprovalView;
  /** true when the approved action ran before this call returned; false when it is still queued. */
  executed: boolean;
}

export interface WalletBalanceView { owner: string; balanceSats: number; network: NetworkName; label: string }
export interface InvoiceView { bolt11: string; paymentHash: string; amountSats: number | null; memo: string; expiresAt: number }
export interface PaymentView { paymentHash: string; preimage: string; amountSats: number; feeSats: number; settledAt: number }
export interface WalletTxView {
  direction: 'in' | 'out'; paymentHash: string; amountSats: number; feeSats: number; memo: string;
  state: string; createdAt: number; settledAt: number | null; kind: 'payment' | 'faucet';
}

export interface BackendView {
  name: string; kind: string; url: string; model: string; hasApiKey: boolean;
  costInSatsPer1k: number; costOutSatsPer1k: number; enabled: boolean; isDefault: boolean;
}

export interface RelayStatusView {
  url: string; state: 'connecting' | 'connected' | 'error' | 'closed'; lastError: string | null; latencyMs: number | null; connectedAt: number | null; reconnects: number;
}
export interface RelaysView { configured: string[]; relays: RelayStatusView[]; embeddedRelay: string | null; pendingEvents: number }
export interface NostrEventView { id: string; pubkey: string; kind: number; created_at: number; tags: string[][]; content: string; sig: string }
export interface AllowListView { agent: string; anyone: boolean; allowed: string[]; denied: string[] }

/** One audited action: every receipt (payment, spend, approval decision, tick result, funding) with its verification. */
export interface ActivityItem {
  id: string;
  kind: string;
  agentId: string | null;
  agentName: string | null;
  summary: string;
  amountSats: number | null;
  createdAt: number;
  verified: boolean;
  problem: string | null;
  tickId: string | null;
}

export interface BudgetsOverview {
  days: string[];
  agents: {
    id: string; name: string; lifecycle: Lifecycle; budget: BudgetLimitsView; status: BudgetStatusView;
    usage: { dailySats: number; sessionSats: number; modelCallsToday: number; computeSecondsToday: number; storageBytes: number };
    spendByDay: number[];
  }[];
  totals: { todaySats: number; dailyLimitSats: number; spendByDay: number[] };
}

export interface SettingsView {
  home: string;
  network: NetworkName | null;
  defaultAutonomy: AutonomyLevel;
  defaultApprovalThresholdSats: number;
  defaultDailyLimitSats: number;
  notifications: boolean;
  startAtLogin: boolean;
  closeToTray: boolean;
  /** While inside this local window the desktop keeps the machine awake for the autopilot. */
  autopilotWindow: { start: string; end: string } | null;
}

export type ProviderState = 'offline' | 'connecting' | 'online' | 'degraded' | 'paused';

/** Stored provider settings: every key of the patch, filled with defaults. */
export type ProviderSettingsView = { [K in Exclude<keyof ProviderSettingsPatch, 'model'>]-?: Exclude<ProviderSettingsPatch[K], undefined> } & { model: string | null };

/** One preflight check before going online (and re-checked while online). */
export interface ProviderCheck { name: 'model' | 'wallet' | 'relays'; ok: boolean; detail: string }

/** A job the engine is working on now or that waits for it. */
export interface LiveJobView { id: string; customer: string; priceSats: number; status: 'queued' | 'processing'; tokens: number; text: string; startedAt: number | null }

export interface ProviderStatusView {
  state: ProviderState;
  /** Why it is paused or degraded (limits, a failed relay or model), in words. */
  reasons: string[];
  lastError: string | null;
  pubkey: string;
  npub: string;
  model: string | null;
  minPriceSats: number;
  pricePer1kSats: number;
  maxTokens: number;
  relays: { url: string; connected: boolean }[];
  checks: ProviderCheck[];
  settings: ProviderSettingsView;
  live: LiveJobView[];
  earnedTodaySats: number;
  earnedTotalSats: number;
  jobsToday: number;
  /** The local engine: hardware and the loaded model. */
  engine: { hardware: HardwareView | null; loaded: { model: string; contextSize: number; threads: number; gpuLayers: number; note: string } | null; /** The inference process, while it runs. */ pid: number | null };
}

export interface JobView {
  id: string; customer: string; status: string; model: string | null; maxTokens: number; bidMsats: number | null; priceSats: number;
  outputTokens: number | null; error: string | null; createdAt: number; paidAt: number | null; finishedAt: number | null;
  encrypted: boolean; promptPreview: string;
  refund: { status: 'owed' | 'paid' | 'failed'; sats: number; detail: string | null } | null;
}

export interface EarningsBucket { key: string; sats: number; jobs: number }
export interface EarningsView {
  since: number;
  totalSats: number;
  jobs: number;
  refundedSats: number;
  refundsOwedSats: number;
  /** Sats the operator's agents spent in the same period (payments and paid model calls). */
  agentSpendingSats: number;
  netSats: number;
  /** Local calendar days "YYYY-MM-DD", oldest first, every day of the period present. */
  byDay: EarningsBucket[];
  byModel: EarningsBucket[];
  /** key = requester pubkey (hex). */
  byRequester: EarningsBucket[];
}

export interface MarketResultView {
  jobId: string; provider: string; paidSats: number; text: string; feedback: { status: string; detail: string }[];
}

export interface HardwareView { gpu: string | false; vramBytes: number | null; ramBytes: number; freeRamBytes: number; cores: number; note: string }
export interface RecommendedModelView {
  name: string; description: string; url: string; sizeBytes: number; needsRamBytes: number;
  fits: boolean; why: string; installed: boolean;
}
export interface RecommendationsView { hardware: HardwareView; models: RecommendedModelView[] }
export interface ModelFolderView { folder: string; isDefault: boolean; freeBytes: number | null }

/** The local OpenAI-compatible server: running only inside the daemon/desktop. */
export interface LocalApiView { enabled: boolean; running: boolean; baseUrl: string | null; port: number; keyFile: string }

export interface ModelView { name: string; path: string; source: string; sizeBytes: number; sha256: string | null; architecture: string; owned: boolean; addedAt: number }

export interface ReceiptView { id: string; agentId: string | null; kind: string; signer: string; hash: string; createdAt: number; body: unknown }

export interface SystemStatus {
  home: string;
  network: NetworkName | null;
  initialized: boolean;
  mode: 'daemon' | 'direct' | 'electron';
  relayUrl: string | null;
  pid: number;
  startedAt: number;
  agents: number;
  pendingApprovals: number;
  label: string;
}

export interface ProcedureOutputs {
  'system.status': SystemStatus;
  'identity.init': { pubkey: string; npub: string; network: NetworkName; imported: boolean; mnemonic: string };
  'identity.status': { initialized: boolean; pubkey: string | null; npub: string | null; network: NetworkName | null };
  'identity.exportMnemonic': { mnemonic: string };
  'agents.spawn': AgentSummary;
  'agents.list': AgentSummary[];
  'agents.status': AgentStatus;
  'agents.start': AgentSummary;
  'agents.stop': AgentSummary;
  'agents.kill': AgentSummary;
  'agents.fund': { agent: AgentSummary; payment: PaymentView };
  'agents.tick': TickView;
  'agents.route': AgentSummary;
  'agents.configure': AgentStatus;
  'agents.ticks': TickView[];
  'ticks.trajectory': { tick: TickView; steps: TrajectoryStep[] };
  'approvals.list': ApprovalView[];
  'approvals.approve': ApprovalDecision;
  'approvals.reject': ApprovalDecision;
  'wallet.balance': WalletBalanceView;
  'wallet.invoice': InvoiceView;
  'wallet.pay': PaymentView;
  'wallet.history': WalletTxView[];
  'wallet.faucet': { balanceSats: number; label: string };
  'backends.add': BackendView;
  'backends.list': BackendView[];
  'backends.remove': { removed: string };
  'backends.setEnabled': BackendView;
  'relays.list': RelaysView;
  'relays.add': RelaysView;
  'relays.remove': RelaysView;
  'nostr.publish': { id: string; results: { url: string; ok: boolean; message: string }[] };
  'nostr.query': NostrEventView[];
  'agents.dm': { eventId: string; published: boolean };
  'agents.allow': AllowListView;
  'agents.deny': AllowListView;
  'activity.list': ActivityItem[];
  'budgets.overview': BudgetsOverview;
  'backends.test': { ok: true; latencyMs: number; model: string };
  'settings.get': SettingsView;
  'settings.set': SettingsView;
  'provider.online': ProviderStatusView;
  'provider.offline': ProviderStatusView;
  'provider.status': ProviderStatusView;
  'provider.set': ProviderStatusView;
  'provider.jobs': JobView[];
  'provider.cancel': JobView;
  'provider.refund': JobView;
  'earnings.summary': EarningsView;
  'market.request': MarketResultView;
  'models.recommended': RecommendationsView;
  'models.folder': ModelFolderView;
  'system.pickFile': { path: string | null };
  'localApi.status': LocalApiView;
  'localApi.on': LocalApiView;
  'localApi.off': LocalApiView;
  'models.list': ModelView[];
  'models.import': ModelView;
  'models.pull': ModelView;
  'models.remove': { removed: string; deletedFile: boolean };
  'receipts.verify': { total: number; valid: number; invalid: { id: string; reason: string }[] };
  'receipts.list': ReceiptView[];
}

export type ProcedureOutput<P extends ProcedureName> = ProcedureOutputs[P];

export interface ApiError { code: string; message: string; details?: Record<string, unknown> }
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---- the event stream ----

export interface CoreEvents {
  'tick.started': { agentId: string; tickId: string; trigger: string };
  'tick.finished': { agentId: string; tickId: string; status: TickStatus; summary: string };
  'approval.requested': { approvalId: string; agentId: string; amountSats: number; description: string };
  'approval.decided': { approvalId: string; agentId: string; status: ApprovalStatus; executed: boolean };
  'balance.changed': { owner: string; balanceSats: number };
  'lifecycle.changed': { agentId: string; from: Lifecycle | null; to: Lifecycle; reason: string };
  'budget.warning': { agentId: string; status: BudgetStatusView };
  'payment.sent': { owner: string; amountSats: number; paymentHash: string };
  'payment.received': { owner: string; amountSats: number; paymentHash: string };
  'agent.spawned': { agentId: string; name: string };
  'model.download': { url: string; receivedBytes: number; totalBytes: number | null; resumed: boolean };
  'provider.state': { state: ProviderState; reasons: string[]; checks: ProviderCheck[] };
  /** A job changed status (requested, paid, done, failed, refunded…). */
  'provider.job': { id: string; status: string; customer: string; priceSats: number };
  /** Text the engine produced for a job since the last event (at most every 100 ms). */
  'provider.tokens': { id: string; text: string; tokens: number };
}
export type CoreEventName = keyof CoreEvents;
export interface CoreEventMessage<E extends CoreEventName = CoreEventName> { event: E; data: CoreEvents[E] }

/** Wire frames of the WebSocket transport. */
export interface RequestFrame { id: number; proc: ProcedureName; input: unknown }
export interface ResponseFrame { id: number; result: Result<unknown> }
