/**
 * `dib diff A B`: compare two images, archives or trees and name the first fields and files
 * that differ (the check diffoscope makes, with only the tools dib already needs, and without
 * mounting anything). Identical files are recognised by their sha256 before anything is read;
 * when no field or file explains why two files differ, the first differing byte is named.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { DibError } from '../errors.js';
import { findTool } from '../output/tools.js';
import type { CommandRunner, HostTool } from '../vocabulary.js';
import { StreamReader } from './byte-reader.js';
import { compareSnapshots } from './compare.js';
import { detectFormat, type InputLabel } from './detect.js';
import { filesystemSection, hasPartitionTable, qemuImgFields, readDisk } from './disk.js';
import { readSquashfs } from './squashfs.js';
import { readTar } from './tar.js';
import type { DiffResult, Difference, Field, InputFormat, Snapshot } from './types.js';

export type { DiffResult, Difference, Snapshot, InputFormat } from './types.js';
export { formatDiff } from './format.js';

export interface DiffOptions {
  /** runs dumpe2fs, minfo, sfdisk, unsquashfs, qemu-img on the host */
  run: CommandRunner;
  /** where converted disks and squashfs pseudo files go (default: the OS temp dir) */
  workDir?: string;
  signal?: AbortSignal;
}

async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const sha = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20, signal }) as AsyncIterable<Buffer>) sha.update(c);
  return sha.digest('hex');
}

/** A directory as GNU tar sees it in pax format: exact mtimes, numeric owners, xattrs. */
async function readDirectory(dir: string, label: InputLabel): Promise<Snapshot> {
  const child = execa('tar', ['--create', '--file=-', '--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '--one-file-system', '--directory', dir, '.'], {
    buffer: { stdout: false, stderr: true },
    reject: false,
    env: { LC_ALL: 'C' },
  });
  let listing;
  try {
    listing = await readTar(child.stdout as AsyncIterable<Buffer>, `${label}: ${dir}`);
  } finally {
    child.stdout?.destroy();
  }
  const r = await child;
  // GNU tar: 1 = some files changed while read (a live tree); 2 = it could not read something
  if (r.exitCode !== 0 && r.exitCode !== 1) {
    throw new DibError('E_DIFF_INPUT', `${label}: cannot read all of ${dir}: ${String(r.stderr).trim().split('\n')[0]}`, { hint: 'run dib diff as root to read files only root may read' });
  }
  return { path: dir, format: 'directory', summary: `directory, ${listing.tree.entries.size} paths`, sections: [{ key: 'files', title: 'files', fields: [], tree: listing.tree }] };
}

/** The gzip member header (RFC 1952): what a tgz says besides its tar. */
export function gzipFields(h: Buffer): Field[] {
  const flags = h[3]!;
  const mtime = h.readUInt32LE(4);
  const fields: Field[] = [
    ['gzip mtime', mtime ? `${mtime} (${new Date(mtime * 1000).toISOString()})` : '0 (none)'],
    ['gzip extra flags', String(h[8])],
    ['gzip OS', String(h[9])],
  ];
  let p = 10;
  if (flags & 4) p += 2 + h.readUInt16LE(10);
  if (flags & 8) {
    const z = h.indexOf(0, p);
    fields.push(['gzip file name', h.subarray(p, z).toString('latin1')]);
  }
  return fields;
}

async function convertToRaw(file: string, format: 'qcow2' | 'vhd', work: string, run: CommandRunner, label: InputLabel): Promise<{ raw: string; fields: Field[] }> {
  const fmt = format === 'vhd' ? 'vpc' : 'qcow2';
  const info = await run.run('qemu-img', ['info', '--output=json', '-f', fmt, file], { quiet: true, reject: false });
  if (info.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${label}: qemu-img cannot read ${file}: ${info.stderr.trim().split('\n').pop()}`, { hint: `the ${format} image is damaged` });
  const raw = path.join(work, `${label}.raw`);
  const r = await run.run('qemu-img', ['convert', '-f', fmt, '-O', 'raw', file, raw], { quiet: true, reject: false });
  if (r.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${label}: qemu-img convert failed for ${file}: ${r.stderr.trim().split('\n').pop()}`, { hint: `the ${format} image is damaged, or ${work} is full` });
  return { raw, fields: qemuImgFields(JSON.parse(info.stdout) as Record<string, unknown>) };
}

/** Read one input into sections of fields and trees. */
export async function snapshot(file: string, format: InputFormat, label: InputLabel, work: string, run: CommandRunner): Promise<Snapshot> {
  const what = `${label}: ${file}`;
  switch (format) {
    case 'directory':
      return readDirectory(file, label);
    case 'tar': {
      const l = await readTar(createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, what);
      return { path: file, format, summary: `tar archive, ${l.tree.entries.size} paths`, sections: [{ key: 'files', title: 'files', fields: [], tree: l.tree }], bytes: { file, label: 'archive', locate: l.locate } };
    }
    case 'tgz': {
      const head = await new StreamReader(createReadStream(file, { start: 0, end: 4095 }) as AsyncIterable<Buffer>).read(4096);
      const gunzip = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip());
      let l;
      try {
        l = await readTar(gunzip as AsyncIterable<Buffer>, what);
      } catch (e) {
        if ((e as { code?: string }).code === 'Z_DATA_ERROR' || (e as { code?: string }).code === 'Z_BUF_ERROR') throw new DibError('E_DIFF_INPUT', `${what}: damaged gzip data: ${(e as Error).message}`, { hint: 'the archive is damaged; check it with gzip -t' });
        throw e;
      }
      return {
        path: file,
        format,
        summary: `gzip-compressed tar archive, ${l.tree.entries.size} paths`,
        sections: [
          { key: 'gzip', title: 'gzip header', fields: gzipFields(head) },
          { key: 'files', title: 'files', fields: [], tree: l.tree },
        ],
        bytes: { file, gunzip: true, label: 'tar inside the gzip stream', locate: l.locate },
      };
    }
    case 'squashfs': {
      const { fields, tree } = await readSquashfs(file, work, run);
      const comp = fields.find(([k]) => k === 'Compression')?.[1];
      return { path: file, format, summary: `squashfs${comp ? ` (${comp})` : ''}, ${tree.entries.size} paths`, sections: [{ key: 'superblock', title: 'squashfs superblock', fields }, { key: 'files', title: 'files', fields: [], tree }], bytes: { file, label: 'squashfs image' } };
    }
    case 'ext':
    case 'vfat': {
      const s = await filesystemSection(file, 0, undefined, 'filesystem', 'filesystem', run, what);
      return { path: file, format, summary: `${s.fs ?? format} filesystem image (no partition table), ${s.tree?.entries.size ?? 0} paths`, sections: [s], bytes: { file, label: 'filesystem image' } };
    }
    case 'raw-disk': {
      const d = await readDisk(file, run, what);
      return { path: file, format, summary: `raw ${d.summary}`, sections: d.sections, bytes: { file, label: 'disk image', locate: d.locate } };
    }
    case 'qcow2':
    case 'vhd': {
      const { raw, fields } = await convertToRaw(file, format, work, run, label);
      const head = await new StreamReader(createReadStream(raw, { start: 0, end: 4095 }) as AsyncIterable<Buffer>).read(4096);
      const d = hasPartitionTable(head) ? await readDisk(raw, run, what) : await (async () => {
        // a qcow2 of a bare filesystem (no partition table), as dib writes for one-filesystem layouts
        const s = await filesystemSection(raw, 0, undefined, 'filesystem', 'filesystem', run, what);
        return { summary: `${s.fs ?? 'unknown'} filesystem (no partition table), ${s.tree?.entries.size ?? 0} paths`, sections: [s], locate: () => undefined };
      })();
      return {
        path: file,
        format,
        summary: `${format} image: ${d.summary}`,
        sections: [{ key: 'container', title: `${format} container`, fields }, ...d.sections],
        bytes: { file: raw, label: 'disk contents (as raw)', locate: d.locate },
      };
    }
  }
}

/** The first offset at which two byte streams differ, or undefined when they are equal. */
async function firstByteDifference(a: AsyncIterable<Buffer>, b: AsyncIterable<Buffer>): Promise<{ offset: number; a?: number; b?: number } | undefined> {
  const ra = new StreamReader(a);
  const rb = new StreamReader(b);
  for (let offset = 0; ; ) {
    const [ca, cb] = await Promise.all([ra.read(1 << 20), rb.read(1 << 20)]);
    const n = Math.min(ca.length, cb.length);
    for (let i = 0; i < n; i++) if (ca[i] !== cb[i]) return { offset: offset + i, a: ca[i], b: cb[i] };
    if (ca.length !== cb.length) return { offset: offset + n, ...(ca.length > n ? { a: ca[n] } : {}), ...(cb.length > n ? { b: cb[n] } : {}) };
    if (ca.length === 0) return undefined;
    offset += n;
  }
}

function stream(file: string, gunzip?: boolean): AsyncIterable<Buffer> {
  const s = createReadStream(file, { highWaterMark: 1 << 20 });
  return (gunzip ? s.pipe(createGunzip()) : s) as AsyncIterable<Buffer>;
}

async function byteDifferences(a: Snapshot, b: Snapshot): Promise<Difference[]> {
  const steps: Array<{ label: string; fa: string; fb: string; gunzip?: boolean; la?: Snapshot['bytes']; lb?: Snapshot['bytes'] }> = [];
  if (a.bytes && b.bytes) steps.push({ label: a.bytes.label, fa: a.bytes.file, fb: b.bytes.file, gunzip: a.bytes.gunzip, la: a.bytes, lb: b.bytes });
  const sameAsFiles = (s: Snapshot) => s.bytes?.file === s.path && !s.bytes.gunzip;
  if (!sameAsFiles(a) || !sameAsFiles(b)) steps.push({ label: `${a.format} file`, fa: a.path, fb: b.path });
  for (const s of steps) {
    const d = await firstByteDifference(stream(s.fa, s.gunzip), stream(s.fb, s.gunzip));
    if (!d) continue;
    const hexb = (v?: number) => (v === undefined ? 'end of data' : `0x${v.toString(16).padStart(2, '0')}`);
    const wa = s.la?.locate?.(d.offset);
    const wb = s.lb?.locate?.(d.offset);
    const where = wa && wb && wa !== wb ? `${wa} / ${wb}` : (wa ?? wb);
    return [{ where: s.label, path: `offset ${d.offset}${where ? ` (${where})` : ''}`, field: 'first differing byte', a: hexb(d.a), b: hexb(d.b) }];
  }
  return [];
}

const DISK_TOOLS: HostTool[] = [
  { command: 'sfdisk', package: 'fdisk', why: 'reads partition tables' },
  { command: 'dumpe2fs', package: 'e2fsprogs', why: 'reads ext superblocks' },
  { command: 'minfo', package: 'mtools', why: 'reads FAT boot sectors' },
];

/** The host tools `dib diff` uses for each input format. */
export const DIFF_TOOLS: Readonly<Record<InputFormat, readonly HostTool[]>> = {
  directory: [{ command: 'tar', package: 'tar', why: 'reads directories with their owners and xattrs' }],
  tar: [],
  tgz: [],
  squashfs: [{ command: 'unsquashfs', package: 'squashfs-tools', why: 'reads squashfs images' }],
  'raw-disk': DISK_TOOLS,
  qcow2: [{ command: 'qemu-img', package: 'qemu-utils', why: 'converts qcow2 images to raw' }, ...DISK_TOOLS],
  vhd: [{ command: 'qemu-img', package: 'qemu-utils', why: 'converts vhd images to raw' }, ...DISK_TOOLS],
  ext: [DISK_TOOLS[1]!],
  vfat: [DISK_TOOLS[2]!],
};

function requireTools(formats: readonly InputFormat[]): void {
  for (const f of formats) {
    for (const t of DIFF_TOOLS[f]) {
      if (!findTool(t.command)) {
        throw new DibError('E_HOST_TOOL_MISSING', `dib diff needs ${t.command} (${t.why}) for ${f} inputs, and it is not installed`, { hint: `apt-get install -y ${t.package}` });
      }
    }
  }
}

/** Compare two inputs. Throws E_DIFF_INPUT (exit 2) for a missing, unreadable or unknown input. */
export async function diffInputs(a: string, b: string, opts: DiffOptions): Promise<DiffResult> {
  const [fa, fb] = [await detectFormat(a, 'A'), await detectFormat(b, 'B')];
  const [ha, hb] = await Promise.all([fa === 'directory' ? undefined : sha256File(a, opts.signal), fb === 'directory' ? undefined : sha256File(b, opts.signal)]);
  const side = (p: string, format: InputFormat, summary: string, sha256?: string) => ({ path: p, format, summary, ...(sha256 ? { sha256 } : {}) });
  if (ha && ha === hb) return { identical: true, a: side(a, fa, fa, ha), b: side(b, fb, fb, hb), differences: [] };
  requireTools([fa, fb]);
  const work = await mkdtemp(path.join(opts.workDir ?? os.tmpdir(), 'dib-diff-'));
  try {
    const sa = await snapshot(a, fa, 'A', work, opts.run);
    const sb = await snapshot(b, fb, 'B', work, opts.run);
    let differences = compareSnapshots(sa, sb);
    if (!differences.length && ha && hb) {
      differences = await byteDifferences(sa, sb);
      // never "identical" for files whose bytes differ
      if (!differences.length) differences = [{ where: 'input', field: 'sha256', a: ha, b: hb }];
    }
    return { identical: differences.length === 0, a: side(a, fa, sa.summary, ha), b: side(b, fb, sb.summary, hb), differences };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
