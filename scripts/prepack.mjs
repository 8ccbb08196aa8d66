#!/usr/bin/env node
/**
 * npm's prepack/postpack for every workspace package: build the package (tsc -b, with the
 * packages it references) so that a fresh clone never packs an empty dist/, and put the
 * repository's LICENSE into the tarball. `--after` (postpack) removes the copied LICENSE.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkgDir = process.cwd();
const license = path.join(root, 'LICENSE');
const copied = path.join(pkgDir, 'LICENSE');

function fail(message) {
  process.stderr.write(`prepack: ${path.relative(root, pkgDir)}: ${message}\n`);
  process.exit(1);
}

if (process.argv.includes('--after')) {
  if (existsSync(copied) && readFileSync(copied, 'utf8') === readFileSync(license, 'utf8')) rmSync(copied);
  process.exit(0);
}

if (!existsSync(path.join(pkgDir, 'README.md'))) fail('has no README.md (npm would show "No README data found")');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) fail(`TypeScript is not installed in ${root}: run npm ci there first`);
const r = spawnSync(process.execPath, [tsc, '-b', pkgDir], { stdio: 'inherit' });
if (r.status !== 0) fail(`tsc -b failed (exit status ${r.status ?? r.signal})`);
copyFileSync(license, copied);
