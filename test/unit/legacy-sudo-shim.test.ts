import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { sudoShimDir } from '#core/dib-elements/sudo-shim.js';
import { tmpDir } from '../helpers/tmp.js';

test('the sudo shim runs the command with sudo options and VAR=value stripped the way sudo takes them', async (t) => {
  const dir = await tmpDir();
  const shimDir = await sudoShimDir(path.join(dir, 'bin'), '/nonexistent');
  t.is(shimDir, path.join(dir, 'bin'));
  const sudo = path.join(shimDir!, 'sudo');
  t.is((await execa(sudo, ['-E', '-H', 'sh', '-c', 'echo ok'])).stdout, 'ok');
  t.is((await execa(sudo, ['FOO=bar', 'sh', '-c', 'echo $FOO'])).stdout, 'bar');
  t.is((await execa(sudo, ['-u', 'nobody', 'id', '-un'])).stdout, 'nobody');
  t.is((await execa(sudo, ['--', 'cp', '/etc/hostname', path.join(dir, 'copied')])).exitCode, 0);
  t.true(await fs.pathExists(path.join(dir, 'copied')));
  const none = await execa(sudo, ['-E'], { reject: false });
  t.is(none.exitCode, 1);
});

test('no shim when a real sudo is on PATH', async (t) => {
  const dir = await tmpDir();
  await fs.ensureDir(path.join(dir, 'realbin'));
  await fs.writeFile(path.join(dir, 'realbin', 'sudo'), '#!/bin/sh\n', { mode: 0o755 });
  t.is(await sudoShimDir(path.join(dir, 'bin'), path.join(dir, 'realbin')), undefined);
  t.false(await fs.pathExists(path.join(dir, 'bin', 'sudo')));
});
