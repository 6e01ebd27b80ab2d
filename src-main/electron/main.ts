import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, powerSaveBlocker, safeStorage, session, shell, Tray, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import { insideWindow } from '../core/autopilot-window.js';
import { procedures, type ProcedureName, type ProviderStatusView, type Result, type SettingsView } from '../core/api/contract.js';
import { createHandlers, dispatch, type Handlers } from '../core/api/handlers.js';
import { defaultDevnetDir, defaultHome } from '../core/config.js';
import type { ExternalKeyStore } from '../core/identity/keystore.js';
import { OpenAgentsNode } from '../core/node.js';
import { headlessSignals, type MachineSignals } from '../core/provider/governor.js';
import { trayMenu, trayTooltip, type TrayAction } from './tray-menu.js';

/** The provider governor's view of the desktop: real keyboard/mouse idle time and power source. */
function desktopSignals(): MachineSignals {
  return { ...headlessSignals(), idleSeconds: () => powerMonitor.getSystemIdleTime(), onBattery: () => powerMonitor.isOnBatteryPower() };
}

// The Electron face: a thin shell over the same core the daemon runs. Every IPC call is
// checked here, in one place: the sender must be our own renderer, the channel must be a
// contract procedure, and the input is validated by the contract's schema in dispatch().

const RENDERER_DEV_URL = process.env.ELECTRON_RENDERER_URL;
/** External links open in the system browser only for these hosts. */
const EXTERNAL_ALLOW = new Set(['github.com', 'nostr.com', 'njump.me', 'openagents.com']);

let node: OpenAgentsNode | null = null;
let handlers: Handlers | null = null;
let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;

function isOwnRenderer(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  if (RENDERER_DEV_URL) return url.startsWith(RENDERER_DEV_URL);
  return url.startsWith('file://') && url.includes('/renderer/index.html');
}

function openExternal(url: string): void {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' && EXTERNAL_ALLOW.has(u.hostname)) void shell.openExternal(u.toString());
  } catch {
    // not a URL: ignore
  }
}

/** The at-rest key of a home the desktop creates, sealed by the OS keychain. */
function keychainStore(home: string): ExternalKeyStore | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  const file = path.join(home, 'keystore.safe');
  return {
    load: () => (existsSync(file) ? new Uint8Array(Buffer.from(safeStorage.decryptString(readFileSync(file)), 'hex')) : null),
    save: (key) => writeFileSync(file, safeStorage.encryptString(Buffer.from(key).toString('hex')), { mode: 0o600 }),
  };
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
    openExternal(url);
    return { action: 'deny' };
  });
  w.webContents.on('will-navigate', (e, url) => {
    e.preventDefault();
    openExternal(url);
  });
  w.on('close', (e) => {
    if (!quitting && currentSettings()?.closeToTray !== false) {
      e.preventDefault();
      w.hide();
    }
  });
  if (RENDERER_DEV_URL) void w.loadURL(RENDERER_DEV_URL);
  else void w.loadFile(path.join(__dirname, '../renderer/index.html'));
  return w;
}

let settingsCache: SettingsView | null = null;
function currentSettings(): SettingsView | null {
  return settingsCache;
}

async function refreshSettings(): Promise<void> {
  if (!handlers) return;
  const r = await dispatch(handlers, 'settings.get', {});
  if (r.ok) {
    settingsCache = r.value as SettingsView;
    // Start at login is opt-in; the setting is the source of truth.
    app.setLoginItemSettings({ openAtLogin: settingsCache.startAtLogin });
  }
}

let blocker: number | null = null;
/** Keeps the machine awake only inside the configured overnight autopilot window. */
function updatePowerBlocker(): void {
  const want = insideWindow(currentSettings()?.autopilotWindow ?? null);
  if (want && blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
  if (!want && blocker !== null) {
    powerSaveBlocker.stop(blocker);
    blocker = null;
  }
}

function show(route?: string): void {
  if (!win || win.isDestroyed()) win = createWindow();
  win.show();
  win.focus();
  if (route) win.webContents.send('oa:navigate', route);
}

function notify(title: string, body: string, route: string): void {
  if (!Notification.isSupported() || currentSettings()?.notifications === false) return;
  const n = new Notification({ title, body });
  n.on('click', () => show(route));
  n.show();
}

async function updateTray(): Promise<void> {
  if (!tray || !handlers) return;
  const r = await dispatch(handlers, 'system.status', {});
  const p = await dispatch(handlers, 'provider.status', {});
  const state = {
    nodeOnline: r.ok,
    pending: r.ok ? (r.value as { pendingApprovals: number }).pendingApprovals : 0,
    provider: p.ok ? (p.value as ProviderStatusView) : null,
  };
  tray.setToolTip(trayTooltip(state));
  tray.setContextMenu(Menu.buildFromTemplate(trayMenu(state).map((item) => (item.separator ? { type: 'separator' as const } : {
    label: item.label,
    enabled: item.enabled ?? true,
    click: item.action ? () => void trayAction(item.action!) : undefined,
  }))));
}

/** The native file picker, validated like every other call. */
async function pickFile(input: unknown): Promise<Result<{ path: string | null }>> {
  const parsed = procedures['system.pickFile'].safeParse(input ?? {});
  if (!parsed.success) return { ok: false, error: { code: 'BAD_INPUT', message: parsed.error.issues.map((i) => i.message).join('; ') } };
  const options: OpenDialogOptions = parsed.data.purpose === 'model'
    ? { title: 'Choose a GGUF model', properties: ['openFile'], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] }
    : { title: 'Choose a folder for models', properties: ['openDirectory', 'createDirectory'] };
  const r = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return { ok: true, value: { path: r.canceled ? null : r.filePaths[0] ?? null } };
}

async function trayAction(action: TrayAction): Promise<void> {
  if (action === 'open') show();
  else if (action === 'approvals') show('/approvals');
  else if (action === 'provider') show('/provider');
  else if (action === 'quit') {
    quitting = true;
    app.quit();
  } else if (handlers) {
    const r = await dispatch(handlers, action, {});
    // A failed preflight is explained on the Provider page.
    if (!r.ok) notify('Cannot go online', r.error.message, '/provider');
    await updateTray();
  }
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => show());
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  const home = defaultHome();
  node = new OpenAgentsNode({
    home, devnetDir: defaultDevnetDir(), passphrase: process.env.OPENAGENTS_PASSPHRASE, externalKey: keychainStore(home), mode: 'electron', log: (l) => console.log(l),
    machineSignals: desktopSignals(),
  });
  await node.start();
  handlers = createHandlers(node);
  for (const name of Object.keys(procedures) as ProcedureName[]) {
    ipcMain.handle(`oa:${name}`, async (event, input: unknown) => {
      if (!isOwnRenderer(event)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC from an unknown frame' } };
      if (name === 'system.pickFile') return pickFile(input);
      const result = await dispatch(handlers!, name, input);
      if (name === 'settings.set') void refreshSettings().then(updatePowerBlocker);
      return result;
    });
  }
  node.events.onAny((event, data) => {
    if (win && !win.isDestroyed()) win.webContents.send('oa:event', { event, data });
    if (event === 'approval.requested' || event === 'approval.decided' || event === 'provider.state') void updateTray();
  });
  node.events.on('approval.requested', (e) => notify('Approval needed', `${e.description} (${e.amountSats} sats)`, '/approvals'));
  node.events.on('budget.warning', (e) => notify('Budget warning', `An agent is near its spending limit (${e.status.kind})`, `/agents/${e.agentId}`));
  node.events.on('lifecycle.changed', (e) => notify('Agent lifecycle', `${e.from ?? 'new'} → ${e.to}: ${e.reason}`, `/agents/${e.agentId}`));
  await refreshSettings();
  updatePowerBlocker();
  setInterval(updatePowerBlocker, 60_000).unref();
  const icon = path.join(__dirname, '../../resources/icon.png');
  tray = new Tray(existsSync(icon) ? nativeImage.createFromPath(icon) : nativeImage.createEmpty());
  tray.on('click', () => show());
  await updateTray();
  win = createWindow();
  app.on('window-all-closed', () => {
    if (currentSettings()?.closeToTray === false) app.quit();
  });
  app.on('before-quit', (e) => {
    if (!node) return;
    quitting = true;
    e.preventDefault();
    const n = node;
    node = null;
    void n.stop().finally(() => app.exit(0));
  });
}

void main();
