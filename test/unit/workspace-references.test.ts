/**
 * Every workspace package's tsconfig references the workspace packages its package.json
 * depends on. `tsc -b` orders projects by references only; a dependency it does not know of can
 * be looked up (and remembered as missing) before it is built, which fails a clean build that
 * an incremental one hides.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

const DIRS = [
  'core',
  ...['plugins', 'packages'].flatMap((group) =>
    readdirSync(path.join(REPO, group)).map((name) => `${group}/${name}`),
  ),
].filter((dir) => existsSync(path.join(REPO, dir, 'package.json')));

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;

test('each workspace references the workspaces it depends on', (t) => {
  const byName = new Map(DIRS.map((dir) => [read(path.join(REPO, dir, 'package.json')).name as string, dir]));
  const missing: string[] = [];
  for (const dir of DIRS) {
    const pkg = read(path.join(REPO, dir, 'package.json'));
    const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
    const tsconfig = read(path.join(REPO, dir, 'tsconfig.json'));
    const refs = new Set(
      ((tsconfig.references ?? []) as { path: string }[]).map((ref) =>
        path.relative(REPO, path.resolve(REPO, dir, ref.path)),
      ),
    );
    for (const name of Object.keys(deps)) {
      const target = byName.get(name);
      if (target && !refs.has(target)) missing.push(`${dir}/tsconfig.json lacks a reference to ${target} (${name})`);
    }
  }
  t.deepEqual(missing, []);
});
