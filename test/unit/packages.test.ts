/**
 * What every workspace package publishes: the metadata npm shows (README, license, repository,
 * engines), public access for scoped packages, only public entry points, a prepack that builds;
 * and, for element packages, that every element they need is installable from their own
 * package.json: `deps`, plus what dib adds for them (the default layout `vm` gets), plus
 * `base` for the `dib` command, which depends on every built-in element.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withImplicitElements } from '#core/elements/expand.js';
import type { Element } from '@dib/core';
import { REPO } from '../helpers/cli.js';

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { type: string; url: string; directory?: string };
  engines?: { node?: string };
  publishConfig?: { access?: string };
  exports?: Record<string, unknown>;
  files?: string[];
  scripts?: Record<string, string>;
  keywords?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

const root = fs.readJsonSync(path.join(REPO, 'package.json')) as PackageJson & { workspaces: string[] };

function workspaceDirs(): string[] {
  const out: string[] = [];
  for (const w of root.workspaces) {
    if (w.endsWith('/*')) {
      const parent = path.join(REPO, w.slice(0, -2));
      for (const d of fs.readdirSync(parent).sort()) if (fs.existsSync(path.join(parent, d, 'package.json'))) out.push(path.join(parent, d));
    } else out.push(path.join(REPO, w));
  }
  return out;
}

const packages = workspaceDirs().map((dir) => ({ dir, rel: path.relative(REPO, dir), pj: fs.readJsonSync(path.join(dir, 'package.json')) as PackageJson }));
const byName = new Map(packages.map((p) => [p.pj.name, p]));
const elementPackages = packages.filter((p) => p.pj.keywords?.includes('dib-element'));

async function elementOf(dir: string): Promise<Element> {
  return ((await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href)) as { default: Element }).default;
}

/** element name → package name, and virtual name → packages that provide it */
async function elementIndex() {
  const names = new Map<string, string>();
  const providers = new Map<string, string[]>();
  for (const p of elementPackages) {
    const el = await elementOf(p.dir);
    names.set(el.name, p.pj.name);
    for (const v of el.provides ?? []) providers.set(v, [...(providers.get(v) ?? []), p.pj.name]);
  }
  return { names, providers };
}

/** A caret range that the workspace version satisfies (`^0.1.0` for 0.1.x). */
function satisfiedBy(range: string, version: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!m) return false;
  const [maj, min, pat] = version.split('.').map(Number) as [number, number, number];
  const [rMaj, rMin, rPat] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (maj !== rMaj) return false;
  if (rMaj === 0) return min === rMin && pat >= rPat;
  return min > rMin || (min === rMin && pat >= rPat);
}

test('there are the packages a user installs: dib, create-dib, @dib/core and the elements', (t) => {
  t.truthy(byName.get('dib'));
  t.truthy(byName.get('create-dib'));
  t.truthy(byName.get('@dib/core'));
  t.true(elementPackages.length >= 18);
});

for (const p of packages) {
  test(`${p.pj.name}: publishable metadata, public entry points only, prepack builds`, (t) => {
    const { pj } = p;
    t.falsy(pj.private);
    t.is(pj.license, 'Apache-2.0');
    t.true(fs.existsSync(path.join(REPO, 'LICENSE')), 'the LICENSE prepack copies');
    t.true(fs.existsSync(path.join(p.dir, 'README.md')), 'a README for the npm page');
    t.deepEqual(pj.repository, { type: 'git', url: root.repository!.url, directory: p.rel });
    t.is(pj.engines?.node, root.engines!.node);
    if (pj.name.startsWith('@')) t.is(pj.publishConfig?.access, 'public');
    t.is(pj.version, root.version, 'the packages are released in lockstep');
    for (const key of Object.keys(pj.exports ?? {})) t.false(key.includes('internal') || key.includes('*'), `export ${key}`);
    t.true(pj.files?.includes('dist'));
    // shipped source maps point at shipped sources
    t.true(pj.files?.includes('src'));
    t.regex(pj.scripts?.prepack ?? '', /^node \.\.\/(\.\.\/)?scripts\/prepack\.mjs( && .+)?$/);
    t.regex(pj.scripts?.postpack ?? '', /scripts\/prepack\.mjs --after$/);
    for (const [dep, range] of Object.entries({ ...pj.dependencies, ...pj.peerDependencies })) {
      const ws = byName.get(dep);
      if (ws) t.true(satisfiedBy(range, ws.pj.version), `${dep}@${range} must accept the workspace's ${ws.pj.version}`);
    }
    t.falsy(pj.dependencies?.typescript, 'TypeScript is not a runtime dependency');
  });
}

test('@dib/core exports its API, the CLI entry for the dib package, the testing helper and the config schema, nothing else', (t) => {
  t.deepEqual(Object.keys(byName.get('@dib/core')!.pj.exports ?? {}).sort(), ['.', './cli', './package.json', './schema.json', './testing']);
  t.is(byName.get('@dib/core')!.pj.bin, undefined, 'one package owns the dib command');
});

test('the dib command depends on @dib/core and on every built-in element', (t) => {
  const dib = byName.get('dib')!.pj;
  t.deepEqual(Object.keys(dib.bin ?? {}), ['dib']);
  t.truthy(dib.dependencies?.['@dib/core']);
  for (const p of elementPackages) t.truthy(dib.dependencies?.[p.pj.name], `dib depends on ${p.pj.name}`);
});

for (const p of elementPackages) {
  test(`${p.pj.name}: every element it needs installs with it`, async (t) => {
    const { names, providers } = await elementIndex();
    const el = await elementOf(p.dir);
    t.is(p.pj.peerDependencies?.['@dib/core'] !== undefined, true, 'peer-depends on @dib/core');
    t.is(p.pj.dependencies?.['@dib/core'], undefined, 'the core comes from the dib that runs the build');
    const deps = Object.keys(p.pj.dependencies ?? {});
    // what dib adds for this element on each architecture family, except base (the dib command's)
    const added = ['amd64', 'arm64'].flatMap((arch) => withImplicitElements([el.name], { arch, skipBase: true }).filter((n) => n !== el.name));
    for (const need of new Set([...(el.deps ?? []), ...added])) {
      const pkg = names.get(need);
      if (pkg) {
        t.true(deps.includes(pkg), `${el.name} needs '${need}': ${p.pj.name} must depend on ${pkg}`);
      } else {
        const by = providers.get(need) ?? [];
        t.true(by.length > 0, `${el.name} needs '${need}', which no element provides`);
        t.true(by.some((b) => deps.includes(b)), `${el.name} needs '${need}': ${p.pj.name} must depend on one of ${by.join(', ')}`);
      }
    }
  });
}
