import fs from 'fs-extra';
import { mountsBelow, parseMountinfo } from '#core/chroot/mounts.js';

/** Mount points at or below `dir` in this process's mount table (the host's, for a test). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return mountsBelow(dir);
}

/**
 * Mount points at or below `dir` as process `pid` sees them (a process in a build's sandbox).
 * mountinfo paths are relative to the reader's root, so a chrooted process is asked through its
 * nearest ancestor that is not chrooted (dib-init of its command, in the same mount namespace).
 */
export async function mountsUnderSeenBy(pid: number, dir: string): Promise<string[]> {
  let p = pid;
  while ((await fs.readlink(`/proc/${p}/root`)) !== '/') {
    p = Number(/^PPid:\s+(\d+)/m.exec(await fs.readFile(`/proc/${p}/status`, 'utf8'))![1]);
  }
  const text = await fs.readFile(`/proc/${p}/mountinfo`, 'utf8');
  return parseMountinfo(text)
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'));
}

/** The pid of the newest process whose command line is exactly `cmd` (pgrep -n -x -f). */
export async function pidOf(cmd: string): Promise<number | undefined> {
  const { execa } = await import('execa');
  const r = await execa('pgrep', ['-n', '-x', '-f', cmd], { reject: false });
  return r.exitCode === 0 ? Number(r.stdout.trim()) : undefined;
}
