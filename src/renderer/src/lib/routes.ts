/**
 * The app's hash routes. A route is a name plus string params; the hash is its only serialised form,
 * so back/forward, reload and copied links all work without a router library.
 */
export const ROUTES = {
  home: '/',
  welcome: '/welcome',
  cases: '/cases',
  case: '/cases/:caseId',
  newScan: '/cases/:caseId/new-scan',
  live: '/scans/:scanId/live',
  results: '/scans/:scanId',
  triggers: '/scans/:scanId/triggers',
  report: '/scans/:scanId/report',
  compare: '/compare',
  verify: '/verify',
  keys: '/keys',
  batches: '/batches',
} as const;

export type RouteName = keyof typeof ROUTES;

export interface Route {
  name: RouteName | 'not-found';
  params: Record<string, string>;
  query: Record<string, string>;
  path: string;
}

function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) return null;
  }
  return params;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  for (const [name, pattern] of Object.entries(ROUTES) as [RouteName, string][]) {
    const params = match(pattern, path);
    if (params) return { name, params, query, path };
  }
  return { name: 'not-found', params: {}, query, path };
}

export function href(
  name: RouteName,
  params: Record<string, string | number> = {},
  query: Record<string, string> = {},
): string {
  const path = ROUTES[name].replace(/:(\w+)/g, (_, key: string) => {
    if (params[key] === undefined) throw new Error(`route ${name} needs ${key}`);
    return encodeURIComponent(String(params[key]));
  });
  const search = new URLSearchParams(query).toString();
  return `#${path}${search ? `?${search}` : ''}`;
}
