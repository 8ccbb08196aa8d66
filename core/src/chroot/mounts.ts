/**
 * The host seam for mounts: every mount, bind mount and unmount dib makes goes through this
 * module (logged at debug level; a new mount is refused once the build is being stopped), and
 * it holds the one parser of /proc/self/mountinfo.
 *
 * The chroot gets what systemd-nspawn and bubblewrap give a container, not DIB's binds of the
 * host: proc, sysfs read-only, and a private minimal /dev — a small tmpfs holding null, zero,
 * full, random, urandom and tty, a devpts instance of its own (ptmx → pts/ptmx), a tmpfs at
 * /dev/shm and the fd/stdin/stdout/stderr links. dib needs no block device, and nothing the
 * chroot does to its /dev reaches the host's. Trees that must stay read-only (the hooks tree at
 * /tmp/in_target.d) are mounted as an overlay without an upper layer, whose superblock is
 * read-only: `mount -o remount,rw` inside the chroot fails and writes get EROFS whatever the
 * mount flags say (a read-only bind could simply be remounted read-write).
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { DibError } from '../errors.js';
import type { Logger } from '../vocabulary.js';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  /** per-mount options (field 6: rw/ro, nosuid, …) */
  options: string[];
  source: string;
}

/** Parse /proc/self/mountinfo (mount point is field 5, fs type and source follow ` - `). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const mp = fields[4];
    const [fsType, source] = right.split(' ');
    if (!mp || !fsType) continue;
    out.push({ mountPoint: unescapeOctal(mp), fsType, options: (fields[5] ?? '').split(','), source: unescapeOctal(source ?? '') });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mounts this process sees (its mount namespace). */
export async function readMounts(): Promise<MountEntry[]> {
  return parseMountinfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mount points at or below `dir`, deepest first. */
export async function mountsBelow(dir: string): Promise<string[]> {
  const real = path.resolve(dir);
  const points = (await readMounts()).map((m) => m.mountPoint).filter((p) => p === real || p.startsWith(real + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export interface MountContext {
  log: Logger;
  /** the build's abort signal: no new mount once it fired */
  signal?: AbortSignal;
}

/** `mount ARGS…` through the seam: logged, refused after abort, one-line error. */
export async function mount(args: readonly string[], ctx: MountContext): Promise<void> {
  const line = `mount ${args.join(' ')}`;
  if (ctx.signal?.aborted) throw new DibError('E_INTERRUPTED', `interrupted before ${line}`);
  ctx.log.debug(line);
  const r = await execa('mount', [...args], { reject: false });
  if (r.exitCode !== 0) {
    throw new DibError('E_MOUNT', `${line} failed: ${String(r.stderr || r.message).split('\n')[0] ?? ''}`, {
      hint: 'dib needs root and a kernel that allows these mounts (in a container: run it privileged; see dib doctor)',
    });
  }
}

/** Bind-mount `src` at `target` (read-write: the shared apt archive cache) through the seam. */
export async function bindMount(src: string, target: string, ctx: MountContext): Promise<void> {
  await mount(['--bind', src, target], ctx);
}

/** Unmount one mount point (retrying while busy, then lazily). Cleanup: never refused. */
export async function unmount(point: string, log: Logger): Promise<void> {
  log.debug(`umount ${point}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await execa('umount', [point], { reject: false });
    if (r.exitCode === 0) return;
    if (!(await mountsBelow(point)).includes(point)) return;
    await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
  }
  log.warn(`umount ${point} is busy; detaching it lazily`);
  const r = await execa('umount', ['-l', point], { reject: false });
  if (r.exitCode !== 0) throw new DibError('E_MOUNT', `could not unmount ${point}: ${r.stderr}`, { hint: `run 'umount -l ${point}' by hand` });
}

/** Unmount everything at or below `dir`, deepest first. */
export async function unmountBelow(dir: string, log: Logger): Promise<void> {
  for (const point of await mountsBelow(dir)) await unmount(point, log);
}

/**
 * Remove a tree that may hold files made by root in a chroot: first kill what still runs in
 * it and unmount whatever is mounted below it, then `rm --one-file-system`, which never
 * crosses into a mount that could not be released.
 */
export async function removeTree(dir: string, log: Logger): Promise<void> {
  await killProcessesIn(dir, log);
  await unmountBelow(dir, log);
  await execa('rm', ['-rf', '--one-file-system', dir]);
}

/** Kill every process whose root directory is inside `dir` (processes left by the chroot). */
export async function killProcessesIn(dir: string, log: Logger): Promise<number> {
  const real = path.resolve(dir);
  let killed = 0;
  for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const root = await fs.readlink(`/proc/${pid}/root`).catch(() => '');
    if (root === real || root.startsWith(real + '/')) {
      log.warn(`killing process ${pid} left running in the chroot`);
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
  }
  return killed;
}

/**
 * Make `target` a read-only view of `src` that the chroot cannot make writable: an overlay
 * whose only layers are `src` and an empty directory (no upper layer, so a read-only
 * superblock). Where overlayfs is not available the tree is copied instead (the chroot may
 * change its copy; `src` stays as it was). Returns the release function.
 */
export async function mountReadOnly(src: string, target: string, ctx: MountContext & { scratch: string }): Promise<() => Promise<void>> {
  const empty = path.join(ctx.scratch, '.empty-lower');
  await fs.ensureDir(empty);
  await fs.ensureDir(target);
  const esc = (p: string) => p.replace(/([\\:,])/g, '\\$1');
  try {
    await mount(['-t', 'overlay', '-o', `lowerdir=${esc(src)}:${esc(empty)}`, 'dib-ro', target], ctx);
    return async () => {
      if ((await mountsBelow(target)).length) await unmountBelow(target, ctx.log);
    };
  } catch (e) {
    if ((e as DibError).code === 'E_INTERRUPTED') throw e;
    ctx.log.debug(`overlayfs is not available here (${(e as Error).message}); copying ${src} to ${target} instead`);
    await execa('cp', ['-a', `${src}/.`, target]);
    return async () => {
      if ((await mountsBelow(target)).length) await unmountBelow(target, ctx.log);
      await execa('rm', ['-rf', '--one-file-system', target]);
      await fs.ensureDir(target);
    };
  }
}

/** Character devices of the minimal /dev (systemd-nspawn's set): name, major, minor. */
export const DEV_NODES: ReadonlyArray<readonly [string, number, number]> = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/** Symbolic links of the minimal /dev. */
export const DEV_LINKS: ReadonlyArray<readonly [string, string]> = [
  ['ptmx', 'pts/ptmx'],
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

/** Mount a private minimal /dev at `dev` (tmpfs, nodes, links, devpts, shm); each mount is pushed on `mounted`. */
export async function mountMinimalDev(dev: string, ctx: MountContext, mounted: string[]): Promise<void> {
  await fs.ensureDir(dev);
  await mount(['-t', 'tmpfs', '-o', 'mode=755,size=4m,nr_inodes=64k,nosuid,strictatime', 'dib-dev', dev], ctx);
  mounted.push(dev);
  const script = DEV_NODES.map(([n, maj, min]) => `mknod -m 666 ${n} c ${maj} ${min}`).join(' && ');
  const r = await execa('sh', ['-c', script], { cwd: dev, reject: false });
  if (r.exitCode !== 0) throw new DibError('E_MOUNT', `could not make the device nodes of the chroot's /dev: ${r.stderr.split('\n')[0]}`, { hint: 'dib needs root with CAP_MKNOD (in a container: run it privileged)' });
  for (const [name, to] of DEV_LINKS) await fs.symlink(to, path.join(dev, name));
  for (const d of ['pts', 'shm']) await fs.ensureDir(path.join(dev, d));
  await fs.chmod(path.join(dev, 'shm'), 0o1777);
  await mount(['-t', 'devpts', '-o', 'newinstance,ptmxmode=0666,mode=620,gid=5', 'devpts', path.join(dev, 'pts')], ctx);
  mounted.push(path.join(dev, 'pts'));
  await mount(['-t', 'tmpfs', '-o', 'mode=1777,nosuid,nodev', 'dib-shm', path.join(dev, 'shm')], ctx);
  mounted.push(path.join(dev, 'shm'));
}

/** The chroot's pseudo-filesystems; idempotent mount and unmount. */
export class ChrootMounts {
  private mounted: string[] = [];
  constructor(
    private readonly root: string,
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {}

  get active(): boolean {
    return this.mounted.length > 0;
  }

  async mount(): Promise<void> {
    if (this.active) return;
    const r = this.root;
    const ctx = { log: this.log, signal: this.signal };
    try {
      for (const [rel, args] of [
        ['proc', ['-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc']],
        ['sys', ['-t', 'sysfs', '-o', 'ro,nosuid,nodev,noexec', 'sysfs']],
      ] as const) {
        const point = path.join(r, rel);
        await fs.ensureDir(point);
        await mount([...args, point], ctx);
        this.mounted.push(point);
      }
      await mountMinimalDev(path.join(r, 'dev'), ctx, this.mounted);
    } catch (e) {
      await this.unmount();
      if ((e as DibError).code === 'E_INTERRUPTED') throw e;
      throw new DibError('E_MOUNT', `could not mount the chroot's pseudo-filesystems in ${r}: ${(e as Error).message.split('\n')[0]}`, {
        hint: 'dib needs root and a kernel that allows proc/sysfs/tmpfs/devpts mounts (in a container: run it privileged)',
      });
    }
  }

  async unmount(): Promise<void> {
    await killProcessesIn(this.root, this.log);
    const points = [...this.mounted].reverse();
    this.mounted = [];
    for (const p of points) {
      if ((await mountsBelow(p)).length) await unmountBelow(p, this.log);
    }
  }
}

/** Whether {@link mountReadOnly} gets its overlay here (tried in a throwaway mount namespace), or falls back to a copy. */
export async function overlayWorks(tmpRoot: string): Promise<boolean> {
  const dir = await fs.mkdtemp(path.join(tmpRoot, 'dib-overlay-probe.'));
  try {
    for (const d of ['a', 'b', 'm']) await fs.ensureDir(path.join(dir, d));
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'mount', '-t', 'overlay', '-o', `lowerdir=${dir}/a:${dir}/b`, 'dib-ro', `${dir}/m`], { reject: false });
    return r.exitCode === 0;
  } finally {
    await fs.remove(dir);
  }
}
