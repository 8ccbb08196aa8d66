/**
 * Size values of the config: a number counts in the setting's unit (GiB for `--image-size`,
 * MiB for `--image-extra-size` and `--mkfs-journal-size`, as DIB counts them); a string has
 * its own unit (`'4GiB'`, `'512MiB'`, DIB's units).
 */
import { GiB, MiB, parseAbsoluteSize } from '../disk/size.js';

export { GiB, MiB };

/** Why `v` is not a valid size of `unit` bytes per number, or undefined. */
export function sizeProblem(v: unknown, unitName: 'GiB' | 'MiB'): string | undefined {
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? undefined : `must be a positive number of ${unitName}`;
  if (typeof v !== 'string') return `must be a number of ${unitName} or a size string such as '${unitName === 'GiB' ? '4GiB' : '512MiB'}'`;
  const r = parseAbsoluteSize(v);
  if ('error' in r) return r.error;
  return r.bytes > 0 ? undefined : 'must be more than 0';
}

/** Bytes of a size (a number counts `unit` bytes; a string carries its unit). */
export function sizeBytes(v: number | string, unit: number): number {
  if (typeof v === 'number') return Math.round(v * unit);
  const r = parseAbsoluteSize(v);
  if ('error' in r) throw new Error(r.error);
  return r.bytes;
}

/** Why an image size is not valid, or undefined (a number is GiB). */
export function imageSizeProblem(v: unknown): string | undefined {
  return sizeProblem(v, 'GiB');
}

/** Bytes of an image size (number = GiB, string = `<num>[ ]<unit>` with DIB's units). */
export function imageSizeBytes(v: number | string): number {
  return sizeBytes(v, GiB);
}

/** A command-line or environment size: a plain number stays a number (in the setting's unit). */
export function sizeFromText(s: string): number | string {
  return /^\s*\d+(\.\d+)?\s*$/.test(s) ? Number(s) : s;
}
