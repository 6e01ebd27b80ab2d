import { EventEmitter } from 'node:events';
import type { CoreEventName, CoreEvents } from './api/contract.js';

/** Typed in-process event bus; the faces forward it (WebSocket, IPC) to their clients. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends CoreEventName>(event: E, data: CoreEvents[E]): void {
    this.emitter.emit(event, data);
    this.emitter.emit('*', event, data);
  }

  on<E extends CoreEventName>(event: E, listener: (data: CoreEvents[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  onAny(listener: (event: CoreEventName, data: unknown) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }
}
