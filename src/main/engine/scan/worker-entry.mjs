// Worker threads do not inherit the TypeScript loader registered in the main thread; register it here,
// then run the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
