/** File helpers for writing into the target tree from the host without escaping it. */
import { createHash } from 'node:crypto';
import { constants, accessSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { DibError, imagePath } from '@dib/core';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Whether `cmd` is an executable on `searchPath` (synchronous: for hostTools). */
export function onPathSync(cmd: string, searchPath = process.env.PATH ?? DEFAULT_PATH): boolean {
  // sbin dirs are not always on a user's PATH, but root's tools live there (debootstrap)
  const dirs = [...new Set([...searchPath.split(':'), ...DEFAULT_PATH.split(':')])].filter(Boolean);
  for (const d of dirs) {
    try {
      accessSync(path.join(d, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

/** `rel` inside `root` as the chroot would resolve it, the last component not followed. */
export function resolveInRoot(root: string, rel: string): Promise<string> {
  return imagePath(root, rel, { followLast: false });
}

/** Write a file in the target (a symlink in its place is replaced, parents are created). */
export async function writeTargetFile(root: string, rel: string, content: string | Buffer, mode = 0o644): Promise<string> {
  const p = await resolveInRoot(root, rel);
  await fs.mkdir(path.dirname(p), { recursive: true });
  const st = await fs.lstat(p).catch(() => undefined);
  if (st && !st.isFile()) await fs.rm(p, { recursive: true, force: true });
  await fs.writeFile(p, content, { mode });
  await fs.chmod(p, mode);
  return p;
}

export async function readTargetFile(root: string, rel: string): Promise<string | undefined> {
  const p = await resolveInRoot(root, rel);
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return fs.readFile(p, 'utf8');
}

export async function targetExists(root: string, rel: string): Promise<boolean> {
  const p = await resolveInRoot(root, rel);
  return (await fs.lstat(p).catch(() => undefined)) !== undefined;
}

/** Remove everything inside a target directory (the directory stays). */
export async function emptyTargetDir(root: string, rel: string): Promise<number> {
  const p = await resolveInRoot(root, rel);
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st?.isDirectory()) return 0;
  const names = await fs.readdir(p);
  for (const n of names) await fs.rm(path.join(p, n), { recursive: true, force: true });
  return names.length;
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names.length === 0;
}

/** sha256 of a keyring file, or of every file in a keyring directory (names and contents). */
export async function digestKeyring(p: string): Promise<string> {
  const h = createHash('sha256');
  const st = await fs.stat(p);
  if (st.isDirectory()) {
    for (const n of (await fs.readdir(p)).sort()) {
      const f = path.join(p, n);
      const s = await fs.stat(f).catch(() => undefined);
      if (!s?.isFile()) continue;
      h.update(`${n}\0`);
      h.update(await fs.readFile(f));
      h.update('\0');
    }
  } else {
    h.update(await fs.readFile(p));
  }
  return h.digest('hex');
}
