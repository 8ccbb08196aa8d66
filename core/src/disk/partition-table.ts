/**
 * Partition tables written with sfdisk on the image file (no loop device): the script is
 * built from the geometry, then read back with `sfdisk --json` to check every partition. The
 * table's id (GPT disk GUID, MBR disk signature) and the GPT partition GUIDs are the layout's
 * (derived from the build's seed), so that a rebuild writes the same table.
 */
import type { CommandRunner } from '../vocabulary.js';
import { DibError } from '../errors.js';
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout } from './layout.js';

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

/** Write the table to `imageFile` (already at its full size) and check what sfdisk reports. */
export async function writePartitionTable(run: CommandRunner, layout: DiskLayout, geometry: DiskGeometry, imageFile: string): Promise<void> {
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
