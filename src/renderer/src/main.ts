/** Renderer entry: pick the transport, install it as the API client, then mount the app. */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { setApi } from './lib/api.ts';
import { connectTransport } from './lib/transport.ts';
import './styles/theme.css';

async function boot(): Promise<void> {
  try {
    setApi(await connectTransport());
  } catch (err) {
    // Without a connection there is nothing to show but how to get one.
    document.getElementById('app')!.innerHTML =
      `<div style="padding:2rem;font-family:system-ui"><h1>Cannot reach the UMA service</h1><p>${String(err instanceof Error ? err.message : err).replace(/</g, '&lt;')}</p><p>Open the exact address <code>uma serve</code> printed (it carries the session token), or restart it.</p></div>`;
    return;
  }
  createApp(App).use(createPinia()).mount('#app');
}

void boot();
