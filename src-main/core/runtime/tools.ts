import { z } from 'zod';
import type { ToolDefinition } from '../compute/backend.js';

/** Arguments of every tool an agent can call, validated before anything runs. */
export const toolArgs = {
  pay_invoice: z.object({
    invoice: z.string().min(1).max(4000),
    reason: z.string().min(1).max(500),
    amount_sats: z.number().int().positive().optional(),
  }).strict(),
  create_invoice: z.object({ amount_sats: z.number().int().positive().max(100_000_000), memo: z.string().max(639).default('') }).strict(),
  remember: z.object({ content: z.string().min(1).max(4000) }).strict(),
  set_goal: z.object({ description: z.string().min(1).max(1000), priority: z.number().int().min(0).max(10).default(5) }).strict(),
  complete_goal: z.object({ id: z.number().int().positive() }).strict(),
  send_message: z.object({ to: z.string().min(1).max(200), content: z.string().min(1).max(10_000) }).strict(),
  check_balance: z.object({}).strict(),
  create_channel: z.object({ name: z.string().min(1).max(100), about: z.string().max(1000).default('') }).strict(),
  post_to_channel: z.object({ channel_id: z.string().regex(/^[0-9a-f]{64}$/, 'a 64-hex event id'), content: z.string().min(1).max(10_000) }).strict(),
  read_channel: z.object({ channel_id: z.string().regex(/^[0-9a-f]{64}$/, 'a 64-hex event id'), limit: z.number().int().min(1).max(100).default(20) }).strict(),
} as const;

export type ToolName = keyof typeof toolArgs;
export const TOOL_NAMES = Object.keys(toolArgs) as ToolName[];

const descriptions: Record<ToolName, string> = {
  pay_invoice: 'Pay a BOLT11 Lightning invoice from your wallet. Subject to your budget and autonomy level; may need the operator’s approval.',
  create_invoice: 'Create a BOLT11 invoice so someone can pay you.',
  remember: 'Store a note in your long-term memory.',
  set_goal: 'Add a goal (priority 0–10, higher first).',
  complete_goal: 'Mark one of your goals as done, by its id.',
  send_message: 'Send a message to another agent of this home (by name) or to anyone on Nostr (by npub); replies go back the way their message came.',
  check_balance: 'Read your wallet balance and budget status.',
  create_channel: 'Create a public NIP-28 channel for coordinating with other agents; returns its channel_id.',
  post_to_channel: 'Post a message to a NIP-28 channel by its channel_id.',
  read_channel: 'Read the latest messages of a NIP-28 channel.',
};

export function isToolName(name: string): name is ToolName {
  return Object.prototype.hasOwnProperty.call(toolArgs, name);
}

/** OpenAI function definitions, generated from the same schemas that validate the calls. */
export function toolDefinitions(): ToolDefinition[] {
  return TOOL_NAMES.map((name) => {
    const schema = z.toJSONSchema(toolArgs[name], { io: 'input' }) as Record<string, unknown>;
    delete schema.$schema;
    return { type: 'function', function: { name, description: descriptions[name], parameters: schema } };
  });
}

export type ParsedToolCall =
  | { ok: true; name: ToolName; args: z.infer<(typeof toolArgs)[ToolName]> }
  | { ok: false; error: string };

/** Parses a model's tool call; anything malformed becomes an error for the model, never a crash. */
export function parseToolCall(name: string, rawArgs: string): ParsedToolCall {
  if (!isToolName(name)) return { ok: false, error: `unknown tool "${name}"; available: ${TOOL_NAMES.join(', ')}` };
  let json: unknown;
  try {
    json = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
  } catch (err) {
    return { ok: false, error: `arguments are not valid JSON: ${(err as Error).message}` };
  }
  const parsed = toolArgs[name].safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: `invalid arguments for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  }
  return { ok: true, name, args: parsed.data };
}
