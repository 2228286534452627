/**
 * The calls the Electron main process answers itself (SHELL_METHODS of the contract): native open
 * dialogs and printing a report to PDF with Chromium's printToPDF. They arrive over ipcMain from the
 * preload, are accepted only from the app's own window and origin, and are validated with the same
 * schemas as every other call.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import { API, SHELL_METHODS, type Reply, type UmaApi } from '../../shared/api.ts';
import { toErrorInfo, UmaError } from '../../shared/errors.ts';
import { PAGE_FOOTER } from '../reports/pdf.ts';

const PICKERS: Record<string, OpenDialogOptions> = {
  model: {
    title: 'Open a model',
    properties: ['openFile'],
    filters: [{ name: 'Models (ONNX, TF.js model.json)', extensions: ['onnx', 'json'] }],
  },
  'data-folder': { title: 'Choose a clean-data folder (one sub-folder per class)', properties: ['openDirectory'] },
  archive: {
    title: 'Open a report archive',
    properties: ['openFile'],
    filters: [{ name: 'Report archives', extensions: ['zip'] }],
  },
  'public-key': {
    title: 'Open a trusted public key',
    properties: ['openFile'],
    filters: [{ name: 'Public keys', extensions: ['pub', 'pem'] }],
  },
};

/**
 * Renders HTML in a hidden, script-less, sandboxed window and prints it. The page is loaded from a
 * private temporary file, not a data: URL, which Chromium caps at 2 MB (a report with its trigger images
 * is larger). The footer numbers the pages.
 */
async function printHtml(html: string): Promise<Uint8Array> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'uma-print-'));
  const file = path.join(dir, 'report.html');
  const win = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, javascript: false, nodeIntegration: false },
  });
  try {
    await fs.writeFile(file, html, { mode: 0o600 });
    await win.loadFile(file);
    return new Uint8Array(
      await win.webContents.printToPDF({
        printBackground: true,
        pageSize: 'A4',
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: PAGE_FOOTER,
      }),
    );
  } finally {
    win.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function handleShellCalls(host: UmaApi, trusted: (e: IpcMainInvokeEvent) => boolean): void {
  ipcMain.handle('uma:shell', async (event, method: unknown, args: unknown): Promise<Reply<unknown>> => {
    try {
      if (!trusted(event)) throw new UmaError('BAD_INPUT', 'refused: the call did not come from the app window');
      if (!(SHELL_METHODS as readonly unknown[]).includes(method))
        throw new UmaError('BAD_INPUT', `'${String(method)}' is not a shell call`);
      if (method === 'shell/pick') {
        const { kind } = API['shell/pick'].args.parse(args);
        const owner = BrowserWindow.fromWebContents(event.sender);
        const r = owner
          ? await dialog.showOpenDialog(owner, PICKERS[kind])
          : await dialog.showOpenDialog(PICKERS[kind]);
        return { ok: true, value: { paths: r.canceled ? [] : r.filePaths } };
      }
      const { scanId } = API['reports/pdf'].args.parse(args);
      const page = await host['reports/html']({ scanId });
      if (!page.ok) return page;
      return { ok: true, value: { name: `scan-${scanId}-report.pdf`, bytes: await printHtml(page.value.html) } };
    } catch (err) {
      const e = toErrorInfo(err);
      return {
        ok: false,
        error: { code: err instanceof Error && err.name === 'ZodError' ? 'BAD_INPUT' : e.code, message: e.message },
      };
    }
  });
}
