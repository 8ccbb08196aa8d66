/** What an input of `dib diff` is, from its magic bytes (never from its name). */
import { open, stat } from 'node:fs/promises';
import { DibError } from '../errors.js';
import { hasPartitionTable } from './disk.js';
import type { InputFormat } from './types.js';

/** `dib diff` calls its inputs A and B in messages. */
export type InputLabel = 'A' | 'B';

const UNKNOWN_HINT = 'dib diff reads qcow2, raw and vhd disk images, ext and FAT filesystem images, tar and tgz archives, squashfs images and directories';

export async function detectFormat(file: string, label: InputLabel): Promise<InputFormat> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new DibError('E_DIFF_INPUT', `${label}: ${file}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`, { hint: 'give the path of an image, an archive or a directory' });
  });
  if (st.isDirectory()) return 'directory';
  if (!st.isFile() && !st.isBlockDevice()) throw new DibError('E_DIFF_INPUT', `${label}: ${file} is neither a file nor a directory`, { hint: UNKNOWN_HINT });
  const fh = await open(file, 'r').catch((e: Error) => {
    throw new DibError('E_DIFF_INPUT', `${label}: cannot read ${file}: ${e.message}`, { hint: 'check its permissions (dib diff reads images as they are; run as root for root-only files)' });
  });
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const h = head.subarray(0, bytesRead);
    const tail = Buffer.alloc(512);
    if (st.size >= 512) await fh.read(tail, 0, 512, st.size - 512);
    if (h.subarray(0, 4).toString('latin1') === 'QFI\xfb') return 'qcow2';
    if (h.subarray(0, 8).toString('latin1') === 'conectix' || tail.subarray(0, 8).toString('latin1') === 'conectix') return 'vhd';
    if (h.subarray(0, 4).toString('latin1') === 'hsqs') return 'squashfs';
    if (h[0] === 0x1f && h[1] === 0x8b) return 'tgz';
    if (h.length >= 263 && h.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    if (h.length >= 1082 && h.readUInt16LE(1080) === 0xef53) return 'ext';
    if (hasPartitionTable(h)) return 'raw-disk';
    if (h.length >= 512 && h.readUInt16LE(510) === 0xaa55 && (h.subarray(54, 57).toString('latin1') === 'FAT' || h.subarray(82, 87).toString('latin1') === 'FAT32')) return 'vfat';
    throw new DibError('E_DIFF_INPUT', `${label}: ${file}: unknown format (${bytesRead ? 'no image, archive or filesystem signature' : 'empty file'})`, { hint: UNKNOWN_HINT });
  } finally {
    await fh.close();
  }
}
