/**
 * Disk and filesystem images for `dib diff`, read without mounting anything: the partition
 * table through `sfdisk --json`, each partition's filesystem at its offset in the image (ext
 * superblock fields through `dumpe2fs -h 'image?offset=N'`, FAT boot sector fields through
 * `minfo -i 'image@@N'`, swap headers from their bytes) and its files through the readers in
 * ext.ts and vfat.ts. qcow2 and vhd images are converted to a sparse raw file first
 * (`qemu-img convert`), their container fields read with `qemu-img info`.
 */
import { createHash } from 'node:crypto';
import { DibError, isDibError } from '../errors.js';
import type { CommandRunner } from '../vocabulary.js';
import { openByteSource, type ByteSource } from './byte-reader.js';
import { ExtReader, isExt } from './ext.js';
import { isVfat, readVfatTree } from './vfat.js';
import type { Field, Locator, Section } from './types.js';

const SECTOR = 512;
const UTC = { TZ: 'UTC', LC_ALL: 'C', MTOOLS_SKIP_CHECK: '1' };

interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  attrs?: string;
  bootable?: boolean;
}

interface SfdiskTable {
  label: string;
  id?: string;
  unit?: string;
  firstlba?: number;
  lastlba?: number;
  sectorsize?: number;
  partitions?: SfdiskPartition[];
}

/** `Key:   value` lines of `dumpe2fs -h` as fields, in its order. */
export function dumpe2fsFields(text: string): Field[] {
  const out: Field[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][^:]*?):\s*(.*)$/.exec(line);
    if (m) out.push([m[1]!.trim(), m[2]!.trim()]);
  }
  return out;
}

/** The boot sector part of `minfo` (`key: value` and `key=value` lines) as fields. */
export function minfoFields(text: string): Field[] {
  const out: Field[] = [];
  const start = text.indexOf('bootsector information');
  for (const line of (start >= 0 ? text.slice(start) : text).split('\n')) {
    if (/^(=+|bootsector information)\s*$/.test(line.trim())) continue;
    const m = /^([a-zA-Z][^:=]*?)\s*[:=]\s*(.*)$/.exec(line.trim());
    if (m) out.push([m[1]!, m[2]!.replace(/^"(.*)"$/, '$1').trimEnd()]);
  }
  return out;
}

/** Fields of `qemu-img info --output=json`, less those of the host file (name, actual size). */
export function qemuImgFields(info: Record<string, unknown>): Field[] {
  const out: Field[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (['filename', 'actual-size', 'backing-filename-format'].includes(k)) continue;
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else out.push([`${prefix}${k}`.replace(/^format-specific\.(data\.)?/, ''), JSON.stringify(v).replace(/^"(.*)"$/, '$1')]);
    }
  };
  walk(info, '');
  return out;
}

async function sha256Range(src: ByteSource, offset: number, length: number): Promise<string> {
  const sha = createHash('sha256');
  for (let off = 0; off < length; off += 1 << 20) sha.update(await src.read(offset + off, Math.min(1 << 20, length - off)));
  return sha.digest('hex');
}

function isSwap(head: Buffer): boolean {
  return head.length >= 4096 && head.subarray(4096 - 10, 4096).toString('latin1') === 'SWAPSPACE2';
}

function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The section of one filesystem at `offset` (bytes) of `image`: its fields and, for ext and
 * FAT, its files. Anything else is compared by the sha256 of its bytes.
 */
export async function filesystemSection(image: string, offset: number, length: number | undefined, key: string, title: string, run: CommandRunner, context = image): Promise<Section> {
  const src = await openByteSource(image, offset, length);
  const where = `${context}: ${title}`;
  try {
    return await readFilesystem(src, image, offset, key, title, run, where);
  } catch (e) {
    if (isDibError(e)) throw e;
    // a structure pointing outside its buffer: the reader met damage it did not foresee
    throw new DibError('E_DIFF_INPUT', `${where}: damaged filesystem (${(e as Error).message})`, { hint: 'check it with e2fsck -fn or fsck.vfat -n', cause: e });
  } finally {
    await src.close();
  }
}

async function readFilesystem(src: ByteSource, image: string, offset: number, key: string, title: string, run: CommandRunner, where: string): Promise<Section> {
  {
    const head = await src.read(0, 4096);
    if (await isExt(src)) {
      const spec = offset ? `${image}?offset=${offset}` : image;
      const r = await run.run('dumpe2fs', ['-h', spec], { quiet: true, reject: false, env: UTC });
      if (r.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${where}: dumpe2fs cannot read the ext filesystem: ${r.stderr.trim().split('\n').pop()}`, { hint: 'the filesystem is damaged; check it with e2fsck -fn' });
      const fields = dumpe2fsFields(r.stdout);
      const rev = fields.find(([k]) => k === 'Filesystem features')?.[1] ?? '';
      const kind = /\bextent\b/.test(rev) ? 'ext4' : /\bhas_journal\b/.test(rev) ? 'ext3' : 'ext2';
      const tree = await (await ExtReader.open(src, where)).tree();
      return { key, title: `${title} ${kind}`, fields, tree, fs: kind };
    }
    if (await isVfat(src)) {
      const r = await run.run('minfo', ['-i', offset ? `${image}@@${offset}` : image, '::'], { quiet: true, reject: false, env: UTC });
      if (r.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${where}: minfo cannot read the FAT filesystem: ${r.stderr.trim().split('\n').pop()}`, { hint: 'the filesystem is damaged; check it with fsck.vfat -n' });
      return { key, title: `${title} vfat`, fields: minfoFields(r.stdout), tree: await readVfatTree(src, where), fs: 'vfat' };
    }
    if (isSwap(head)) {
      const h = await src.read(1024, 1024);
      return {
        key,
        title: `${title} swap`,
        fs: 'swap',
        fields: [
          ['swap version', String(h.readUInt32LE(0))],
          ['last page', String(h.readUInt32LE(4))],
          ['UUID', uuidText(h.subarray(12, 28))],
          ['label', h.subarray(28, 44).toString('utf8').replace(/\0+$/, '')],
        ],
      };
    }
    return { key, title, fields: [['content sha256', await sha256Range(src, 0, src.size)]] };
  }
}

/** Whether `head` (the first 4 KiB of an image) holds an MBR or a GPT. */
export function hasPartitionTable(head: Buffer): boolean {
  if (head.length < 1024 || head.readUInt16LE(510) !== 0xaa55) return false;
  if (head.subarray(512, 520).toString('latin1') === 'EFI PART') return true;
  // an MBR: at least one entry with a type and a size, and not a FAT boot sector
  if (head.subarray(54, 57).toString('latin1') === 'FAT' || head.subarray(82, 87).toString('latin1') === 'FAT32') return false;
  for (let i = 0; i < 4; i++) {
    const e = head.subarray(446 + i * 16, 462 + i * 16);
    if (e[4] !== 0 && e.readUInt32LE(12) !== 0) return true;
  }
  return false;
}

export interface DiskReading {
  summary: string;
  sections: Section[];
  locate: Locator;
}

/** A raw disk image with a partition table: the table, each partition and its filesystem. */
export async function readDisk(image: string, run: CommandRunner, context = image): Promise<DiskReading> {
  const r = await run.run('sfdisk', ['--json', image], { quiet: true, reject: false, env: UTC });
  if (r.exitCode !== 0) throw new DibError('E_DIFF_INPUT', `${context}: sfdisk cannot read its partition table: ${r.stderr.trim().split('\n').pop()}`, { hint: 'the partition table is damaged' });
  const pt = (JSON.parse(r.stdout) as { partitiontable: SfdiskTable }).partitiontable;
  const sector = pt.sectorsize ?? SECTOR;
  const parts = pt.partitions ?? [];
  const src = await openByteSource(image);
  const sections: Section[] = [];
  try {
    const fields: Field[] = [['label', pt.label]];
    if (pt.id !== undefined) fields.push(['disk identifier', pt.id]);
    if (pt.firstlba !== undefined) fields.push(['first usable LBA', String(pt.firstlba)]);
    if (pt.lastlba !== undefined) fields.push(['last usable LBA', String(pt.lastlba)]);
    fields.push(['sector size', String(sector)], ['partitions', String(parts.length)]);
    // what lies outside the partitions: the MBR boot code, the gap before the first partition
    // (GRUB's core.img on MBR disks)
    fields.push(['MBR boot code sha256', await sha256Range(src, 0, 440)]);
    const first = parts.length ? Math.min(...parts.map((p) => p.start)) * sector : src.size;
    const tableEnd = pt.label === 'gpt' ? (pt.firstlba ?? 34) * sector : SECTOR;
    if (first > tableEnd) fields.push(['gap before the first partition sha256', await sha256Range(src, tableEnd, first - tableEnd)]);
    sections.push({ key: 'partition table', title: 'partition table', fields });
  } finally {
    await src.close();
  }
  for (const [i, p] of parts.entries()) {
    const n = i + 1;
    const title = `partition ${n}${p.name ? ` (${p.name})` : ''}`;
    const fields: Field[] = [
      ['start', `${p.start} sectors`],
      ['size', `${p.size} sectors`],
      ['type', p.type],
    ];
    if (p.uuid !== undefined) fields.push(['UUID', p.uuid]);
    if (p.name !== undefined) fields.push(['name', p.name]);
    if (p.attrs !== undefined) fields.push(['attributes', p.attrs]);
    if (pt.label === 'dos') fields.push(['bootable', p.bootable ? 'yes' : 'no']);
    sections.push({ key: `partition ${n}`, title, fields });
    sections.push(await filesystemSection(image, p.start * sector, p.size * sector, `partition ${n} filesystem`, title, run, context));
  }
  const kinds = sections.filter((s) => s.key.endsWith('filesystem')).map((s) => s.fs ?? 'no filesystem');
  return {
    summary: `${pt.label === 'dos' ? 'MBR' : pt.label.toUpperCase()} disk, ${parts.length} partition${parts.length === 1 ? '' : 's'}${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
    sections,
    locate: (offset) => {
      for (const [i, p] of parts.entries()) {
        const s = p.start * sector;
        if (offset >= s && offset < s + p.size * sector) return `partition ${i + 1}, byte ${offset - s} of it`;
      }
      return offset < (pt.label === 'gpt' ? (pt.firstlba ?? 34) * sector : SECTOR) ? 'the partition table' : 'outside the partitions';
    },
  };
}
