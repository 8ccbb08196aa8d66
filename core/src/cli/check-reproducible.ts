/**
 * The command side of `dib build --check-reproducible`: runs the check (pipeline/reproducible.ts)
 * and prints, per output, whether the two builds are identical or the first differences.
 */
import { formatDiff } from '../diff/index.js';
import { DibError } from '../errors.js';
import { diffRunner } from './diff.js';
import type { BuildResult } from '../pipeline/driver.js';
import { checkReproducible } from '../pipeline/reproducible.js';
import { printError } from './main.js';

export interface CheckReproducibleCommandOptions {
  outputBase: string;
  workDir?: string;
  buildOnce: () => Promise<BuildResult>;
  /** print a failed build's error; returns the exit status */
  failed: (result: BuildResult) => number;
  line: (text: string) => void;
  signal: AbortSignal;
  /** the builds' SOURCE_DATE_EPOCH (undefined: they did not ask for reproducible output) */
  sourceDateEpoch?: number;
}

export async function checkReproducibleCommand(o: CheckReproducibleCommandOptions): Promise<number> {
  const run = diffRunner(o.signal);
  const outcome = await checkReproducible({
    outputBase: o.outputBase,
    workDir: o.workDir,
    run,
    signal: o.signal,
    build: async (pass) => {
      o.line(`dib: --check-reproducible: build ${pass} of 2`);
      return o.buildOnce();
    },
  });
  const bad = outcome.results.find((r) => !r.ok);
  if (bad) return o.failed(bad);
  const check = outcome.check!;
  for (const c of check.comparisons) {
    o.line(`dib: --check-reproducible: ${c.format}: ${c.diff.identical ? `identical (sha256 ${c.diff.a.sha256 ?? ''})` : 'the two builds differ'}`);
    if (!c.diff.identical) for (const l of formatDiff(c.diff).slice(1)) o.line(l);
  }
  if (check.identical) return 0;
  const differing = check.comparisons.filter((c) => !c.diff.identical);
  printError(
    new DibError('E_NOT_REPRODUCIBLE', `two builds of ${o.outputBase} differ: ${differing.map((c) => `${c.format} (${c.diff.differences.length} difference${c.diff.differences.length === 1 ? '' : 's'}, first: ${c.diff.differences[0]?.where}${c.diff.differences[0]?.path ? ` ${c.diff.differences[0].path}` : ''} ${c.diff.differences[0]?.field})`).join(', ')}`, {
      hint: `${o.sourceDateEpoch === undefined ? 'these builds did not ask for reproducible output: set SOURCE_DATE_EPOCH (--source-date-epoch, sourceDateEpoch) so that every time is clamped; ' : ''}the first build is kept in ${check.firstBuildDir}; compare with dib diff ${differing[0]!.first} ${differing[0]!.second}`,
    }),
  );
  return 1;
}
