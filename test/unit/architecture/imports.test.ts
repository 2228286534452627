import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout rules of docs/architecture.md, checked over the source text: the engine knows nothing of
// the layers above it (cases, reports, service, transport, cli, Electron, evaluation), the renderer
// reaches the main process only through the preload's API, and src/main has no import loops.

const ROOT = resolve(__dirname, '../../..');
const SRC = join(ROOT, 'src');

interface ImportEdge {
  /** The specifier as written. */
  spec: string;
  /** The file it names, relative to the repository root, when it is a relative import of a source file. */
  target?: string;
  /** `import type` / `export type`: erased by the compiler, so it exists at type-check time only. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|vue)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// `import x from '...'`, `import type {...} from '...'`, `export {...} from '...'`, `import '...'`
// (each possibly over several lines), and dynamic `import('...')`.
const STATIC = /(?:^|[\n;])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveRelative(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  return undefined;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const edges: ImportEdge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const target = spec.startsWith('.') ? resolveRelative(file, spec) : undefined;
    edges.push({ spec, target, typeOnly });
  };
  for (const m of text.matchAll(STATIC)) add(m[3], m[2] !== undefined);
  for (const m of text.matchAll(DYNAMIC)) add(m[1], false);
  return edges;
}

const files = sourceFiles(SRC).map((f) => relative(ROOT, f));
const graph = new Map(files.map((f) => [f, importsOf(join(ROOT, f))]));

/** Every `from -> to` where `from` lies under one of `fromDirs` and the import matches `forbidden`. */
function violations(fromDir: string, forbidden: (edge: ImportEdge) => boolean): string[] {
  return [...graph]
    .filter(([file]) => file.startsWith(`${fromDir}/`))
    .flatMap(([file, edges]) => edges.filter(forbidden).map((e) => `${file} -> ${e.target ?? e.spec}`));
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(nodes: string[], next: (node: string) => string[]): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next(v).includes(v)) found.push(component.sort());
    }
  };
  for (const v of nodes) if (!order.has(v)) visit(v);
  return found;
}

describe('the source layout', () => {
  it('finds the imports it checks (the parser is not blind)', () => {
    const engineIndex = graph.get('src/main/engine/scan/pipeline.ts');
    expect(engineIndex?.some((e) => e.target?.startsWith('src/main/engine/'))).toBe(true);
    expect(graph.get('src/main/index.ts')?.some((e) => e.spec === 'electron')).toBe(true);
    // Every relative import resolves to a file: a moved file with a stale import is caught here too.
    const unresolved = [...graph].flatMap(([file, edges]) =>
      edges
        .filter((e) => e.spec.startsWith('.') && !e.target && !/\.(vue|css|sql|proto|mjs)$/.test(e.spec))
        .map((e) => `${file} -> ${e.spec}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('keeps the engine free of the layers above it, of evaluation code and of Electron', () => {
    const above = /^src\/main\/(cases|reports|service|transport|cli|electron|engine-host|host|eval)\//;
    const bad = violations(
      'src/main/engine',
      (e) =>
        (e.target !== undefined && above.test(e.target)) || e.spec === 'electron' || e.spec.startsWith('electron/'),
    );
    expect(bad).toEqual([]);
  });

  it('keeps src/main/util neutral: it imports nothing from the layers that share it', () => {
    const bad = violations(
      'src/main/util',
      (e) => e.target?.startsWith('src/main/') === true && !e.target.startsWith('src/main/util/'),
    );
    expect(bad).toEqual([]);
  });

  it('keeps the renderer out of the main process (it talks to it through the preload API only)', () => {
    const bad = violations('src/renderer', (e) => e.target?.startsWith('src/main/') === true);
    expect(bad).toEqual([]);
  });

  it('has no import cycles in src/main', () => {
    // Type-only imports are left out: the compiler erases them, so they cannot order module evaluation;
    // a loop made of them is a naming matter, not a runtime one.
    const mainFiles = files.filter((f) => f.startsWith('src/main/'));
    const next = (file: string) =>
      (graph.get(file) ?? []).filter((e) => !e.typeOnly && e.target?.startsWith('src/main/')).map((e) => e.target!);
    expect(cycles(mainFiles, next)).toEqual([]);
  });
});
