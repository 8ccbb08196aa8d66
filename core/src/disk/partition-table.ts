/**
 * Partition tables on the image file (no loop device). GPT with sfdisk, from a script built from
 * the geometry and read back with `sfdisk --json`; MBR by dib itself (mbr.ts, as DIB writes its
 * own: sfdisk stops at 60 partitions), read back with partx. Every partition is checked. The
 * table's id (GPT disk GUID, MBR disk signature) and the GPT partition GUIDs are the layout's
 * (derived from the build's seed), so that a rebuild writes the same table.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { CommandRunner } from '../vocabulary.js';
import { DibError } from '../errors.js';
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout } from './layout.js';
import { mbrSectors } from './mbr.js';

const SECTOR = 512;

/** The sfdisk script that writes the layout's table at the geometry's offsets. */
export function sfdiskScript(layout: DiskLayout, geometry: DiskGeometry): string {
  if (layout.table === 'none') throw new Error('sfdiskScript: layout has no partition table');
  const lines = [`label: ${layout.table === 'gpt' ? 'gpt' : 'dos'}`, ...(layout.diskId ? [`label-id: ${layout.diskId}`] : []), 'unit: sectors', `sector-size: ${SECTOR}`];
  if (layout.table === 'gpt') lines.push('first-lba: 34');
  lines.push('');
  const line = (g: { start: number; size: number }, extra: string[]) => `start=${g.start / SECTOR}, size=${g.size / SECTOR}${extra.length ? ', ' : ''}${extra.join(', ')}`;
  for (const p of layout.partitions) {
    const g = geometry.partitions.find((x) => x.name === p.name)!;
    if (p.logical && geometry.extended && !lines.some((l) => l.includes('type=f'))) {
      lines.push(line(geometry.extended, ['type=f']));
    }
    const extra = [`type=${p.type}`];
    if (layout.table === 'gpt') extra.push(`name="${p.name}"`, ...(p.uuid ? [`uuid=${p.uuid}`] : []));
    else if (p.flags.boot) extra.push('bootable');
    lines.push(line(g, extra));
  }
  return `${lines.join('\n')}\n`;
}

interface SfdiskJson {
  partitiontable?: { label?: string; partitions?: Array<{ node: string; start: number; size: number; type: string; name?: string; bootable?: boolean }> };
}

/** The MBR disk signature: the layout's (`0x` and 8 hex digits, from the seed), else random. */
export function mbrDiskSignature(layout: Pick<DiskLayout, 'diskId'>): number {
  const m = /^0x([0-9a-f]{1,8})$/i.exec(layout.diskId ?? '');
  return m ? Number.parseInt(m[1]!, 16) >>> 0 : randomBytes(4).readUInt32LE(0);
}

/** Write the MBR and its EBRs into `imageFile` (already at its full size). */
export async function writeMbr(layout: DiskLayout, geometry: DiskGeometry, imageFile: string, diskId = mbrDiskSignature(layout)): Promise<void> {
  const fh = await open(imageFile, 'r+');
  try {
    for (const w of mbrSectors(layout, geometry, diskId)) await fh.write(w.data, 0, w.data.length, w.offset);
  } finally {
    await fh.close();
  }
}

/** The partitions partx reads from an image: number, first and last sector, type (`0x83`). */
export async function partxRead(run: CommandRunner, imageFile: string): Promise<{ number: number; start: number; end: number; type: string }[]> {
  const r = await run.run('partx', ['--raw', '--noheadings', '--output', 'NR,START,END,TYPE', imageFile], { quiet: true, reject: false });
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [nr, start, end, type] = l.trim().split(/\s+/);
      return { number: Number(nr), start: Number(start), end: Number(end), type: type ?? '' };
    });
}

/** Write the table to `imageFile` (already at its full size) and check what is read back. */
export async function writePartitionTable(run: CommandRunner, layout: DiskLayout, geometry: DiskGeometry, imageFile: string): Promise<void> {
  if (layout.table === 'mbr') {
    await writeMbr(layout, geometry, imageFile);
    const got = await partxRead(run, imageFile);
    const expect = [...geometry.partitions.map((g) => ({ number: g.number, start: g.start / SECTOR, end: (g.start + g.size) / SECTOR - 1, name: g.name }))];
    if (geometry.extended) expect.push({ number: geometry.extended.number, start: geometry.extended.start / SECTOR, end: (geometry.extended.start + geometry.extended.size) / SECTOR - 1, name: 'extended' });
    for (const e of expect) {
      const hit = got.find((x) => x.number === e.number);
      if (!hit || hit.start !== e.start || hit.end !== e.end) {
        throw new DibError('E_DISK', `the MBR read back places partition ${e.number} ('${e.name}') ${hit ? `at sectors ${hit.start}–${hit.end}` : 'nowhere'}, expected ${e.start}–${e.end}`, {
          hint: 'this is a dib bug; please report it with the block-device config (partx must be util-linux ≥ 2.23)',
        });
      }
    }
    return;
  }
  const script = sfdiskScript(layout, geometry);
  await run.run('sfdisk', ['--no-reread', '--no-tell-kernel', '--wipe', 'always', '-q', imageFile], { input: script, quiet: true });
  const r = await run.run('sfdisk', ['--json', imageFile], { quiet: true });
  let parsed: SfdiskJson;
  try {
    parsed = JSON.parse(r.stdout) as SfdiskJson;
  } catch {
    throw new DibError('E_DISK', `sfdisk --json ${imageFile} printed no JSON`, { hint: 'check that util-linux sfdisk ≥ 2.32 is installed' });
  }
  const got = parsed.partitiontable?.partitions ?? [];
  for (const g of geometry.partitions) {
    const hit = got.find((x) => partNumber(x.node) === g.number);
    if (!hit || hit.start !== g.start / SECTOR || hit.size !== g.size / SECTOR) {
      throw new DibError('E_DISK', `sfdisk placed partition ${g.number} ('${g.name}') ${hit ? `at sector ${hit.start} (+${hit.size})` : 'nowhere'}, expected sector ${g.start / SECTOR} (+${g.size / SECTOR})`, {
        hint: 'this is a dib bug; please report it with the block-device config',
        details: script.split('\n'),
      });
    }
  }
}

function partNumber(node: string): number {
  const m = /(\d+)$/.exec(node);
  return m ? Number(m[1]) : -1;
}
