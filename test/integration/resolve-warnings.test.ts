/** Element resolution's warnings reach the user of `dib build` (after build-start) and of `dib plan` (stderr). */
import test from 'ava';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { fakeElementPackage, tmpDir } from '../helpers/tmp.js';

test('two packages claiming one element name: dib build --json warns right after build-start; dib plan on stderr', async (t) => {
  const dir = await tmpDir('dib-warn-');
  const nm = path.join(dir, 'node_modules');
  await fakeElementPackage(nm, 'dib-element-motd', { name: 'motd' });
  await fakeElementPackage(nm, '@acme/dib-element-motd', { name: 'motd' });
  const r = await dib(['build', '--json', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root', 'motd'], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; level?: string; message?: string });
  t.is(events[0]!.type, 'build-start');
  t.deepEqual(events[1], {
    ...events[1],
    type: 'log',
    level: 'warn',
    message: `two packages claim element 'motd' in ${nm}: dib-element-motd, @acme/dib-element-motd; using dib-element-motd — name the package in the element list ('@acme/dib-element-motd') to use another, or uninstall one`,
  });
  const plan = await dib(['plan', 'busybox-root', 'motd'], { cwd: dir });
  t.is(plan.exitCode, 0);
  t.regex(plan.stderr, /^dib: warning: two packages claim element 'motd'/);
});
