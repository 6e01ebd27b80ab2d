import path from 'node:path';
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { procedures, type ProcedureName } from '../core/api/contract.js';
import { createHandlers, dispatch } from '../core/api/handlers.js';
import { defaultDevnetDir, defaultHome } from '../core/config.js';
import { OpenAgentsNode } from '../core/node.js';

// The Electron face: a thin shell over the same core the daemon runs. Every IPC call is
// checked here, in one place: the sender must be our own renderer, the channel must be a
// contract procedure, and the input is validated by the contract's schema in dispatch().

const RENDERER_DEV_URL = process.env.ELECTRON_RENDERER_URL;
let node: OpenAgentsNode | null = null;
let win: BrowserWindow | null = null;

function isOwnRenderer(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  if (RENDERER_DEV_URL) return url.startsWith(RENDERER_DEV_URL);
  return url.startsWith('file://');
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'OpenAgents',
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    },
  });
  w.once('ready-to-show', () => w.show());
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  w.webContents.on('will-navigate', (e) => e.preventDefault());
  if (RENDERER_DEV_URL) void w.loadURL(RENDERER_DEV_URL);
  else void w.loadFile(path.join(__dirname, '../renderer/index.html'));
  return w;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  node = new OpenAgentsNode({ home: defaultHome(), devnetDir: defaultDevnetDir(), passphrase: process.env.OPENAGENTS_PASSPHRASE, mode: 'electron', log: (l) => console.log(l) });
  await node.start();
  const handlers = createHandlers(node);
  for (const name of Object.keys(procedures) as ProcedureName[]) {
    ipcMain.handle(`oa:${name}`, (event, input: unknown) => {
      if (!isOwnRenderer(event)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from an unknown frame' } };
      return dispatch(handlers, name, input);
    });
  }
  node.events.onAny((event, data) => {
    if (win && !win.isDestroyed()) win.webContents.send('oa:event', { event, data });
  });
  win = createWindow();
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void node?.stop();
  });
}

void main();
