/**
 * The `dib` command run outside its project's install (a global one) hands over to the
 * project's own `node_modules/dib`; a broken project dib is an error, not a silent switch.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { run, cleanEnv } from '../helpers/registry.js';
import { tmpDir } from '../helpers/tmp.js';

const BIN = path.join(REPO, 'packages', 'dib', 'dist', 'bin.js');

test("a dib outside the project hands over to the project's dib, which says so in dib doctor", async (t) => {
  const proj = await tmpDir('dib-handover-');
  // the project's own install: a copy of the dib package, with the repository's core and elements
  const local = path.join(proj, 'node_modules', 'dib');
  await fs.copy(path.join(REPO, 'packages', 'dib', 'package.json'), path.join(local, 'package.json'));
  await fs.copy(path.join(REPO, 'packages', 'dib', 'dist'), path.join(local, 'dist'));
  await fs.symlink(path.join(REPO, 'node_modules', '@dib'), path.join(proj, 'node_modules', '@dib'));
  const r = await run('node', [BIN, 'doctor', '--quick', 'busybox-root'], { cwd: proj, env: cleanEnv() });
  t.regex(r.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${local}; the dib 0\\.1\\.0 at ${path.join(REPO, 'packages', 'dib')} handed over to this project's dib$`, 'm'), r.all);
  // from a subdirectory too (the nearest node_modules/dib, as Node resolves it)
  await fs.ensureDir(path.join(proj, 'sub', 'dir'));
  const sub = await run('node', [BIN, 'plan', 'busybox-root'], { cwd: path.join(proj, 'sub', 'dir'), env: cleanEnv() });
  t.is(sub.exitCode, 0, sub.all);
  // the project's dib itself does not hand over again
  const self = await run('node', [path.join(local, 'dist', 'bin.js'), 'doctor', '--quick', 'busybox-root'], { cwd: proj, env: cleanEnv() });
  t.regex(self.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${local}$`, 'm'));
});

test("a project dib that cannot start is reported with the fix; outside a project dib runs itself", async (t) => {
  const proj = await tmpDir('dib-handover-');
  await fs.outputJson(path.join(proj, 'node_modules', 'dib', 'package.json'), { name: 'dib', version: '9.9.9', bin: { dib: 'dist/bin.js' } });
  const r = await run('node', [BIN, 'plan', 'busybox-root'], { cwd: proj, env: cleanEnv() });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /^dib: error \[E_USAGE\] the project's dib at .*node_modules\/dib failed to start: Cannot find module/m);
  t.regex(r.stderr, /hint: reinstall it \(npm install\), or remove it to use this dib/);
  const none = await tmpDir('dib-handover-');
  const own = await run('node', [BIN, 'doctor', '--quick', 'busybox-root'], { cwd: none, env: cleanEnv() });
  t.regex(own.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${path.join(REPO, 'packages', 'dib')}$`, 'm'));
});
