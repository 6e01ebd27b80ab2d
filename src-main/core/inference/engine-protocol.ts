/** Messages between EngineClient (the app) and the inference process (engine-host.ts). */
export type ClientMessage =
  | { t: 'call'; id: number; op: 'probe' | 'load' | 'unload' | 'generate' | 'chat' | 'countTokens'; args: unknown[] }
  | { t: 'cancel'; id: number }
  | { t: 'agentsFirst'; value: boolean };

export type HostMessage =
  | { t: 'ready'; pid: number }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { t: 'token'; id: number; text: string; chunks: number }
  | { t: 'state'; busy: boolean; waiting: { agent: number; market: number } };
