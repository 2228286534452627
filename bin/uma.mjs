#!/usr/bin/env node
// Runs the TypeScript CLI straight from src/ through tsx, so `npx uma ...` works right after
// `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
