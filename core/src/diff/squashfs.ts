/**
 * A squashfs image for `dib diff`: the superblock through `unsquashfs -s` and `-mkfs-time`, the
 * files through `unsquashfs -pf` (a pseudo file: one line per file with its type, mtime, mode,
 * owner and size, then the contents). squashfs-tools 4.5's pseudo files carry no xattrs, so
 * they are not compared; mtimes are whole seconds.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { DibError } from '../errors.js';
import type { CommandRunner } from '../vocabulary.js';
import { openByteSource } from './byte-reader.js';
import { applyHardlinkGroups, normalisePath } from './tree.js';
import type { EntryType, Field, Tree, TreeEntry } from './types.js';

const DATA_MARK = '\n# START OF DATA - DO NOT MODIFY\n#\n';

/** `unsquashfs -s` lines as fields (the first line, naming the file, is left out). */
export function squashfsFields(stat: string, mkfsTime: string): Field[] {
  const fields: Field[] = [];
  const flags: string[] = [];
  const t = Number(mkfsTime.trim());
  if (Number.isFinite(t)) fields.push(['mkfs time', `${t} (${new Date(t * 1000).toISOString()})`]);
  for (const line of stat.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('Found a valid') || line.startsWith('Creation or last append time')) continue;
    const m = /^(.*?)\s+(\d.*)$/.exec(line) ?? /^(Compression)\s+(\S+)$/.exec(line);
    if (m) fields.push([m[1]!, m[2]!]);
    else flags.push(line);
  }
  fields.push(['flags', flags.join('; ')]);
  return fields;
}

/** Split a pseudo-file line into words: spaces separate, a backslash escapes the next character. */
export function pseudoWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      any = true;
    } else if (c === ' ') {
      if (any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

const TYPE: Record<string, EntryType> = { D: 'dir', R: 'file', S: 'symlink', C: 'char', B: 'block' };

/** Parse the definitions part of a pseudo file: entries, hard links, data ranges. */
export function parsePseudo(text: string): { entries: Map<string, TreeEntry>; links: Array<[string, string]>; data: Map<string, [offset: number, size: number]> } {
  const entries = new Map<string, TreeEntry>();
  const links: Array<[string, string]> = [];
  const data = new Map<string, [number, number]>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const w = pseudoWords(line);
    const name = normalisePath(w[0] ?? '');
    const t = w[1];
    if (t === 'L') {
      links.push([name, normalisePath(w[2] ?? '')]);
      continue;
    }
    const type: EntryType | undefined = t === 'I' ? (w[6] === 's' ? 'socket' : 'fifo') : TYPE[t ?? ''];
    if (!type) continue;
    const e: TreeEntry = { type, mode: parseInt(w[3] ?? '0', 8) & 0o7777, uid: Number(w[4]), gid: Number(w[5]), size: 0, mtime: { sec: Number(w[2]), nsec: 0 } };
    if (type === 'file') {
      e.size = Number(w[6]);
      data.set(name, [Number(w[7]), e.size]);
    } else if (type === 'symlink') {
      e.target = w.slice(6).join(' ');
      e.size = Buffer.byteLength(e.target);
    } else if (type === 'char' || type === 'block') e.rdev = `${w[6]},${w[7]}`;
    entries.set(name, e);
  }
  return { entries, links, data };
}

/** Find where the contents start in a pseudo file, reading only its definitions. */
async function definitions(file: string): Promise<{ text: string; dataStart: number }> {
  let text = '';
  for await (const chunk of createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    text += chunk as string;
    const i = text.indexOf(DATA_MARK);
    if (i >= 0) {
      const head = text.slice(0, i + 1);
      return { text: Buffer.from(head, 'latin1').toString('utf8'), dataStart: i + DATA_MARK.length };
    }
  }
  return { text: Buffer.from(text, 'latin1').toString('utf8'), dataStart: -1 };
}

export async function readSquashfs(image: string, work: string, run: CommandRunner): Promise<{ fields: Field[]; tree: Tree }> {
  const env = { TZ: 'UTC' };
  const stat = await run.run('unsquashfs', ['-s', '-UTC', image], { quiet: true, reject: false, env });
  if (stat.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${image}: unsquashfs cannot read it: ${(stat.stderr || stat.stdout).trim().split('\n').pop()}`, { hint: 'the squashfs image is damaged; write it again' });
  const time = await run.run('unsquashfs', ['-mkfs-time', image], { quiet: true, reject: false });
  const pf = path.join(work, `${path.basename(image)}.${process.pid}.pseudo`);
  const r = await run.run('unsquashfs', ['-no-progress', '-pf', pf, image], { quiet: true, reject: false });
  if (r.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${image}: unsquashfs -pf failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`, { hint: 'the squashfs image is damaged, or the work dir is full' });
  const { text, dataStart } = await definitions(pf);
  const { entries, links, data } = parsePseudo(text);
  const src = await openByteSource(pf);
  try {
    for (const [name, [offset, size]] of data) {
      const sha = createHash('sha256');
      for (let off = 0; off < size; off += 1 << 20) {
        const n = Math.min(1 << 20, size - off);
        const b = await src.read(dataStart + offset + off, n);
        if (b.length < n) throw new DibError('E_DIFF_INPUT', `${image}: the content of ${name} is cut short`, { hint: 'the squashfs image is damaged' });
        sha.update(b);
      }
      entries.get(name)!.sha256 = sha.digest('hex');
    }
  } finally {
    await src.close();
  }
  const groups = new Map<string, string[]>();
  for (const [name, target] of links) groups.set(target, [...(groups.get(target) ?? [target]), name]);
  applyHardlinkGroups(entries, groups.values());
  return { fields: squashfsFields(stat.stdout, time.stdout), tree: { entries, can: { owners: true, modes: true, xattrs: false, mtimeResolution: 1e9 } } };
}
