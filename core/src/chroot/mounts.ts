/**
 * Mounts of the build chroot (proc, sys read-only, dev bind, a fresh devpts) and helpers to
 * find and release anything mounted below a directory, read from /proc/self/mountinfo.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { DibError } from '../errors.js';
import type { Logger } from '../vocabulary.js';

/** Mount points at or below `dir`, deepest first (mountinfo field 5, octal escapes decoded). */
export async function mountsBelow(dir: string): Promise<string[]> {
  const real = path.resolve(dir);
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === real || p.startsWith(real + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

async function umount(point: string, log: Logger): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await execa('umount', [point], { reject: false });
    if (r.exitCode === 0) return;
    if (!(await mountsBelow(point)).includes(point)) return;
    await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
  }
  log.warn(`umount ${point} is busy; detaching it lazily`);
  const r = await execa('umount', ['-l', point], { reject: false });
  if (r.exitCode !== 0) throw new DibError('E_INTERNAL', `could not unmount ${point}: ${r.stderr}`, { hint: `run 'umount -l ${point}' by hand` });
}

/** Unmount everything at or below `dir`, deepest first. */
export async function unmountBelow(dir: string, log: Logger): Promise<void> {
  for (const point of await mountsBelow(dir)) await umount(point, log);
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

/** The chroot's pseudo-filesystems; idempotent mount and unmount. */
export class ChrootMounts {
  private mounted: string[] = [];
  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  get active(): boolean {
    return this.mounted.length > 0;
  }

  async mount(): Promise<void> {
    if (this.active) return;
    const r = this.root;
    const plan: Array<[string, string[]]> = [
      ['proc', ['-t', 'proc', 'proc', path.join(r, 'proc')]],
      ['dev', ['--bind', '/dev', path.join(r, 'dev')]],
      ['dev/pts', ['-t', 'devpts', '-o', 'newinstance,ptmxmode=0666,gid=5,mode=620', 'devpts', path.join(r, 'dev/pts')]],
      ['sys', ['-t', 'sysfs', '-o', 'ro', 'sysfs', path.join(r, 'sys')]],
    ];
    try {
      for (const [rel, args] of plan) {
        const point = path.join(r, rel);
        await fs.ensureDir(point);
        await execa('mount', args);
        this.mounted.push(point);
      }
    } catch (e) {
      await this.unmount();
      throw new DibError('E_INTERNAL', `could not mount the chroot's pseudo-filesystems in ${r}: ${(e as Error).message.split('\n')[0]}`, {
        hint: 'dib needs root and a kernel that allows proc/sysfs/devpts mounts (in a container: run it privileged)',
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
