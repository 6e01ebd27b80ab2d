import { contextBridge, ipcRenderer } from 'electron';
import { procedures, type CoreEventMessage, type ProcedureName } from '../src-main/core/api/contract';

// Exposes exactly the contract's procedures (one function each) and the event stream;
// never a generic invoke(channel).
const api = Object.fromEntries(
  (Object.keys(procedures) as ProcedureName[]).map((name) => [name, (input: unknown) => ipcRenderer.invoke(`oa:${name}`, input ?? {})]),
);

contextBridge.exposeInMainWorld('openagents', {
  api,
  onEvent(listener: (message: CoreEventMessage) => void): () => void {
    const wrapped = (_e: unknown, message: CoreEventMessage): void => listener(message);
    ipcRenderer.on('oa:event', wrapped);
    return () => ipcRenderer.off('oa:event', wrapped);
  },
  /** The shell asks the console to show a page (a notification or the tray was clicked). */
  onNavigate(listener: (route: string) => void): () => void {
    const wrapped = (_e: unknown, route: string): void => {
      if (typeof route === 'string' && route.startsWith('/')) listener(route);
    };
    ipcRenderer.on('oa:navigate', wrapped);
    return () => ipcRenderer.off('oa:navigate', wrapped);
  },
});
