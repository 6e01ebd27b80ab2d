import type { ChatBackend, ChatRequest, ChatResponse } from '../compute/backend.js';
import type { LocalEngine } from './engine-client.js';
import type { ModelStore } from './models.js';

/**
 * An agent backend on the local engine: agents think without any API key or network. The
 * model is loaded on first use (and swapped if another backend's model was loaded).
 */
export class LocalBackend implements ChatBackend {
  constructor(readonly name: string, readonly model: string, private readonly engine: LocalEngine, private readonly models: ModelStore) {}

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const entry = this.models.require(this.model);
    if (this.engine.loaded()?.path !== entry.path) await this.engine.load(entry.path);
    return this.engine.chat({ ...req, maxTokens: req.maxTokens ?? 512 });
  }
}
