/**
 * The times of an xfs filesystem made by `mkfs.xfs -p`: a prototype file carries no times, so
 * every inode mkfs makes has the time it was made. DIB copies the tree into the mounted
 * filesystem with `cp -a`, which keeps each file's atime and mtime: dib sets them afterwards
 * with `xfs_db -x` (one run for the whole tree), from the tree. With SOURCE_DATE_EPOCH the
 * atime and mtime are clamped to it and the inode change and creation times set to it, as
 * ext-times.ts does for ext, so that a rebuild makes the same bytes (xfs_db recomputes each
 * inode's checksum as it writes).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from '../vocabulary.js';

export interface XfsInodeTimes {
  /** the path in the filesystem (`/`, `/etc/hostname`) */
  path: string;
  /** nanoseconds since the epoch */
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** Every path of `root` with its atime and mtime, parents before children. */
export async function treeTimes(root: string): Promise<XfsInodeTimes[]> {
  const out: XfsInodeTimes[] = [];
  const add = async (host: string, path: string) => {
    const st = await lstat(host, { bigint: true });
    out.push({ path, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });
    if (!st.isDirectory()) return;
    for (const name of (await readdir(host)).sort()) await add(join(host, name), path === '/' ? `/${name}` : `${path}/${name}`);
  };
  await add(root, '/');
  return out;
}

const NS = 1_000_000_000n;

/**
 * xfs_db commands that set the times. With bigtime (xfsprogs ≥ 5.15's default) a timestamp is
 * one 64-bit count of nanoseconds since 1901-12-13T20:45:52Z; without it, seconds and
 * nanoseconds apart. `epoch` clamps atime and mtime and is the ctime and crtime.
 */
export function xfsTimeCommands(times: readonly XfsInodeTimes[], opts: { bigtime: boolean; crtime: boolean; epoch?: number; metaInodes?: readonly number[] }): string {
  const epochNs = opts.epoch !== undefined ? BigInt(opts.epoch) * NS : undefined;
  const clamp = (ns: bigint) => (epochNs !== undefined && ns > epochNs ? epochNs : ns);
  const write = (field: string, ns: bigint): string => {
    if (opts.bigtime) return `write ${field} ${(ns + 2n ** 31n * NS).toString()}\n`;
    const sec = ns >= 0n ? ns / NS : -((-ns + NS - 1n) / NS);
    return `write ${field}.sec ${sec.toString()}\nwrite ${field}.nsec ${(ns - sec * NS).toString()}\n`;
  };
  let text = '';
  for (const t of times) {
    text += `path ${t.path}\n${write('core.atime', clamp(t.atimeNs))}${write('core.mtime', clamp(t.mtimeNs))}`;
    if (epochNs !== undefined) text += `${write('core.ctime', epochNs)}${opts.crtime ? write('v3.crtime', epochNs) : ''}`;
  }
  // the inodes mkfs makes for itself (realtime bitmap and summary, quotas) carry its clock
  if (epochNs !== undefined) {
    for (const ino of opts.metaInodes ?? []) {
      text += `inode ${ino}\n${['core.atime', 'core.mtime', 'core.ctime', ...(opts.crtime ? ['v3.crtime'] : [])].map((f) => write(f, epochNs)).join('')}`;
    }
  }
  return text;
}

/** Set the times of every inode made from `root` in the xfs filesystem `file`. */
export async function setXfsTimes(run: CommandRunner, file: string, root: string, epoch?: number): Promise<void> {
  const probe = await run.run('xfs_db', ['-r', '-c', 'sb 0', '-c', 'print rbmino rsumino uquotino gquotino pquotino', '-c', 'path /', '-c', 'print v3.bigtime', file], { quiet: true, reject: false });
  const bigtime = /v3\.bigtime = 1/.test(probe.stdout);
  const crtime = /v3\.bigtime = /.test(probe.stdout); // v5 (crc) inodes have v3.* fields
  // 0 (or "null") when the filesystem has no such inode
  const metaInodes = [...probe.stdout.matchAll(/^(?:rbmino|rsumino|[ugp]quotino) = (\d+)$/gm)].map((m) => Number(m[1])).filter((n) => n > 0 && Number.isSafeInteger(n));
  const times = await treeTimes(root);
  await run.run('xfs_db', ['-x', file], { input: xfsTimeCommands(times, { bigtime, crtime, metaInodes, ...(epoch !== undefined ? { epoch } : {}) }), quiet: true });
}
