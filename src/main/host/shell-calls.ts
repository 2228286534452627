/**
 * The calls the Electron main process answers itself (SHELL_METHODS of the contract): native open
 * dialogs and printing a report to PDF with Chromium's printToPDF. They arrive over ipcMain from the
 * preload, are accepted only from the app's own window and origin, and are validated with the same
 * schemas as every other call.
 */
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import { API, SHELL_METHODS, type Reply, type UmaApi } from '../../shared/api.ts';
import { toErrorInfo, UmaError } from '../../shared/errors.ts';

const PICKERS: Record<string, OpenDialogOptions> = {
  model: { title: 'Open a model', properties: ['openFile'], filters: [{ name: 'Models (ONNX, TF.js model.json)', extensions: ['onnx', 'json'] }] },
  'data-folder': { title: 'Choose a clean-data folder (one sub-folder per class)', properties: ['openDirectory'] },
  archive: { title: 'Open a report archive', properties: ['openFile'], filters: [{ name: 'Report archives', extensions: ['zip'] }] },
  'public-key': { title: 'Open a trusted public key', properties: ['openFile'], filters: [{ name: 'Public keys', extensions: ['pub', 'pem'] }] },
};

/** Renders HTML in a hidden, script-less, sandboxed window and prints it. */
async function printHtml(html: string): Promise<Uint8Array> {
  const win = new BrowserWindow({ show: false, webPreferences: { sandbox: true, contextIsolation: true, javascript: false, nodeIntegration: false } });
  try {
    await win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
    return new Uint8Array(await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' }));
  } finally {
    win.destroy();
  }
}

export function handleShellCalls(host: UmaApi, trusted: (e: IpcMainInvokeEvent) => boolean): void {
  ipcMain.handle('uma:shell', async (event, method: unknown, args: unknown): Promise<Reply<unknown>> => {
    try {
      if (!trusted(event)) throw new UmaError('BAD_INPUT', 'refused: the call did not come from the app window');
      if (!(SHELL_METHODS as readonly unknown[]).includes(method)) throw new UmaError('BAD_INPUT', `'${String(method)}' is not a shell call`);
      if (method === 'shell/pick') {
        const { kind } = API['shell/pick'].args.parse(args);
        const owner = BrowserWindow.fromWebContents(event.sender);
        const r = owner ? await dialog.showOpenDialog(owner, PICKERS[kind]) : await dialog.showOpenDialog(PICKERS[kind]);
        return { ok: true, value: { paths: r.canceled ? [] : r.filePaths } };
      }
      const { scanId } = API['reports/pdf'].args.parse(args);
      const page = await host['reports/html']({ scanId });
      if (!page.ok) return page;
      return { ok: true, value: { name: `scan-${scanId}-report.pdf`, bytes: await printHtml(page.value.html) } };
    } catch (err) {
      const e = toErrorInfo(err);
      return { ok: false, error: { code: err instanceof Error && err.name === 'ZodError' ? 'BAD_INPUT' : e.code, message: e.message } };
    }
  });
}
