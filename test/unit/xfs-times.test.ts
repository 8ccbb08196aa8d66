/** The xfs_db commands that give an xfs filesystem made from a prototype file the tree's times. */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { treeTimes, xfsTimeCommands } from '#core/disk/xfs-times.js';
import { tmpDir } from '../helpers/tmp.js';

const S = 1_000_000_000n;

test('bigtime: one count of nanoseconds since 1901; the epoch clamps atime and mtime and is ctime and crtime', (t) => {
  const text = xfsTimeCommands([{ path: '/etc/hostname', atimeNs: 1800000000n * S, mtimeNs: 1600000000n * S + 5n }], { bigtime: true, crtime: true, epoch: 1700000000 });
  const at = (s: bigint, ns = 0n) => ((s + 2n ** 31n) * S + ns).toString();
  t.is(text, `path /etc/hostname\nwrite core.atime ${at(1700000000n)}\nwrite core.mtime ${at(1600000000n, 5n)}\nwrite core.ctime ${at(1700000000n)}\nwrite v3.crtime ${at(1700000000n)}\n`);
});

test('without bigtime: seconds and nanoseconds apart (before 1970 too); without an epoch ctime is left alone', (t) => {
  const text = xfsTimeCommands([{ path: '/', atimeNs: -1n, mtimeNs: 3n * S + 7n }], { bigtime: false, crtime: false });
  t.is(text, 'path /\nwrite core.atime.sec -1\nwrite core.atime.nsec 999999999\nwrite core.mtime.sec 3\nwrite core.mtime.nsec 7\n');
});

test("treeTimes: every path, parents first, sorted, with the tree's nanoseconds", async (t) => {
  const root = await tmpDir();
  await fs.outputFile(path.join(root, 'b/c'), '');
  await fs.outputFile(path.join(root, 'a'), '');
  await fs.utimes(path.join(root, 'a'), 1700000000.25, 1600000000.5);
  const times = await treeTimes(root);
  t.deepEqual(times.map((x) => x.path), ['/', '/a', '/b', '/b/c']);
  t.is(times[1]!.mtimeNs, 1600000000n * S + 500000000n);
  t.is(times[1]!.atimeNs, 1700000000n * S + 250000000n);
});

test("with an epoch, mkfs's own inodes (realtime bitmap and summary) get it too", (t) => {
  const text = xfsTimeCommands([], { bigtime: false, crtime: true, epoch: 5, metaInodes: [129, 130] });
  const all = 'write core.atime.sec 5\nwrite core.atime.nsec 0\nwrite core.mtime.sec 5\nwrite core.mtime.nsec 0\nwrite core.ctime.sec 5\nwrite core.ctime.nsec 0\nwrite v3.crtime.sec 5\nwrite v3.crtime.nsec 0\n';
  t.is(text, `inode 129\n${all}inode 130\n${all}`);
  t.is(xfsTimeCommands([], { bigtime: false, crtime: true, metaInodes: [129] }), '', 'no epoch: left as mkfs made them');
});
