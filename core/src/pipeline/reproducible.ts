/**
 * `dib build --check-reproducible`: build the image twice and compare the outputs with
 * `dib diff`. Both builds write to the same output path (an image records where it was built
 * to — DIB_MANIFEST_SAVE_DIR — so two paths would never compare equal), each in its own work
 * dir: the first build's outputs and `<name>.d` are moved aside to `.<name>.first-build/` before
 * the second starts. Identical: the aside copy is removed and the second build's outputs stay.
 * Different: both stay, for `dib diff`, and the check fails with E_NOT_REPRODUCIBLE.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { diffInputs, type DiffResult } from '../diff/index.js';
import { DibError } from '../errors.js';
import type { CommandRunner } from '../vocabulary.js';
import type { BuildResult } from './driver.js';

export interface ReproducibleComparison {
  format: string;
  first: string;
  second: string;
  diff: DiffResult;
}

export interface ReproducibleCheck {
  /** true when every output of both builds is identical */
  identical: boolean;
  comparisons: ReproducibleComparison[];
  /** where the first build's outputs were kept (when they differ) */
  firstBuildDir?: string;
}

export interface CheckReproducibleOptions {
  /** the output base both builds write to (`config.name`) */
  outputBase: string;
  /** run one whole build the way `dib build` does (a fresh Build and work dir each time) */
  build: (pass: 1 | 2) => Promise<BuildResult>;
  run: CommandRunner;
  workDir?: string;
  signal?: AbortSignal;
}

export interface ReproducibleOutcome {
  results: BuildResult[];
  check?: ReproducibleCheck;
}

/** Where the first build's outputs wait while the second build runs: `.<name>.first-build/`. */
export function firstBuildDir(outputBase: string): string {
  return path.join(path.dirname(outputBase), `.${path.basename(outputBase)}.first-build`);
}

/** The files a build left next to the image: each output, its checksum files, and `<name>.d`. */
async function buildFiles(outputBase: string, result: BuildResult): Promise<string[]> {
  const files = result.outputs.flatMap((o) => [o.path, `${o.path}.sha256`, `${o.path}.md5`]);
  files.push(`${outputBase}.d`);
  const out: string[] = [];
  for (const f of files) if (await fs.pathExists(f)) out.push(f);
  return out;
}

export async function checkReproducible(opts: CheckReproducibleOptions): Promise<ReproducibleOutcome> {
  const aside = firstBuildDir(opts.outputBase);
  await fs.remove(aside);
  const first = await opts.build(1);
  if (!first.ok) return { results: [first] };
  await fs.ensureDir(aside);
  const moved = new Map<string, string>();
  for (const f of await buildFiles(opts.outputBase, first)) {
    const to = path.join(aside, path.basename(f));
    await fs.move(f, to, { overwrite: true });
    moved.set(f, to);
  }
  const second = await opts.build(2);
  if (!second.ok) {
    // leave the first build's outputs where the user expects them
    for (const [from, to] of moved) await fs.move(to, from, { overwrite: true });
    await fs.remove(aside);
    return { results: [first, second] };
  }
  const comparisons: ReproducibleComparison[] = [];
  for (const o of second.outputs) {
    const before = moved.get(o.path);
    if (!before) throw new DibError('E_INTERNAL', `the second build wrote ${o.path}, which the first did not`, { hint: 'the builds disagree on their outputs; run them separately' });
    comparisons.push({ format: o.format, first: before, second: o.path, diff: await diffInputs(before, o.path, { run: opts.run, workDir: opts.workDir, signal: opts.signal }) });
  }
  const identical = comparisons.every((c) => c.diff.identical);
  if (identical) await fs.remove(aside);
  return { results: [first, second], check: { identical, comparisons, ...(identical ? {} : { firstBuildDir: aside }) } };
}
