/**
 * Disk outputs made by `qemu-img convert` from the raw image.
 */
import type { Qcow2Compression } from './types.js';

export interface Qcow2Options {
  raw: string;
  file: string;
  compress: boolean;
  /** compression type of a compressed qcow2; default zstd */
  compression?: Qcow2Compression;
  /** the user's `-o` options (`--qemu-img-options`); theirs win over dib's */
  options?: string;
  /**
   * Write clusters in order (no `-W`): the same bytes on every run. Out of order, qemu-img
   * compresses on several threads at once and allocates clusters in whatever order they finish.
   */
  inOrder?: boolean;
}

/**
 * `qemu-img convert` arguments for qcow2: `-c` when compressing, with `compression_type`
 * (zstd unless zlib is asked for; readers of zstd need QEMU 5.1 or newer), then the user's `-o`
 * options. `-W -m 8` lets qemu-img compress clusters on several threads and write them out of
 * order: about twice as fast with zlib on two cores, but the cluster order (and so the bytes)
 * then changes from run to run, so reproducible builds write in order.
 */
export function qcow2Args(opts: Qcow2Options): string[] {
  const user = opts.options?.trim() ?? '';
  const o: string[] = [];
  // a version-2 image (compat=0.10) has no compression type field: it is zlib without saying so
  const type = qcow2CompressionType(opts);
  if (type && !/(^|,)compression_type=/.test(user) && !isVersion2(user)) o.push(`compression_type=${type}`);
  if (user) o.push(user);
  return [
    'convert',
    ...(opts.inOrder ? [] : ['-W']),
    '-m',
    '8',
    '-f',
    'raw',
    '-O',
    'qcow2',
    ...(opts.compress ? ['-c'] : []),
    ...(o.length ? ['-o', o.join(',')] : []),
    opts.raw,
    opts.file,
  ];
}

function isVersion2(options: string): boolean {
  return /(^|,)compat=0\.10(,|$)/.test(options);
}

/**
 * The compression type a qcow2 gets: none uncompressed; the user's `-o compression_type=` if
 * given; zlib for a version-2 image (`compat=0.10`, for old readers: it has no other); else the
 * setting (zstd by default).
 */
export function qcow2CompressionType(opts: Pick<Qcow2Options, 'compress' | 'compression' | 'options'>): Qcow2Compression | undefined {
  if (!opts.compress) return undefined;
  const user = opts.options?.trim() ?? '';
  const given = /(?:^|,)compression_type=(\w+)/.exec(user)?.[1];
  if (given) return given as Qcow2Compression;
  if (isVersion2(user)) return 'zlib';
  return opts.compression ?? 'zstd';
}

/**
 * `qemu-img convert` arguments for a fixed VHD (what Azure and Hyper-V take): `force_size`
 * keeps the disk size exactly the raw image's instead of rounding it to a CHS geometry.
 */
export function vhdArgs(opts: { raw: string; file: string }): string[] {
  return ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', opts.raw, opts.file];
}

/** The last percentage in `qemu-img convert -p` output (`    (42.17/100%)\r`). */
export function qemuImgPercent(chunk: string): number | undefined {
  let last: number | undefined;
  for (const m of chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) last = Number(m[1]);
  return last;
}

/** Insert `-p` (progress) after `convert`. */
export function withProgress(args: string[]): string[] {
  return args[0] === 'convert' ? ['convert', '-p', ...args.slice(1)] : args;
}
