/**
 * XFS filesystems made from a directory without mounting anything: `mkfs.xfs -p DIR` where
 * xfsprogs can populate from a directory, else `mkfs.xfs -p PROTOFILE` (xfsprogs' prototype
 * file, written here from the tree) followed by `xfs_db -x` for what a protofile cannot say
 * (sticky bits). A protofile cannot hold names with blanks or colons, hard links (they become
 * copies) or extended attributes; a tree that needs what it cannot hold is refused, naming the
 * path, rather than made different.
 */
import { execa } from 'execa';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { DibError } from '../errors.js';

export interface XfsSupport {
  /** mkfs.xfs is installed */
  mkfs: boolean;
  /** it takes a prototype file (-p FILE) */
  protofile: boolean;
  /** it populates from a directory (-p DIR, xfsprogs ≥ 6.17) */
  directory: boolean;
  version?: string;
}

let cached: Promise<XfsSupport> | undefined;

/** What the host's mkfs.xfs can do (asked once per process). */
export function xfsSupport(): Promise<XfsSupport> {
  cached ??= (async () => {
    const v = await execa('mkfs.xfs', ['-V'], { reject: false });
    if (v.exitCode !== 0 && v.failed && !v.stdout) return { mkfs: false, protofile: false, directory: false };
    const version = /version\s+(\d+(?:\.\d+)*)/.exec(`${v.stdout}`)?.[1];
    const help = await execa('mkfs.xfs', [], { reject: false });
    const text = `${help.stdout}\n${help.stderr}`;
    const [maj = 0, min = 0] = (version ?? '0').split('.').map(Number);
    return { mkfs: true, protofile: /-p\s/.test(text) || /prototype/i.test(text), directory: maj > 6 || (maj === 6 && min >= 17), ...(version ? { version } : {}) };
  })();
  return cached;
}

/** A problem that keeps this host from making an xfs filesystem from a directory, if any. */
export function xfsProblem(s: XfsSupport): { code: 'E_HOST_TOOL_MISSING' | 'E_DISK'; message: string; hint: string } | undefined {
  if (!s.mkfs) return { code: 'E_HOST_TOOL_MISSING', message: 'the layout has an xfs filesystem and mkfs.xfs is not installed', hint: 'apt-get install xfsprogs (or use ext4: FS_TYPE / fsType)' };
  if (!s.protofile && !s.directory) {
    return { code: 'E_DISK', message: `mkfs.xfs ${s.version ?? ''} cannot populate a filesystem from a directory (no -p)`.replace('  ', ' '), hint: 'install xfsprogs 4.x or newer (-p protofile; 6.17 or newer takes the directory itself), or use ext4' };
  }
  return undefined;
}

export interface Protofile {
  text: string;
  /** image paths whose mode the protofile cannot carry (sticky bit): the full st_mode to set */
  modes: { path: string; mode: number }[];
  /** regular files with more than one link, made as separate copies */
  hardLinks: number;
}

const UNSAFE = /[\s:\\]|^\$$|[\x00-\x1f\x7f]/;

function modeString(type: string, mode: number): string {
  return `${type}${mode & 0o4000 ? 'u' : '-'}${mode & 0o2000 ? 'g' : '-'}${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * The prototype file for `root` (xfsprogs' format: a boot line, two numbers, then the root
 * directory and its entries, `$` closing each directory). Throws for names it cannot express.
 */
export async function xfsProtofile(root: string): Promise<Protofile> {
  const lines = ['dib', '0 0'];
  const modes: Protofile['modes'] = [];
  let hardLinks = 0;
  const refuse = (p: string, why: string) => {
    throw new DibError('E_DISK', `cannot make an xfs filesystem from the tree with this mkfs.xfs: ${p} ${why}`, {
      hint: 'mkfs.xfs -p reads a prototype file, which cannot express it: use ext4 for this filesystem, or xfsprogs 6.17 or newer (it populates from the directory itself)',
    });
  };
  if (UNSAFE.test(root)) refuse(root, 'is a path with a blank, colon or backslash (the prototype file names the source files by path)');
  const rootSt = await lstat(root);
  if (rootSt.mode & 0o1000) modes.push({ path: '/', mode: rootSt.mode });
  lines.push(`${modeString('d', rootSt.mode)} ${rootSt.uid} ${rootSt.gid}`);
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    const pad = ' '.repeat(depth);
    for (const name of (await readdir(dir)).sort()) {
      const host = join(dir, name);
      const image = `${rel}/${name}`;
      if (UNSAFE.test(name)) refuse(image, 'has a blank, colon, backslash or control character in its name');
      const st = await lstat(host);
      if (st.mode & 0o1000) modes.push({ path: image, mode: st.mode });
      const owner = `${st.uid} ${st.gid}`;
      if (st.isDirectory()) {
        lines.push(`${pad}${name} ${modeString('d', st.mode)} ${owner}`);
        await walk(host, image, depth + 1);
        lines.push(`${pad}$`);
      } else if (st.isFile()) {
        if (st.nlink > 1) hardLinks++;
        lines.push(`${pad}${name} ${modeString('-', st.mode)} ${owner} ${host}`);
      } else if (st.isSymbolicLink()) {
        const target = await readlink(host);
        if (UNSAFE.test(target) || target === '') refuse(image, `is a symbolic link to '${target}', which a prototype file cannot hold`);
        lines.push(`${pad}${name} ${modeString('l', st.mode)} ${owner} ${target}`);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const major = Math.floor(st.rdev / 256) & 0xfff;
        const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
        lines.push(`${pad}${name} ${modeString(st.isBlockDevice() ? 'b' : 'c', st.mode)} ${owner} ${major} ${minor}`);
      } else if (st.isFIFO()) {
        lines.push(`${pad}${name} ${modeString('p', st.mode)} ${owner}`);
      } else {
        refuse(image, 'is a socket, which a prototype file cannot hold');
      }
    }
  };
  await walk(root, '', 1);
  lines.push('$');
  return { text: `${lines.join('\n')}\n`, modes, hardLinks };
}

/** The mkfs.xfs arguments (exported for tests): label, UUID, options, -p SOURCE, the file. */
export function mkfsXfsArgs(fs: { label: string; uuid: string; opts: string[] }, file: string, source?: string): string[] {
  return ['-f', '-q', '-L', fs.label, '-m', `uuid=${fs.uuid}`, ...fs.opts, ...(source ? ['-p', source] : []), file];
}

/** Set modes a protofile could not carry, with xfs_db in expert mode (one run for all). */
export async function fixXfsModes(run: CommandRunner, file: string, modes: Protofile['modes']): Promise<void> {
  if (modes.length === 0) return;
  const input = modes.map((m) => `path ${m.path}\nwrite core.mode 0${m.mode.toString(8)}\n`).join('');
  await run.run('xfs_db', ['-x', file], { input, quiet: true });
}

/** Report what the protofile route changes, once per filesystem. */
export function logProtofileNotes(log: Logger, label: string, p: Protofile): void {
  if (p.hardLinks > 0) log.warn(`xfs ${label}: ${p.hardLinks} hard-linked files became separate copies (a prototype file cannot link)`);
  log.info(`xfs ${label}: made from a prototype file; extended attributes are not copied`);
}
