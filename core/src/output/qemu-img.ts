/**
 * Disk outputs made by `qemu-img convert` from the raw image.
 */

/** `qemu-img convert` arguments for qcow2: `-c` when compressing, `-o` with the user's options. */
export function qcow2Args(opts: { raw: string; file: string; compress: boolean; options?: string }): string[] {
  return [
    'convert',
    '-f',
    'raw',
    '-O',
    'qcow2',
    ...(opts.compress ? ['-c'] : []),
    ...(opts.options && opts.options.trim() ? ['-o', opts.options.trim()] : []),
    opts.raw,
    opts.file,
  ];
}

/**
 * `qemu-img convert` arguments for a fixed VHD (what Azure and Hyper-V take): `force_size`
 * keeps the disk size exactly the raw image's instead of rounding it to a CHS geometry.
 */
export function vhdArgs(opts: { raw: string; file: string }): string[] {
  return ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', opts.raw, opts.file];
}
