/**
 * The footer of a fixed VHD (the last 512 bytes; Microsoft's "Virtual Hard Disk Image Format
 * Specification"). qemu-img writes a random unique id and the current time into it; dib puts
 * an id derived from the build's seed there, and with SOURCE_DATE_EPOCH that time, then fixes
 * the checksum, so a VHD is as reproducible as the raw image it holds.
 */
import { open } from 'node:fs/promises';
import { DibError } from '../errors.js';

const FOOTER = 512;
const COOKIE = 'conectix';
const TIMESTAMP = 24;
const CHECKSUM = 64;
const UNIQUE_ID = 68;
/** VHD times count seconds from 2000-01-01T00:00:00Z. */
export const VHD_EPOCH = 946684800;

/** One's complement of the sum of every footer byte but the checksum's own four. */
export function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < FOOTER; i++) if (i < CHECKSUM || i >= CHECKSUM + 4) sum += footer[i]!;
  return ~sum >>> 0;
}

/** Rewrite the footer's unique id (and time) in place; the checksum follows. */
export function patchVhdFooter(footer: Buffer, opts: { uuid: string; sourceDateEpoch?: number }): Buffer {
  if (footer.length !== FOOTER || footer.toString('latin1', 0, 8) !== COOKIE) throw new Error('not a VHD footer');
  Buffer.from(opts.uuid.replace(/-/g, ''), 'hex').copy(footer, UNIQUE_ID);
  if (opts.sourceDateEpoch !== undefined) footer.writeUInt32BE(Math.max(0, opts.sourceDateEpoch - VHD_EPOCH), TIMESTAMP);
  footer.writeUInt32BE(vhdChecksum(footer), CHECKSUM);
  return footer;
}

/** Patch the footer of the fixed VHD `file`. */
export async function stabiliseVhd(file: string, opts: { uuid: string; sourceDateEpoch?: number }): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const { size } = await fh.stat();
    const footer = Buffer.alloc(FOOTER);
    await fh.read(footer, 0, FOOTER, size - FOOTER);
    if (footer.toString('latin1', 0, 8) !== COOKIE) {
      throw new DibError('E_OUTPUT', `${file} does not end in a VHD footer`, { hint: 'qemu-img wrote something else than a fixed VHD; check qemu-utils' });
    }
    await fh.write(patchVhdFooter(footer, opts), 0, FOOTER, size - FOOTER);
  } finally {
    await fh.close();
  }
}
