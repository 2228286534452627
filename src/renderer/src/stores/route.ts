/** The current route, following location.hash. Views read it; links and `go` change it. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { href, parseHash, type Route, type RouteName } from '../lib/routes.ts';

export const useRouteStore = defineStore('route', () => {
  const current = ref<Route>(parseHash(window.location.hash));

  function sync(): void {
    current.value = parseHash(window.location.hash);
  }
  window.addEventListener('hashchange', sync);

  function go(name: RouteName, params: Record<string, string | number> = {}, query: Record<string, string> = {}): void {
    window.location.hash = href(name, params, query);
    // hashchange fires asynchronously; update now so the next render already shows the new page.
    sync();
  }

  return { current, go };
});
