/**
 * Image format detection with `qemu-img info --output=json`.
 */
import { DibError } from '../errors.js';
import type { CommandRunner } from '../vocabulary.js';

/** The `format` of `qemu-img info --output=json` output (pure). */
export function parseImageFormat(json: string): string {
  let info: unknown;
  try {
    info = JSON.parse(json);
  } catch {
    throw new DibError('E_BOOT', 'qemu-img info printed something that is not JSON', { hint: 'run qemu-img info --output=json on the image to see why' });
  }
  const format = (info as { format?: unknown })?.format;
  if (typeof format !== 'string' || !/^[\w-]+$/.test(format)) {
    throw new DibError('E_BOOT', 'qemu-img info did not report the image format', { hint: 'check that the file is a disk image' });
  }
  return format;
}

/** Detect the image's format (raw, qcow2, vpc, …). A fixed VHD is detected as raw, which boots the same. */
export async function detectImageFormat(image: string, run: CommandRunner): Promise<string> {
  const r = await run.run('qemu-img', ['info', '--force-share', '--output=json', image], { quiet: true, reject: false });
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit status ${r.exitCode}`;
    throw new DibError('E_BOOT', `cannot read the disk image ${image}: ${why.replace(/^qemu-img: /, '')}`, {
      hint: 'check the path; dib boot takes a disk image (raw, qcow2, vhd)',
    });
  }
  return parseImageFormat(r.stdout);
}
