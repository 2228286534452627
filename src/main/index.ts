/**
 * The Electron main process: one window on app://ui (the built renderer, strict CSP), sandboxed with
 * context isolation and no Node; every permission denied; the engine host (tfjs + SQLite) in a
 * utilityProcess, restarted if it dies, reached by the renderer through a MessagePort that the
 * preload wraps as `window.uma`. Dialogs and PDF printing are answered here (shell-calls.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, Menu, session, shell, type IpcMainInvokeEvent, type MessagePortMain } from 'electron';
import type { UmaApi } from '../shared/api.ts';
import { rpcClient } from '../shared/rpc-client.ts';
import { registerAppScheme, serveApp } from './electron/app-protocol.ts';
import { handleShellCalls } from './electron/shell-calls.ts';
import {
  APP_ORIGIN,
  isTrustedSender,
  mayNavigate,
  mayNavigateFrame,
  windowOpenDecision,
} from './electron/shell-policy.ts';
import { superviseHost, type HostSupervisor } from './electron/supervisor.ts';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main in the build
/** electron-vite dev serves the renderer itself and says where. */
const DEV_URL = process.env.ELECTRON_RENDERER_URL;
/** What the window may show: compared by scheme, host and port (shell-policy.ts says why not origin). */
const UI_BASE = DEV_URL ?? APP_ORIGIN;

/** The main process's own connection to the host (it fetches report HTML to print). */
function hostClient(host: HostSupervisor): UmaApi {
  let port: MessagePortMain;
  const client = rpcClient((m) => port.postMessage(m));
  const attach = () => {
    port = host.connect();
    port.on('message', (e) => client.receive(e.data));
    port.start();
  };
  attach();
  host.onRestart(() => {
    client.disconnected('the engine host restarted');
    attach();
  });
  return client.api;
}

function createWindow(host: HostSupervisor): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 920,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'UMA Workstation',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const sendPort = () => {
    if (!win.isDestroyed()) win.webContents.postMessage('uma:port', null, [host.connect()]);
  };
  // Each page load gets its own port; so does each new host.
  win.webContents.on('did-finish-load', sendPort);
  host.onRestart(sendPort);
  // A file dropped outside the UI's drop zone would navigate the window to file://, a redirect or a
  // frame could go anywhere: never leave the UI.
  const guard = (e: { preventDefault(): void }, url: string) => {
    if (!mayNavigate(url, UI_BASE)) e.preventDefault();
  };
  win.webContents.on('will-navigate', guard);
  win.webContents.on('will-redirect', guard);
  win.webContents.on('will-frame-navigate', (e) => {
    if (!mayNavigateFrame(e.url, e.isMainFrame, UI_BASE)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(url);
    return { action: decision.action };
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(DEV_URL ?? `${APP_ORIGIN}/index.html`);
  return win;
}

function setMenu(): void {
  const dev = Boolean(DEV_URL);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      { label: 'File', submenu: [{ role: process.platform === 'darwin' ? ('close' as const) : ('quit' as const) }] },
      { role: 'editMenu' },
      {
        label: 'View',
        submenu: [
          { role: 'reload' },
          ...(dev ? [{ role: 'toggleDevTools' as const }] : []),
          { type: 'separator' },
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'togglefullscreen' },
        ],
      },
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ label: 'About UMA Workstation', click: () => app.showAboutPanel() }] },
    ]),
  );
}

registerAppScheme();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let host: HostSupervisor | null = null;
  app.on('second-instance', () => {
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    serveApp(path.join(here, '../renderer'));
    host = superviseHost(path.join(here, 'engine-host.js'), process.env.UMA_DB ? { UMA_DB: process.env.UMA_DB } : {});
    const trusted = (e: IpcMainInvokeEvent) =>
      isTrustedSender({ isAppWindow: e.sender === win?.webContents, frameUrl: e.senderFrame?.url }, UI_BASE);
    handleShellCalls(hostClient(host), trusted);
    setMenu();
    win = createWindow(host);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0 && host) win = createWindow(host);
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // A scan killed here is recovered as interrupted and resumed by the next start.
  app.on('before-quit', () => host?.stop());
}
