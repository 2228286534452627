import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  CSP,
  isTrustedSender,
  isUiUrl,
  mayNavigate,
  mayNavigateFrame,
  mayOpenExternally,
  windowOpenDecision,
} from '../../../src/main/electron/shell-policy.ts';

const DEV = 'http://localhost:5173/';

describe('the Electron shell policy, with real URLs', () => {
  it('app:// has an opaque origin in Node, which is why the policy compares scheme and host', () => {
    expect(new URL('app://ui/index.html').origin).toBe('null');
    expect(isUiUrl('app://ui/index.html', APP_ORIGIN)).toBe(true);
    expect(isUiUrl('app://ui/#/cases/3', APP_ORIGIN)).toBe(true);
  });

  it('refuses other hosts, schemes, ports and credentials as the UI', () => {
    for (const url of [
      'app://evil/index.html',
      'file:///etc/passwd',
      'https://ui/index.html',
      'app://user:pw@ui/',
      'data:text/html,<p>x',
      'about:blank',
      'not a url',
      '',
    ]) {
      expect(isUiUrl(url, APP_ORIGIN), url).toBe(false);
    }
    expect(isUiUrl('http://localhost:5173/#/verify', DEV)).toBe(true);
    expect(isUiUrl('http://localhost:5174/', DEV)).toBe(false);
    expect(isUiUrl('http://127.0.0.1:5173/', DEV)).toBe(false);
  });

  it('trusts a shell call only from the app window showing the app', () => {
    expect(isTrustedSender({ isAppWindow: true, frameUrl: 'app://ui/index.html#/cases/1' }, APP_ORIGIN)).toBe(true);
    expect(isTrustedSender({ isAppWindow: false, frameUrl: 'app://ui/index.html' }, APP_ORIGIN)).toBe(false);
    expect(isTrustedSender({ isAppWindow: true, frameUrl: undefined }, APP_ORIGIN)).toBe(false);
    expect(isTrustedSender({ isAppWindow: true, frameUrl: 'about:srcdoc' }, APP_ORIGIN)).toBe(false);
  });

  it('lets the window navigate within the UI only; sub-frames may also show the srcdoc preview', () => {
    expect(mayNavigate('app://ui/index.html#/verify', APP_ORIGIN)).toBe(true);
    expect(mayNavigate('file:///home/analyst/model.onnx', APP_ORIGIN)).toBe(false);
    expect(mayNavigate('https://example.com/', APP_ORIGIN)).toBe(false);
    expect(mayNavigateFrame('about:srcdoc', false, APP_ORIGIN)).toBe(true);
    expect(mayNavigateFrame('about:srcdoc', true, APP_ORIGIN)).toBe(false);
    expect(mayNavigateFrame('https://example.com/', false, APP_ORIGIN)).toBe(false);
  });

  it('opens only allow-listed https links externally, and never a window inside the app', () => {
    expect(mayOpenExternally('https://github.com/onnx/onnx')).toBe(true);
    expect(mayOpenExternally('http://github.com/')).toBe(false);
    expect(mayOpenExternally('https://github.com.evil.example/')).toBe(false);
    expect(mayOpenExternally('https://user@github.com/')).toBe(false);
    expect(mayOpenExternally('file:///etc/passwd')).toBe(false);
    expect(windowOpenDecision('https://arxiv.org/abs/1')).toEqual({ action: 'deny', openExternally: true });
    expect(windowOpenDecision('https://example.com/')).toEqual({ action: 'deny', openExternally: false });
  });

  it('the CSP allows only the app itself to run scripts and connect', () => {
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).toContain("object-src 'none'");
    expect(CSP).not.toContain('unsafe-eval');
  });
});
