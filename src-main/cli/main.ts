import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type {
  AgentStatus, AgentSummary, AllowListView, JobView, LocalApiView, ModelView, ProviderStatusView, ApprovalDecision, ApprovalView, BackendView, ProcedureName, ProcedureOutputs, RelaysView, TickView, WalletTxView,
} from '../core/api/contract.js';
import { defaultDevnetDir, defaultHome, DEVNET_LABEL } from '../core/config.js';
import { AppError, toAppError } from '../core/errors.js';
import { parseAutonomy } from '../core/runtime/autonomy.js';
import { startOfLocalDay } from '../core/runtime/budget.js';
import { connect } from './client.js';
import { parseProviderSetting, PROVIDER_SETTING_KINDS } from './provider-settings.js';


interface GlobalOpts { json?: boolean; home?: string }

class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function intArg(name: string, min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be at least ${min}`);
    return n;
  };
}

/** For positional arguments parsed inside an action: a typed error, printed like any other. */
function intValue(name: string, value: string, min = 0): number {
  try {
    return intArg(name, min)(value);
  } catch (err) {
    throw new AppError('BAD_INPUT', (err as Error).message);
  }
}

function autonomyArg(value: string): string {
  const level = parseAutonomy(value);
  if (!level) throw new InvalidArgumentError(`autonomy must be supervised, semi or full, got "${value}"`);
  return level;
}

const program = new Command();
program
  .name('openagents')
  .description('Operator CLI for autonomous agents: identity, agents, approvals, wallet, backends and the daemon.')
  .option('--json', 'print machine-readable JSON (secrets such as the mnemonic are never printed)')
  .option('--home <dir>', 'home directory (default $OPENAGENTS_HOME or ~/.openagents)')
  .showHelpAfterError()
  .exitOverride();

function globals(): GlobalOpts {
  return program.opts<GlobalOpts>();
}

function homeDir(): string {
  return globals().home ?? defaultHome();
}

function printError(e: { code: string; message: string }): void {
  if (globals().json) process.stdout.write(JSON.stringify({ ok: false, error: e }) + '\n');
  else process.stderr.write(`error: ${e.message}${e.code !== 'INTERNAL' ? ` (${e.code})` : ''}\n`);
}

/** Calls one procedure through the daemon or directly, prints the result, and fails loudly. */
async function call<P extends ProcedureName>(proc: P, input: unknown, render: (value: ProcedureOutputs[P]) => string, jsonValue?: (value: ProcedureOutputs[P]) => unknown, onEvent?: (event: string, data: unknown) => void): Promise<ProcedureOutputs[P]> {
  const client = await connect({ home: homeDir(), devnetDir: defaultDevnetDir(), passphrase: process.env.OPENAGENTS_PASSPHRASE });
  if (onEvent) client.onEvent(onEvent);
  try {
    const result = await client.call(proc, input);
    if (!result.ok) {
      printError(result.error);
      throw new CliExit(1);
    }
    const value = result.value as ProcedureOutputs[P];
    if (globals().json) process.stdout.write(JSON.stringify(jsonValue ? jsonValue(value) : value) + '\n');
    else process.stdout.write(render(value) + '\n');
    return value;
  } finally {
    await client.close();
  }
}

const fmtTime = (ms: number | null): string => (ms === null ? '—' : new Date(ms).toLocaleString());
const satsLabel = (n: number): string => `${n.toLocaleString('en-US')} sats`;

function agentLine(a: AgentSummary): string {
  return `${a.name.padEnd(16)} ${a.lifecycle.padEnd(12)} ${satsLabel(a.balanceSats).padStart(16)}  ${a.autonomy.padEnd(17)} next tick ${fmtTime(a.nextTickAt)}  ${a.npub}`;
}

function agentDetail(a: AgentStatus): string {
  return [
    `${a.name} (${a.id})  ${a.npub}`,
    `  lifecycle   ${a.lifecycle}${a.lifecycleReason ? ` — ${a.lifecycleReason}` : ''}`,
    `  balance     ${satsLabel(a.balanceSats)}${a.network === 'devnet' ? ` (${DEVNET_LABEL})` : ''}; burn ${a.dailyBurnSats}/day; runway ${a.runwayDays === null ? '∞' : `${a.runwayDays} days`}`,
    `  autonomy    ${a.autonomy} (approval above ${a.approvalThresholdSats} sats when semi-autonomous)`,
    `  heartbeat   every ${a.heartbeatSeconds} s; next ${fmtTime(a.nextTickAt)}; ${a.tickCount} ticks, last ${fmtTime(a.lastTickAt)}`,
    `  backend     ${a.backend ?? '(default)'}`,
    `  budget      ${a.budgetStatus.kind}; today ${a.usage.dailySats}/${a.budget.dailySats} sats, session ${a.usage.sessionSats}/${a.budget.sessionSats} sats, model calls ${a.usage.modelCallsToday}/${a.budget.modelCallsPerDay}, compute ${a.usage.computeSecondsToday}/${a.budget.dailyComputeSeconds} s, storage ${a.usage.storageBytes}/${a.budget.storageBytes} B`,
    `  approvals   ${a.pendingApprovals} pending`,
    `  goals       ${a.goals.length === 0 ? 'none' : ''}`,
    ...a.goals.map((g) => `    [${g.id}] ${g.status === 'done' ? '✓' : '·'} p${g.priority} ${g.description}`),
    `  memory      ${a.memories.length} notes`,
    ...a.memories.slice(0, 5).map((m) => `    - ${m.content}`),
  ].join('\n');
}

function tickLine(t: TickView): string {
  return `${t.id}  ${t.status.padEnd(11)} ${t.triggerKind.padEnd(9)} ${fmtTime(t.startedAt)}  ${t.durationMs ?? '—'} ms  steps ${t.steps}, actions ${t.actions}, model calls ${t.modelCalls}, cost ${t.costSats} sats  ${t.summary}${t.error ? `\n    error: ${t.error}` : ''}${t.recovery ? `\n    ${t.recovery}` : ''}`;
}

function approvalLine(a: ApprovalView): string {
  const left = a.status === 'pending' ? `expires ${fmtTime(a.expiresAt)}` : `${a.status} ${fmtTime(a.decidedAt)}${a.reason ? ` (${a.reason})` : ''}`;
  return `${a.id}  ${a.agentName.padEnd(16)} ${a.action.padEnd(12)} ${satsLabel(a.amountSats).padStart(14)}  ${a.status.padEnd(9)} ${left}\n    ${a.description}`;
}

function decisionText(d: ApprovalDecision): string {
  const a = d.approval;
  if (a.status === 'rejected') return `rejected ${a.id}; the action will never run`;
  const outcome = a.outcome as { ok?: boolean; error?: { message?: string }; paymentHash?: string } | null;
  if (!d.executed) return `approved ${a.id}; the action is queued and will run shortly`;
  return outcome?.ok ? `approved ${a.id}; executed (payment ${outcome.paymentHash ?? ''})` : `approved ${a.id}; execution failed: ${outcome?.error?.message ?? 'unknown error'}`;
}

function backendLine(b: BackendView): string {
  return `${b.isDefault ? '*' : ' '} ${b.name.padEnd(16)} ${b.model.padEnd(24)} ${b.kind === 'local' ? 'local engine' : b.url}  ${b.costInSatsPer1k}/${b.costOutSatsPer1k} sats per 1k in/out${b.hasApiKey ? ', api key stored' : ''}${b.enabled ? '' : ' (disabled)'}`;
}

function txLine(t: WalletTxView): string {
  return `${fmtTime(t.settledAt ?? t.createdAt)}  ${t.direction === 'in' ? '+' : '-'}${satsLabel(t.amountSats)}  ${t.kind === 'faucet' ? 'faucet' : t.state}  ${t.memo}`;
}

// ---- init & identity ----
program
  .command('init')
  .description('create the operator identity (or restore it from a mnemonic) for this home')
  .option('--import-mnemonic-file <file>', 'restore from the 12/24-word mnemonic in FILE')
  .option('--network <network>', 'devnet (default; offline, not real money)', 'devnet')
  .action(async (opts: { importMnemonicFile?: string; network: string }) => {
    let importMnemonic: string | undefined;
    if (opts.importMnemonicFile) {
      try {
        importMnemonic = readFileSync(opts.importMnemonicFile, 'utf8');
      } catch (err) {
        throw new AppError('BAD_INPUT', `cannot read ${opts.importMnemonicFile}: ${(err as Error).message}`);
      }
    }
    await call('identity.init', { importMnemonic, network: opts.network }, (v) => [
      `${v.imported ? 'Restored' : 'Created'} the operator identity on ${v.network}${v.network === 'devnet' ? ` (${DEVNET_LABEL})` : ''}.`,
      `  npub: ${v.npub}`,
      `  home: ${homeDir()}`,
      ...(v.imported ? [] : [
        '',
        'Write down this recovery phrase and keep it offline. It is shown only now',
        '(`openagents identity export-mnemonic` shows it again on request):',
        '',
        `  ${v.mnemonic}`,
      ]),
    ].join('\n'), (v) => ({ pubkey: v.pubkey, npub: v.npub, network: v.network, imported: v.imported }));
  });

const identity = program.command('identity').description('the operator identity');
identity.command('status').description('show the operator pubkey and network').action(async () => {
  await call('identity.status', {}, (v) => (v.initialized ? `npub ${v.npub} on ${v.network}` : 'no identity yet: run `openagents init`'));
});
identity.command('export-mnemonic').description('print the recovery phrase (keep it secret)').action(async () => {
  await call('identity.exportMnemonic', {}, (v) => v.mnemonic);
});

program.command('status').description('the home, the network and what runs').action(async () => {
  await call('system.status', {}, (v) => [
    `home      ${v.home}`,
    `network   ${v.network ?? '—'}${v.label ? ` (${v.label})` : ''}`,
    `identity  ${v.initialized ? 'ready' : 'none: run `openagents init`'}`,
    `via       ${v.mode === 'daemon' ? `daemon pid ${v.pid}` : 'this process (no daemon running)'}`,
    `agents    ${v.agents}; ${v.pendingApprovals} approvals pending`,
  ].join('\n'));
});

// ---- agents ----
const agent = program.command('agent').description('spawn, inspect and steer agents');
agent
  .command('spawn')
  .description('create an agent with its own Nostr key and wallet')
  .requiredOption('--name <name>', 'agent name (unique in this home)')
  .option('--bootstrap-sats <sats>', 'fund it from the operator wallet', intArg('bootstrap sats'))
  .option('--autonomy <level>', 'supervised | semi | full (default semi)', autonomyArg)
  .option('--heartbeat <seconds>', 'heartbeat interval (default 900)', intArg('heartbeat', 10))
  .option('--approval-threshold <sats>', 'semi-autonomous: approval needed above this (default 1000)', intArg('approval threshold'))
  .option('--daily-limit <sats>', 'sats it may spend per day (default 10000)', intArg('daily limit'))
  .option('--session-limit <sats>', 'sats it may spend per session', intArg('session limit'))
  .option('--max-steps <n>', 'model rounds per tick (default 8)', intArg('max steps', 1))
  .option('--instructions <text>', 'standing instructions from the operator')
  .action(async (o: { name: string; bootstrapSats?: number; autonomy?: string; heartbeat?: number; approvalThreshold?: number; dailyLimit?: number; sessionLimit?: number; maxSteps?: number; instructions?: string }) => {
    await call('agents.spawn', {
      name: o.name, bootstrapSats: o.bootstrapSats, autonomy: o.autonomy, heartbeatSeconds: o.heartbeat, approvalThresholdSats: o.approvalThreshold,
      dailyLimitSats: o.dailyLimit, maxSteps: o.maxSteps, instructions: o.instructions, budget: o.sessionLimit !== undefined ? { sessionSats: o.sessionLimit } : undefined,
    }, (a) => `spawned ${a.name} (${a.id}) — ${a.lifecycle}, ${satsLabel(a.balanceSats)}, wallet account ${a.walletAccount}\n  ${a.npub}`);
  });
agent.command('list').description('all agents').action(async () => {
  await call('agents.list', {}, (list) => (list.length
    ? [...list.map(agentLine), ...(list[0]!.network === 'devnet' ? [`(balances in ${DEVNET_LABEL})`] : [])].join('\n')
    : 'no agents yet: `openagents agent spawn --name NAME`'));
});
agent.command('status <agent>').description('one agent in detail').action(async (a: string) => {
  await call('agents.status', { agent: a }, agentDetail);
});
agent.command('start <agent>').description('let it run autonomously (new budget session)').action(async (a: string) => {
  await call('agents.start', { agent: a }, (v) => `${v.name} is ${v.lifecycle}`);
});
agent.command('stop <agent>').description('stop its heartbeats and triggers (dormant)').action(async (a: string) => {
  await call('agents.stop', { agent: a }, (v) => `${v.name} is ${v.lifecycle}`);
});
agent.command('kill <agent>').description('terminate it for good (pending approvals are rejected)').action(async (a: string) => {
  await call('agents.kill', { agent: a }, (v) => `${v.name} is ${v.lifecycle}`);
});
agent.command('fund <agent> <sats>').description('move sats from the operator wallet to the agent').action(async (a: string, sats: string) => {
  await call('agents.fund', { agent: a, amountSats: intValue('sats', sats, 1) }, (v) => `funded ${v.agent.name} with ${satsLabel(v.payment.amountSats)}; balance ${satsLabel(v.agent.balanceSats)} (${v.agent.lifecycle})`);
});
agent
  .command('tick <agent>')
  .description('run one tick now, optionally with an operator message as the trigger')
  .option('--message <text>', 'message the agent perceives')
  .action(async (a: string, o: { message?: string }) => {
    await call('agents.tick', { agent: a, message: o.message }, tickLine);
  });
agent.command('route <agent> <backend>').description('think through this backend ("default" to clear)').action(async (a: string, b: string) => {
  await call('agents.route', { agent: a, backend: b === 'default' ? null : b }, (v) => `${v.name} thinks through ${v.backend ?? 'the default backend'}`);
});
agent
  .command('ticks <agent>')
  .description('recent ticks')
  .option('--limit <n>', 'how many', intArg('limit', 1), 20)
  .action(async (a: string, o: { limit: number }) => {
    await call('agents.ticks', { agent: a, limit: o.limit }, (list) => (list.length ? list.map(tickLine).join('\n') : 'no ticks yet'));
  });
agent.command('trajectory <tickId>').description('every step of one tick').action(async (id: string) => {
  await call('ticks.trajectory', { tickId: id }, (v) => [tickLine(v.tick), ...v.steps.map((s) => `  ${String(s.step).padStart(3)} ${s.type.padEnd(18)} ${JSON.stringify(s.content)}`)].join('\n'));
});
agent
  .command('configure <agent>')
  .description('change autonomy, limits or instructions')
  .option('--autonomy <level>', 'supervised | semi | full', autonomyArg)
  .option('--approval-threshold <sats>', 'approval threshold', intArg('approval threshold'))
  .option('--heartbeat <seconds>', 'heartbeat interval', intArg('heartbeat', 10))
  .option('--daily-limit <sats>', 'daily sats limit', intArg('daily limit'))
  .option('--session-limit <sats>', 'session sats limit', intArg('session limit'))
  .option('--tick-limit <sats>', 'per-tick sats limit', intArg('tick limit'))
  .option('--max-tick-seconds <s>', 'longest a tick may run', intArg('max tick seconds', 1))
  .option('--model-calls-per-day <n>', 'model calls per day', intArg('model calls per day'))
  .option('--max-steps <n>', 'model rounds per tick', intArg('max steps', 1))
  .option('--instructions <text>', 'standing instructions')
  .action(async (a: string, o: Record<string, number | string | undefined>) => {
    const budget = Object.fromEntries(Object.entries({ dailySats: o.dailyLimit, sessionSats: o.sessionLimit, tickSats: o.tickLimit, maxTickSeconds: o.maxTickSeconds, modelCallsPerDay: o.modelCallsPerDay }).filter(([, v]) => v !== undefined));
    await call('agents.configure', {
      agent: a, autonomy: o.autonomy, approvalThresholdSats: o.approvalThreshold, heartbeatSeconds: o.heartbeat, maxSteps: o.maxSteps,
      instructions: o.instructions, budget: Object.keys(budget).length ? budget : undefined,
    }, agentDetail);
  });

// ---- approvals ----
const approvals = program.command('approvals').description('the approval queue');
approvals
  .command('list')
  .description('pending requests (or --status all)')
  .addOption(new Option('--status <status>', 'which').choices(['pending', 'approved', 'rejected', 'expired', 'all']).default('pending'))
  .option('--agent <agent>', 'only this agent')
  .action(async (o: { status: string; agent?: string }) => {
    await call('approvals.list', { status: o.status, agent: o.agent }, (list) => (list.length ? list.map(approvalLine).join('\n') : `no ${o.status === 'all' ? '' : o.status + ' '}approvals`));
  });
approvals
  .command('approve <id>')
  .description('approve; the action runs once')
  .option('--amount <sats>', 'approve a different (edited) amount', intArg('amount'))
  .option('--reason <text>', 'why')
  .action(async (id: string, o: { amount?: number; reason?: string }) => {
    await call('approvals.approve', { id, amountSats: o.amount, reason: o.reason }, decisionText);
  });
approvals
  .command('reject <id>')
  .description('reject; the action never runs')
  .option('--reason <text>', 'why (the agent sees it)')
  .action(async (id: string, o: { reason?: string }) => {
    await call('approvals.reject', { id, reason: o.reason }, decisionText);
  });

// ---- wallet ----
const wallet = program.command('wallet').description(`the operator wallet (on devnet: ${DEVNET_LABEL})`);
wallet.command('balance').option('--agent <agent>', "an agent's wallet instead").description('balance').action(async (o: { agent?: string }) => {
  await call('wallet.balance', { agent: o.agent }, (v) => `${v.owner}: ${satsLabel(v.balanceSats)}${v.label ? ` (${v.label})` : ''}`);
});
wallet
  .command('invoice [sats]')
  .description('create a BOLT11 invoice (no amount: the payer chooses)')
  .option('--memo <text>', 'description', '')
  .option('--agent <agent>', "an agent's wallet instead")
  .action(async (sats: string | undefined, o: { memo: string; agent?: string }) => {
    await call('wallet.invoice', { amountSats: sats === undefined ? undefined : intValue('sats', sats, 1), memo: o.memo, agent: o.agent }, (v) => v.bolt11);
  });
wallet
  .command('pay <bolt11>')
  .description('pay an invoice from the operator wallet')
  .option('--amount <sats>', 'amount for an invoice without one', intArg('amount', 1))
  .option('--max-fee <sats>', 'highest fee to accept', intArg('max fee'), 10)
  .action(async (bolt11: string, o: { amount?: number; maxFee: number }) => {
    await call('wallet.pay', { invoice: bolt11, amountSats: o.amount, maxFeeSats: o.maxFee }, (v) => `paid ${satsLabel(v.amountSats)} (fee ${v.feeSats}); payment hash ${v.paymentHash}`);
  });
wallet
  .command('history')
  .option('--agent <agent>', "an agent's wallet instead")
  .option('--limit <n>', 'how many', intArg('limit', 1), 50)
  .description('payments in and out')
  .action(async (o: { agent?: string; limit: number }) => {
    await call('wallet.history', { agent: o.agent, limit: o.limit }, (list) => (list.length ? [...list.map(txLine), `(amounts in sats; on devnet: ${DEVNET_LABEL})`].join('\n') : 'no payments yet'));
  });
wallet.command('faucet <sats>').description('devnet only: mint devnet sats into the operator wallet').action(async (sats: string) => {
  await call('wallet.faucet', { amountSats: intValue('sats', sats, 1) }, (v) => `operator balance ${satsLabel(v.balanceSats)} (${v.label})`);
});

// ---- backends ----
const backend = program.command('backend').description('model servers agents think through (OpenAI-compatible)');
backend
  .command('add <name>')
  .description('add a backend: an OpenAI-compatible server (--url, --model) or a local model (--local)')
  .option('--url <url>', 'base URL, e.g. http://127.0.0.1:11434/v1 (Ollama, LM Studio, vLLM, OpenAI…)')
  .option('--model <model>', 'model name on that server')
  .option('--local <model>', 'a model of `openagents models list`, run by the local engine (no API key)')
  .option('--api-key-env <var>', 'read the API key from this environment variable (stored encrypted)')
  .option('--cost-in <sats>', 'sats per 1k input tokens', intArg('cost in'), 0)
  .option('--cost-out <sats>', 'sats per 1k output tokens', intArg('cost out'), 0)
  .option('--default', 'make it the default backend')
  .action(async (name: string, o: { url?: string; model?: string; local?: string; apiKeyEnv?: string; costIn: number; costOut: number; default?: boolean }) => {
    let apiKey: string | undefined;
    if (o.apiKeyEnv) {
      apiKey = process.env[o.apiKeyEnv];
      if (!apiKey) throw new AppError('BAD_INPUT', `environment variable ${o.apiKeyEnv} is not set`);
    }
    await call('backends.add', { name, url: o.url, model: o.model, local: o.local, apiKey, costInSatsPer1k: o.costIn, costOutSatsPer1k: o.costOut, makeDefault: o.default }, backendLine);
  });
backend.command('list').description('configured backends (* = default)').action(async () => {
  await call('backends.list', {}, (list) => (list.length ? list.map(backendLine).join('\n') : 'no backends yet: `openagents backend add NAME --url URL --model M`'));
});
backend.command('enable <name>').description('let agents think through it again').action(async (name: string) => {
  await call('backends.setEnabled', { name, enabled: true }, backendLine);
});
backend.command('disable <name>').description('stop agents from thinking through it').action(async (name: string) => {
  await call('backends.setEnabled', { name, enabled: false }, backendLine);
});
backend.command('remove <name>').description('remove a backend and its stored key').action(async (name: string) => {
  await call('backends.remove', { name }, (v) => `removed ${v.removed}`);
});

// ---- Nostr ----
function relaysText(v: RelaysView): string {
  const lines = v.configured.map((u) => {
    const url = u === 'embedded' ? v.embeddedRelay : u;
    const st = v.relays.find((r) => r.url === url || r.url === `${url}/`);
    const state = st ? `${st.state}${st.latencyMs !== null ? `, ${st.latencyMs} ms` : ''}${st.lastError ? ` — ${st.lastError}` : ''}` : 'not connected (relays run in the daemon)';
    return `${u === 'embedded' ? `embedded (${v.embeddedRelay ?? 'runs with the daemon'})` : u}  ${state}`;
  });
  return [...lines, `${v.pendingEvents} events waiting to be published`].join('\n');
}
const relays = program.command('relays').description('the Nostr relays of this network');
relays.command('list').description('configured relays and their status').action(async () => {
  await call('relays.list', {}, relaysText);
});
relays.command('add <url>').description('add a relay (ws:// or wss://, or "embedded")').action(async (url: string) => {
  await call('relays.add', { url }, relaysText);
});
relays.command('remove <url>').description('remove a relay').action(async (url: string) => {
  await call('relays.remove', { url }, relaysText);
});
const nostrCmd = program.command('nostr').description('debug helpers: publish and query raw events');
nostrCmd
  .command('publish')
  .description('sign (operator key, or --as AGENT) and publish an event')
  .requiredOption('--kind <n>', 'event kind', intArg('kind'))
  .option('--content <text>', 'content', '')
  .option('--tag <name=value...>', 'tags, e.g. --tag p=<hex> --tag t=test (repeatable)')
  .option('--as <agent>', 'sign with this agent’s key')
  .action(async (o: { kind: number; content: string; tag?: string[]; as?: string }) => {
    const tags = (o.tag ?? []).map((t) => {
      const i = t.indexOf('=');
      if (i <= 0) throw new AppError('BAD_INPUT', `tag must be name=value, got "${t}"`);
      return [t.slice(0, i), ...t.slice(i + 1).split(',')];
    });
    await call('nostr.publish', { kind: o.kind, content: o.content, tags, as: o.as }, (v) => [`event ${v.id}`, ...v.results.map((r) => `  ${r.ok ? 'ok ' : 'FAIL'} ${r.url} ${r.message}`)].join('\n'));
  });
nostrCmd
  .command('query <filter>')
  .description('events matching a NIP-01 filter given as JSON, e.g. \'{"kinds":[39200],"limit":10}\'')
  .action(async (filterText: string) => {
    let filter: unknown;
    try {
      filter = JSON.parse(filterText);
    } catch (err) {
      throw new AppError('BAD_INPUT', `filter is not JSON: ${(err as Error).message}`);
    }
    await call('nostr.query', { filter }, (list) => list.map((e) => JSON.stringify(e)).join('\n') || 'no events');
  });
agent.command('dm <agent> <text>').description('send the agent a direct message (NIP-17) as the operator').action(async (a: string, text: string) => {
  await call('agents.dm', { agent: a, message: text }, (v) => (v.published ? `sent (event ${v.eventId})` : `queued (event ${v.eventId}); it goes out when the daemon runs`));
});
const allowText = (v: AllowListView): string => `${v.agent}: woken by the operator, this home's agents${v.anyone ? ', and anyone' : ''}${v.allowed.length ? `, and ${v.allowed.join(', ')}` : ''}${v.denied.length ? `; never by ${v.denied.join(', ')}` : ''}`;
agent
  .command('allow <agent> [npubs...]')
  .description('let these npubs (or --anyone) wake the agent over Nostr')
  .option('--anyone', 'anyone may wake it')
  .option('--only-listed', 'undo --anyone')
  .action(async (a: string, npubs: string[], o: { anyone?: boolean; onlyListed?: boolean }) => {
    await call('agents.allow', { agent: a, pubkeys: npubs, anyone: o.anyone ? true : o.onlyListed ? false : undefined }, allowText);
  });
agent.command('deny <agent> <npubs...>').description('never let these npubs wake the agent').action(async (a: string, npubs: string[]) => {
  await call('agents.deny', { agent: a, pubkeys: npubs }, allowText);
});

// ---- models ----
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
const modelLine = (m: ModelView): string => `${m.name.padEnd(24)} ${m.architecture.padEnd(10)} ${mb(m.sizeBytes).padStart(10)}  ${m.owned ? 'pulled' : 'imported'}  ${m.path}`;
const models = program.command('models').description('local GGUF models for the inference engine');
models.command('list').description('registered models').action(async () => {
  await call('models.list', {}, (list) => (list.length ? list.map(modelLine).join('\n') : 'no models yet: `openagents models import FILE.gguf` or `models pull URL`'));
});
models
  .command('import <path>')
  .description('register a local .gguf (kept where it is)')
  .option('--name <name>', 'name to use')
  .action(async (file: string, o: { name?: string }) => {
    await call('models.import', { path: path.resolve(file), name: o.name }, (m) => `imported ${modelLine(m)}`);
  });
models
  .command('pull <url>')
  .description('download a .gguf (resumes an interrupted download; checks --sha256)')
  .option('--sha256 <hex>', 'expected checksum')
  .option('--name <name>', 'name to use')
  .action(async (url: string, o: { sha256?: string; name?: string }) => {
    await call('models.pull', { url, sha256: o.sha256, name: o.name }, (m) => `pulled ${modelLine(m)}`, undefined, (event, data) => {
      if (event !== 'model.download' || globals().json) return;
      const p = data as { receivedBytes: number; totalBytes: number | null; resumed: boolean };
      const pct = p.totalBytes ? ` (${Math.floor((p.receivedBytes * 100) / p.totalBytes)}%)` : '';
      process.stderr.write(`\r${p.resumed ? 'resuming: ' : ''}${mb(p.receivedBytes)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}${pct}   `);
    });
  });
models
  .command('folder [path]')
  .description('where pulled models go (show it, or choose another folder)')
  .option('--default', "go back to the home's models folder")
  .action(async (folder: string | undefined, o: { default?: boolean }) => {
    await call('models.folder', { path: o.default ? null : folder === undefined ? undefined : path.resolve(folder) },
      (v) => `models folder: ${v.folder}${v.isDefault ? ' (the default)' : ''}${v.freeBytes !== null ? `; ${mb(v.freeBytes)} free` : ''}`);
  });
models.command('recommended').description('models that fit this machine, best first').action(async () => {
  await call('models.recommended', {}, (v) => [
    v.hardware.note,
    ...v.models.map((m) => `${m.fits ? 'fits ' : 'too big'}  ${m.name.padEnd(28)} ${mb(m.sizeBytes).padStart(10)}  ${m.why}${m.installed ? '  (installed)' : ''}\n         ${m.url}`),
  ].join('\n'));
});
models.command('remove <name>').description('unregister (deletes the file only if it was pulled)').action(async (name: string) => {
  await call('models.remove', { name }, (v) => `removed ${v.removed}${v.deletedFile ? ' and its file' : ' (file kept)'}`);
});

// ---- provider ----
const providerText = (v: ProviderStatusView): string => [
  `provider ${v.state}${v.reasons.length ? ` — ${v.reasons.join('; ')}` : v.lastError ? ` — ${v.lastError}` : ''}`,
  `  pubkey   ${v.npub}`,
  `  model    ${v.model ?? '(none)'}${v.engine.loaded ? ` (loaded: context ${v.engine.loaded.contextSize}, ${v.engine.loaded.threads} thread${v.engine.loaded.threads === 1 ? '' : 's'}, ${v.engine.loaded.gpuLayers} GPU layers)` : ''}`,
  `  price    ${v.minPriceSats} sats per job + ${v.pricePer1kSats} sats per 1k tokens; up to ${v.maxTokens} tokens; ${v.settings.maxConcurrent} jobs at once`,
  `  relays   ${v.relays.map((r) => `${r.url}${r.connected ? '' : ' (not connected)'}`).join(', ') || '(none: relays run in the daemon)'}`,
  ...v.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}     ${c.name}: ${c.detail}`),
  ...v.live.map((j) => `  job      ${j.id.slice(0, 16)}… ${j.status}, ${j.tokens} tokens, ${satsLabel(j.priceSats)}`),
  `  earned   ${satsLabel(v.earnedTodaySats)} today (${v.jobsToday} jobs), ${satsLabel(v.earnedTotalSats)} in all`,
].join('\n');
const jobLine = (j: JobView): string => `${fmtTime(j.createdAt)}  ${j.status.padEnd(16)} ${satsLabel(j.priceSats).padStart(10)}  ${j.id.slice(0, 16)}…  ${j.error ?? ''}${j.refund ? `  [refund ${j.refund.status}: ${j.refund.sats} sats]` : ''}`;
const providerCmd = program.command('provider').description('sell local inference on the NIP-90 market');
providerCmd
  .command('online')
  .description('go online (preflight: model loads, wallet ready, a relay connected)')
  .option('--model <name>', 'a model of `openagents models list`')
  .option('--min-price-sats <n>', 'price per job', intArg('min price'))
  .option('--price-per-1k-sats <n>', 'price per 1k output tokens', intArg('price per 1k'))
  .option('--max-tokens <n>', 'most tokens per job', intArg('max tokens', 1))
  .option('--max-concurrent <n>', 'jobs at once', intArg('max concurrent', 1))
  .action(async (o: { model?: string; minPriceSats?: number; pricePer1kSats?: number; maxTokens?: number; maxConcurrent?: number }) => {
    await call('provider.online', { model: o.model, minPriceSats: o.minPriceSats, pricePer1kSats: o.pricePer1kSats, maxTokens: o.maxTokens, maxConcurrent: o.maxConcurrent }, providerText);
  });
providerCmd.command('offline').description('stop selling (the announcement is republished without kinds)').action(async () => {
  await call('provider.offline', {}, providerText);
});
providerCmd.command('status').description('state, checks, model, price, relays, live jobs, earnings').action(async () => {
  await call('provider.status', {}, providerText);
});
providerCmd
  .command('set <key> <value>')
  .description(`change a setting: ${Object.keys(PROVIDER_SETTING_KINDS).join(', ')}`)
  .action(async (key: string, value: string) => {
    const parsed = parseProviderSetting(key, value);
    if ('error' in parsed) {
      printError({ code: 'BAD_INPUT', message: parsed.error });
      throw new CliExit(1);
    }
    await call('provider.set', parsed.patch, (v) => `${Object.keys(parsed.patch)[0]} = ${JSON.stringify(Object.values(parsed.patch)[0])}\n${providerText(v)}`);
  });
providerCmd.command('jobs').option('--limit <n>', 'how many', intArg('limit', 1), 50).description('recent jobs').action(async (o: { limit: number }) => {
  await call('provider.jobs', { limit: o.limit }, (list) => list.map(jobLine).join('\n') || 'no jobs yet');
});
providerCmd.command('cancel <job>').description('stop a job (a paid one is refunded to the requester\'s Lightning address, or recorded as owed)').action(async (id: string) => {
  await call('provider.cancel', { id }, jobLine);
});

providerCmd.command('refund <job>').description("pay a refund still owed (the requester's Lightning address is looked up again)").action(async (id: string) => {
  await call('provider.refund', { id }, jobLine);
});

// ---- earnings ----
program
  .command('earnings')
  .description('what selling compute earned, by day, model and requester, net of the agents\' spending')
  .option('--since <date>', 'YYYY-MM-DD (local) or a number of days back (default 30)')
  .action(async (o: { since?: string }) => {
    let since: number | undefined;
    if (o.since !== undefined) {
      const days = /^\d+$/.test(o.since) ? Number(o.since) : null;
      const date = days === null ? new Date(`${o.since}T00:00:00`) : null;
      if (days === null && (!/^\d{4}-\d{2}-\d{2}$/.test(o.since) || Number.isNaN(date!.getTime()))) {
        printError({ code: 'BAD_INPUT', message: `--since takes YYYY-MM-DD or a number of days, not "${o.since}"` });
        throw new CliExit(1);
      }
      since = days !== null ? startOfLocalDay(Date.now() - (days - 1) * 86_400_000) : date!.getTime();
    }
    await call('earnings.summary', { since }, (v) => [
      `earned ${satsLabel(v.totalSats)} from ${v.jobs} jobs since ${new Date(v.since).toLocaleDateString()}`,
      `  refunded ${satsLabel(v.refundedSats)}${v.refundsOwedSats ? `, refunds owed ${satsLabel(v.refundsOwedSats)}` : ''}; agents spent ${satsLabel(v.agentSpendingSats)}; net ${satsLabel(v.netSats)}`,
      ...(v.jobs ? [
        '  by day:',
        ...v.byDay.filter((d) => d.jobs).map((d) => `    ${d.key}  ${satsLabel(d.sats).padStart(14)}  ${d.jobs} jobs`),
        '  by model:',
        ...v.byModel.map((d) => `    ${d.key.padEnd(24)} ${satsLabel(d.sats).padStart(14)}  ${d.jobs} jobs`),
        '  by requester:',
        ...v.byRequester.map((d) => `    ${d.key.slice(0, 16)}…  ${satsLabel(d.sats).padStart(14)}  ${d.jobs} jobs`),
      ] : ['  no paid jobs in this period: `openagents provider online` to sell']),
    ].join('\n'));
  });

// ---- buying on the market ----
const market = program.command('market').description('buy compute from NIP-90 providers with the operator wallet');
market
  .command('request <prompt>')
  .description('post a text-generation job (kind 5050), pay its invoice, print the result')
  .requiredOption('--max-sats <n>', 'the most to pay', intArg('max sats', 1))
  .option('--max-tokens <n>', 'most tokens to generate', intArg('max tokens', 1))
  .option('--provider <npub>', 'ask one provider')
  .option('--encrypted', 'encrypt the request to --provider (NIP-04)')
  .option('--timeout <seconds>', 'how long to wait', intArg('timeout', 1), 120)
  .action(async (prompt: string, o: { maxSats: number; maxTokens?: number; provider?: string; encrypted?: boolean; timeout: number }) => {
    await call('market.request', { prompt, maxSats: o.maxSats, maxTokens: o.maxTokens, provider: o.provider, encrypted: o.encrypted ?? false, timeoutSeconds: o.timeout },
      (v) => `${v.text}\n\n(paid ${satsLabel(v.paidSats)} to ${v.provider.slice(0, 16)}… for job ${v.jobId.slice(0, 16)}…)`);
  });

// ---- local OpenAI-compatible API ----
const localApiText = (v: LocalApiView): string => v.running
  ? `local API on: ${v.baseUrl} (key in ${v.keyFile})`
  : v.enabled ? `local API enabled${v.port ? ` on port ${v.port}` : ''}; it runs with the daemon (\`openagents daemon\`); key in ${v.keyFile}` : 'local API off';
const localApi = program.command('local-api').description('serve local models over an OpenAI-compatible API on 127.0.0.1 (off by default)');
localApi.command('on').option('--port <port>', 'port (default: any free one, then kept)', intArg('port')).description('turn it on').action(async (o: { port?: number }) => {
  await call('localApi.on', { port: o.port }, localApiText);
});
localApi.command('off').description('turn it off').action(async () => {
  await call('localApi.off', {}, localApiText);
});
localApi.command('status').description('is it on, and where').action(async () => {
  await call('localApi.status', {}, localApiText);
});

// ---- receipts ----
const receipts = program.command('receipts').description('signed receipts of every consequential action');
receipts.command('verify').description('check the hash and signature of every receipt').action(async () => {
  const v = await call('receipts.verify', {}, (r) => (r.invalid.length === 0
    ? `all ${r.total} receipts verify`
    : `${r.invalid.length} of ${r.total} receipts do NOT verify:\n${r.invalid.map((i) => `  ${i.id}: ${i.reason}`).join('\n')}`));
  if (v.invalid.length > 0) throw new CliExit(1);
});
receipts
  .command('list')
  .option('--agent <agent>', 'only this agent')
  .option('--limit <n>', 'how many', intArg('limit', 1), 50)
  .description('recent receipts')
  .action(async (o: { agent?: string; limit: number }) => {
    await call('receipts.list', { agent: o.agent, limit: o.limit }, (list) => list.map((r) => `${fmtTime(r.createdAt)}  ${r.kind.padEnd(18)} ${r.id}  signer ${r.signer.slice(0, 16)}…`).join('\n') || 'no receipts yet');
  });

// ---- daemon ----
program
  .command('daemon')
  .description('run the runtime, scheduler and wallet for this home, serving the API on 127.0.0.1')
  .option('--port <port>', 'API/console port (default: any free port)', intArg('port'), 0)
  .option('--host <host>', 'bind address (default 127.0.0.1; anything else exposes the API beyond this machine)', '127.0.0.1')
  .option('--relay-port <port>', 'embedded relay port (default: the one this home used last, else any free port)', intArg('relay port'))
  .option('--relay-lan', 'expose the embedded relay on the LAN (off by default)')
  .action(async (o: { port: number; host: string; relayPort?: number; relayLan?: boolean }) => {
    const { runDaemon } = await import('./daemon.js');
    await runDaemon({ home: homeDir(), devnetDir: defaultDevnetDir(), passphrase: process.env.OPENAGENTS_PASSPHRASE, port: o.port, host: o.host, json: globals().json === true, relayPort: o.relayPort, relayLan: o.relayLan });
  });

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CliExit) {
      process.exitCode = err.code;
      return;
    }
    const ce = err as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
      // commander already printed usage or the error
      process.exitCode = ce.exitCode ?? 1;
      return;
    }
    const e = toAppError(err);
    printError({ code: e.code, message: e.message });
    process.exitCode = 1;
  }
}

await main();
