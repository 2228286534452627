/**
 * The Electron shell's security decisions as pure functions of URLs, so that they are tested in Node
 * with real URLs (test/unit/electron/shell-policy.test.ts) and not only in an Electron that cannot run in CI.
 *
 * Why not `new URL(u).origin`: WHATWG URL gives a non-special scheme such as app:// an opaque origin,
 * the string "null", so comparing origins refuses the app's own pages. The app is identified by its
 * scheme, host and port instead.
 */

/** The packaged renderer is served from app://ui (app-protocol.ts). */
export const APP_ORIGIN = 'app://ui';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * Hosts an external https link may open in the system browser: the references the UI and reports cite.
 * Anything else (a link smuggled into evidence metadata or a report) stays unopened.
 */
export const EXTERNAL_HOSTS: readonly string[] = [
  'github.com',
  'onnx.ai',
  'arxiv.org',
  'doi.org',
  'www.tensorflow.org',
  'pytorch.org',
];

function parse(url: string | undefined): URL | null {
  if (!url) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Same scheme, host and port as the UI's base URL (app://ui, or electron-vite's dev server). */
export function isUiUrl(url: string | undefined, uiBase: string): boolean {
  const u = parse(url);
  const base = parse(uiBase);
  if (!u || !base) return false;
  return u.protocol === base.protocol && u.host === base.host && u.username === '' && u.password === '';
}

/** A shell call (dialog, PDF) is answered only for the app's own window showing the app's own page. */
export function isTrustedSender(
  sender: { isAppWindow: boolean; frameUrl: string | undefined },
  uiBase: string,
): boolean {
  return sender.isAppWindow && isUiUrl(sender.frameUrl, uiBase);
}

/**
 * will-navigate, will-redirect and will-frame-navigate: the window never leaves the UI (a dropped file
 * would otherwise navigate it to file://, a redirect could take it anywhere).
 */
export function mayNavigate(url: string, uiBase: string): boolean {
  return isUiUrl(url, uiBase);
}

/**
 * will-frame-navigate also fires for sub-frames: the report preview is a sandboxed srcdoc iframe
 * (about:srcdoc). A sub-frame may show that or the UI's own pages, nothing else.
 */
export function mayNavigateFrame(url: string, isMainFrame: boolean, uiBase: string): boolean {
  if (isMainFrame) return mayNavigate(url, uiBase);
  return url === 'about:srcdoc' || url === 'about:blank' || isUiUrl(url, uiBase);
}

/** An https link on an allow-listed host, without credentials, opens in the system browser. */
export function mayOpenExternally(url: string): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  return EXTERNAL_HOSTS.includes(u.hostname);
}

/** What the window-open handler does with a URL: nothing opens inside the app. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: mayOpenExternally(url) };
}
