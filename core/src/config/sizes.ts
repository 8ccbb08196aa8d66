/** Image-size values of the config: a number is GiB (as --image-size), a string has a unit. */
import { GiB, parseAbsoluteSize } from '../disk/size.js';

/** Why an image size is not valid, or undefined. */
export function imageSizeProblem(v: unknown): string | undefined {
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? undefined : 'must be a positive number of GiB';
  if (typeof v !== 'string') return "must be a number of GiB or a size string such as '4GiB'";
  const r = parseAbsoluteSize(v);
  if ('error' in r) return `${r.error}; write a size such as '4GiB' or '2048MiB'`;
  return r.bytes > 0 ? undefined : 'must be more than 0';
}

/** Bytes of an image size (number = GiB, string = `<num>[ ]<unit>` with DIB's units). */
export function imageSizeBytes(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * GiB);
  const r = parseAbsoluteSize(v);
  if ('error' in r) throw new Error(r.error);
  return r.bytes;
}
