/** Byte counts as people read them, one way everywhere (logs, summaries, doctor). */

const UNITS: ReadonlyArray<[string, number]> = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/**
 * Human text for a byte count in the largest binary unit that fits: `1.5 GiB`, `550 MiB`
 * (whole numbers without decimals). `fixed`: always the same number of decimals (two for GiB
 * and TiB, one below), so that sizes line up in a column (`300.0 MiB`, `1.25 GiB`).
 */
export function formatBytes(bytes: number, opts: { fixed?: boolean } = {}): string {
  for (const [u, n] of UNITS) {
    if (bytes >= n) {
      const v = bytes / n;
      if (opts.fixed) return `${v.toFixed(n >= 1024 ** 3 ? 2 : 1)} ${u}`;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${u}`;
    }
  }
  return `${bytes} B`;
}
