import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { silentLogger } from '@dib/core';
import { OWNER_MARKER, claimDir, sweepLeftovers, sweepStale } from '#core/sandbox/leftovers.js';
import { isLocked } from '#core/cache/lock.js';
import { parseInitReport } from '#core/chroot/init.js';
import { tmpDir } from '../helpers/tmp.js';

test('a claimed dir is locked while its owner lives; released, it is stale', async (t) => {
  const dir = await tmpDir();
  const owned = path.join(dir, 'dib_build.aaa');
  await fs.ensureDir(owned);
  const lock = await claimDir(owned);
  t.true(await fs.pathExists(path.join(owned, OWNER_MARKER)));
  t.true(await isLocked(path.join(owned, OWNER_MARKER)), 'held');
  t.deepEqual((await sweepStale(dir, ['dib_build.'], silentLogger)).removed, [], 'a live build is never touched');
  await lock.release();
  t.deepEqual((await sweepStale(dir, ['dib_build.'], silentLogger)).removed, [owned]);
  t.false(await fs.pathExists(owned));
});

test('the lock dies with its holder, even by SIGKILL (a process in another PID namespace)', async (t) => {
  const dir = await tmpDir();
  const owned = path.join(dir, 'dib_image.bbb');
  await fs.ensureDir(owned);
  await fs.writeFile(path.join(owned, OWNER_MARKER), 'x');
  const holder = execa('unshare', ['--pid', '--fork', '--kill-child', 'flock', '--exclusive', path.join(owned, OWNER_MARKER), 'sleep', '60'], { reject: false });
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual((await sweepStale(dir, ['dib_image.'], silentLogger)).removed, []);
  holder.kill('SIGKILL');
  await holder;
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual((await sweepStale(dir, ['dib_image.'], silentLogger)).removed, [owned]);
});

test('only dib-marked real directories with the prefix are swept; never links, never unmarked dirs', async (t) => {
  const dir = await tmpDir();
  const victim = path.join(dir, 'precious');
  await fs.ensureDir(victim);
  await fs.writeFile(path.join(victim, OWNER_MARKER), 'x');
  await fs.writeFile(path.join(victim, 'data'), 'keep');
  await fs.symlink(victim, path.join(dir, 'dib_build.link'));
  await fs.ensureDir(path.join(dir, 'dib_build.unmarked'));
  await fs.writeFile(path.join(dir, 'dib_build.unmarked', 'data'), 'keep');
  await fs.ensureDir(path.join(dir, 'other.dir'));
  await fs.writeFile(path.join(dir, 'other.dir', OWNER_MARKER), 'x');
  const r = await sweepStale(dir, ['dib_build.'], silentLogger);
  t.deepEqual(r.removed, []);
  t.true(await fs.pathExists(path.join(victim, 'data')));
  t.true(await fs.pathExists(path.join(dir, 'dib_build.unmarked', 'data')));
});

test('sweepLeftovers says what it removed', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  await fs.ensureDir(path.join(work, 'dib_build.x'));
  await fs.writeFile(path.join(work, 'dib_build.x', OWNER_MARKER), 'x');
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
  const r = await sweepLeftovers({ workDir: work }, log);
  t.is(r.removed.length, 1);
  t.true(warnings.some((w) => /removed the work dir .*dib_build\.x left by a dib build that was killed/.test(w)));
});

test("dib-init's report: left processes, exec errors, how the main process ended", (t) => {
  t.deepEqual(parseInitReport('left 7 sleep 100000\nleft 9 /bin/sh -c x y\nstatus exit 3\n'), {
    left: [
      { pid: 7, command: 'sleep 100000' },
      { pid: 9, command: '/bin/sh -c x y' },
    ],
    exit: { code: 3 },
  });
  t.deepEqual(parseInitReport('exec 2 No such file or directory\nstatus exit 127\n'), { left: [], execError: { errno: 2, message: 'No such file or directory' }, exit: { code: 127 } });
  t.deepEqual(parseInitReport('status signal 9\n').exit, { signal: 9 });
});
