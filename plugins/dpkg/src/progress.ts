/**
 * apt's progress, read from its own output lines: apt says how many packages it will install
 * (`N upgraded, M newly installed`), then prints `Get:K …` per download and `Setting up …`
 * per package. The Debian-family OS elements hand this reader to the core.
 */
import type { PackageProgress, ProgressReader } from '@dib/core';

export function aptProgress(): ProgressReader {
  let total = 0;
  let got = 0;
  let setUp = 0;
  return (line: string): PackageProgress | undefined => {
    const m = /^(\d+) upgraded, (\d+) newly installed/.exec(line);
    if (m) {
      total = Number(m[1]) + Number(m[2]);
      got = 0;
      setUp = 0;
      return undefined;
    }
    if (total <= 0) return undefined;
    const g = /^Get:(\d+)\s/.exec(line);
    if (g) {
      got = Math.max(got, Number(g[1]));
      return { label: 'apt: downloading', done: Math.min(got, total), total };
    }
    if (/^Setting up \S+/.test(line)) {
      setUp++;
      const p = { label: 'apt: installing', done: Math.min(setUp, total), total };
      if (setUp >= total) total = 0;
      return p;
    }
    return undefined;
  };
}
