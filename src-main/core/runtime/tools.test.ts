import { describe, expect, it } from 'vitest';
import { parseToolCall, toolDefinitions } from './tools.js';

describe('tools', () => {
  it('describes every tool as an OpenAI function with a JSON schema', () => {
    const defs = toolDefinitions();
    expect(defs.map((d) => d.function.name).sort()).toEqual(['check_balance', 'complete_goal', 'create_channel', 'create_invoice', 'pay_invoice', 'post_to_channel', 'read_channel', 'remember', 'send_message', 'set_goal']);
    const pay = defs.find((d) => d.function.name === 'pay_invoice')!;
    expect(pay.function.parameters).toMatchObject({ type: 'object', required: expect.arrayContaining(['invoice', 'reason']) });
  });

  it('turns malformed calls into errors for the model', () => {
    expect(parseToolCall('fly', '{}')).toMatchObject({ ok: false, error: expect.stringContaining('unknown tool') });
    expect(parseToolCall('remember', '{not json')).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    expect(parseToolCall('set_goal', '{"priority": 3}')).toMatchObject({ ok: false, error: expect.stringContaining('description') });
    expect(parseToolCall('pay_invoice', '{"invoice":"x","reason":"y","amount_sats":-5}')).toMatchObject({ ok: false });
    expect(parseToolCall('set_goal', '{"description":"ship"}')).toEqual({ ok: true, name: 'set_goal', args: { description: 'ship', priority: 5 } });
    expect(parseToolCall('check_balance', '')).toEqual({ ok: true, name: 'check_balance', args: {} });
  });
});
