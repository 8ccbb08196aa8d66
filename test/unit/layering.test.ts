/**
 * The core's layers (docs/architecture.md): every import between folders of core/src runs
 * down the table below or stays within one layer, the folder graph has no cycle, and the core
 * never imports a plugin (an element is reached through hooks it taps, never by package name).
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

const SRC = path.join(REPO, 'core', 'src');

/** Layer of each folder (or top-level file) of core/src: lower layers never import higher ones. */
const LAYERS: Record<string, number> = {
  vocabulary: 0,
  errors: 0,
  util: 0,
  log: 1,
  cache: 1,
  chroot: 1,
  sandbox: 1,
  disk: 1,
  sbom: 1,
  config: 2,
  output: 2,
  boot: 2,
  diff: 2,
  contract: 3,
  'dib-elements': 4,
  elements: 4,
  pipeline: 5,
  doctor: 6,
  testing: 6,
  scaffold: 7,
  cli: 7,
  index: 7,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The folder (or top-level file name) a source file belongs to. */
function part(file: string): string {
  const rel = path.relative(SRC, file);
  const first = rel.split(path.sep)[0]!;
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  const re = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        edges.push({ from: part(file), to: `package:${spec}`, file, spec });
        continue;
      }
      const target = path.resolve(path.dirname(file), spec);
      const to = part(target.replace(/\.js$/, '.ts'));
      if (to !== part(file)) edges.push({ from: part(file), to, file, spec });
    }
  }
  return edges;
}

test('every folder of core/src has a layer', (t) => {
  const parts = new Set(sources(SRC).map(part));
  t.deepEqual([...parts].filter((p) => LAYERS[p] === undefined), [], 'add the new folder to LAYERS and docs/architecture.md');
});

test('imports between core folders run downward or within a layer', (t) => {
  const upward = importEdges()
    .filter((e) => !e.to.startsWith('package:') && LAYERS[e.to]! > LAYERS[e.from]!)
    .map((e) => `${path.relative(REPO, e.file)} imports ${e.spec} (${e.from} → ${e.to})`);
  t.deepEqual(upward, []);
});

test('the folder import graph of core/src has no cycle', (t) => {
  const graph = new Map<string, Set<string>>();
  for (const e of importEdges()) {
    if (e.to.startsWith('package:')) continue;
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, trail: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(n)), n].join(' → '));
      return;
    }
    state.set(n, 'open');
    for (const m of graph.get(n) ?? []) visit(m, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of graph.keys()) visit(n, []);
  t.deepEqual(cycles, []);
});

test('the core imports no plugin: elements answer hooks the core owns', (t) => {
  const plugins = importEdges()
    .filter((e) => /^package:(@dib\/element-|dib-element-)/.test(e.to))
    .map((e) => `${path.relative(REPO, e.file)} imports ${e.spec}`);
  t.deepEqual(plugins, []);
});
