/**
 * writeOutputs: turn the finished tree and/or the assembled raw image into the requested
 * output files, each written atomically, with sha256 (and optional checksum files).
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { DibError, isDibError } from '../errors.js';
import { beginAtomic, type AtomicWrite } from './atomic.js';
import { checksumLine, hashFile } from './checksum.js';
import { contentExcludes, hostPseudoMountsUnder } from './mounts.js';
import { checksumPaths, outputPath, uniqueTypes } from './naming.js';
import { qcow2Args, qemuImgPercent, vhdArgs, withProgress } from './qemu-img.js';
import { assertHostTools, gzipProgram } from './tools.js';
import { gzipCompressor, mksquashfsArgs, tarArgs } from './tree.js';
import type { OutputFile, OutputStager, OutputType, WriteOutputsOptions } from './types.js';
import { OUTPUT_TYPES } from '../config/schema.js';
import { formatBytes } from '../util/bytes.js';

const TREE_TYPES: ReadonlySet<OutputType> = new Set(['tar', 'tgz', 'squashfs']);
const RAW_TYPES: ReadonlySet<OutputType> = new Set(['raw', 'qcow2', 'vhd']);

/** Whether an output type is made from the image tree (else from the raw image). */
export function isTreeOutput(type: OutputType): boolean {
  return TREE_TYPES.has(type);
}

/**
 * The order outputs are produced in: tree outputs, then conversions of the raw image, then
 * raw itself (so the raw image can be moved into place once nothing else needs it).
 */
export function productionOrder(types: readonly OutputType[]): OutputType[] {
  const u = uniqueTypes(types);
  return [...u.filter((t) => TREE_TYPES.has(t)), ...u.filter((t) => t === 'qcow2' || t === 'vhd'), ...u.filter((t) => t === 'raw')];
}


async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function interrupted(what: string): DibError {
  return new DibError('E_INTERRUPTED', `interrupted while writing ${what}`);
}

async function validate(opts: WriteOutputsOptions, types: OutputType[]): Promise<void> {
  for (const t of types) {
    if (!(OUTPUT_TYPES as readonly string[]).includes(t)) {
      throw new DibError('E_OUTPUT', `unknown output type '${t}'`, { hint: `use one of: ${OUTPUT_TYPES.join(', ')}` });
    }
  }
  if (!isAbsolute(opts.outputBase)) {
    throw new DibError('E_OUTPUT', `output base name '${opts.outputBase}' is not an absolute path`, {
      hint: 'resolve the image name against the config directory before writing outputs',
    });
  }
  const treeTypes = types.filter((t) => TREE_TYPES.has(t));
  if (treeTypes.length) {
    if (!opts.treeDir || !(await isDir(opts.treeDir))) {
      throw new DibError('E_OUTPUT', `${treeTypes.join(', ')} output needs the image tree, but ${opts.treeDir ? `'${opts.treeDir}' is not a directory` : 'none was given'}`, {
        hint: 'pass treeDir (the finished image tree) to writeOutputs',
      });
    }
  }
  const rawTypes = types.filter((t) => RAW_TYPES.has(t));
  if (rawTypes.length) {
    if (!opts.rawImage || !(await isFile(opts.rawImage))) {
      throw new DibError('E_OUTPUT', `${rawTypes.join(', ')} output needs the raw image, but ${opts.rawImage ? `'${opts.rawImage}' is not a file` : 'none was given'}`, {
        hint: 'pass rawImage (the assembled disk image) to writeOutputs',
      });
    }
  }
}

/**
 * Write every requested output. Tools are checked before anything is written; outputs are
 * produced one at a time (tree outputs, qcow2/vhd, then raw); each appears only complete.
 * Returns one entry per distinct requested type, in the requested order.
 */
export async function writeOutputs(opts: WriteOutputsOptions): Promise<OutputFile[]> {
  const types = uniqueTypes(opts.types);
  if (types.length === 0) return [];
  await validate(opts, types);
  assertHostTools(types);
  await mkdir(dirname(opts.outputBase), { recursive: true });

  let excludes: string[] = ['proc', 'sys'];
  if (opts.treeDir && types.some((t) => TREE_TYPES.has(t))) {
    const mounted = await hostPseudoMountsUnder(opts.treeDir);
    const extra = mounted.filter((m) => m !== 'proc' && m !== 'sys');
    if (extra.length) opts.log.warn(`leaving out the contents of mounted ${extra.map((m) => `/${m}`).join(', ')} from tree outputs`);
    excludes = contentExcludes(mounted);
  }

  const done = new Map<OutputType, OutputFile>();
  for (const type of productionOrder(types)) {
    if (opts.signal?.aborted) throw interrupted(`${type} output`);
    done.set(type, await writeOne(type, opts, excludes));
  }
  return types.map((t) => done.get(t)!);
}

/** qemu-img convert, reporting its progress when someone listens. */
async function convert(opts: WriteOutputsOptions, type: OutputType, args: string[]): Promise<void> {
  const onProgress = opts.onProgress;
  if (!onProgress) {
    await opts.run.run('qemu-img', args, { quiet: true });
    return;
  }
  await opts.run.run('qemu-img', withProgress(args), {
    quiet: true,
    onOutput: (chunk) => {
      const pct = qemuImgPercent(chunk);
      if (pct !== undefined) onProgress(`${type} conversion`, pct);
    },
  });
}

async function produce(type: OutputType, tmp: string, opts: WriteOutputsOptions, excludes: string[], raw: { moved: boolean }): Promise<void> {
  const run = (file: string, args: string[]) => opts.run.run(file, args, { quiet: true });
  switch (type) {
    case 'tar':
      await run('tar', tarArgs({ tree: opts.treeDir!, file: tmp, excludeContents: excludes }));
      return;
    case 'tgz':
      await run('tar', tarArgs({ tree: opts.treeDir!, file: tmp, excludeContents: excludes, compressor: gzipCompressor(gzipProgram()) }));
      return;
    case 'squashfs':
      await run('mksquashfs', mksquashfsArgs({ tree: opts.treeDir!, file: tmp, excludeContents: excludes, compression: opts.squashfsCompression ?? 'xz' }));
      return;
    case 'qcow2':
      await convert(opts, type, qcow2Args({ raw: opts.rawImage!, file: tmp, compress: opts.compress, options: opts.qemuImgOptions }));
      return;
    case 'vhd':
      await convert(opts, type, vhdArgs({ raw: opts.rawImage!, file: tmp }));
      return;
    case 'raw':
      if (!opts.keepRawImage) {
        try {
          await rename(opts.rawImage!, tmp);
          raw.moved = true;
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        }
      }
      await run('cp', ['--reflink=auto', '--sparse=always', '--', opts.rawImage!, tmp]);
      return;
  }
}

async function writeOne(type: OutputType, opts: WriteOutputsOptions, excludes: string[]): Promise<OutputFile> {
  const dest = outputPath(opts.outputBase, type);
  const sums = checksumPaths(dest);
  opts.log.info(`writing ${type} output ${dest}`);
  const started = Date.now();
  const begin = async (p: string): Promise<AtomicWrite> => (opts.set ? staged(opts.set, p) : beginAtomic(p));
  const main = await begin(dest);
  const side: AtomicWrite[] = [];
  const raw = { moved: false };
  try {
    await produce(type, main.tmp, opts, excludes, raw);
    if (opts.signal?.aborted) throw interrupted(dest);
    const hashes = await hashFile(main.tmp, { md5: opts.checksum, signal: opts.signal });
    const checksumFiles: string[] = [];
    if (opts.checksum) {
      for (const [path, hex] of [
        [sums.md5, hashes.md5!],
        [sums.sha256, hashes.sha256],
      ] as const) {
        const w = await begin(path);
        side.push(w);
        await writeFile(w.tmp, checksumLine(hex, dest), { flag: 'wx' });
        checksumFiles.push(path);
      }
    }
    if (opts.signal?.aborted) throw interrupted(dest);
    await main.commit();
    raw.moved = false;
    if (opts.checksum) {
      for (const w of side) await w.commit();
    } else if (opts.set) {
      opts.set.removeOnCommit(sums.md5);
      opts.set.removeOnCommit(sums.sha256);
    } else {
      // checksum files of a replaced output would no longer match it
      await rm(sums.md5, { force: true });
      await rm(sums.sha256, { force: true });
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    opts.log.info(`wrote ${dest} (${type}, ${formatBytes(hashes.bytes, { fixed: true })}, ${seconds} s)`);
    return { path: dest, format: type, bytes: hashes.bytes, sha256: hashes.sha256, ...(checksumFiles.length ? { checksumFiles } : {}) };
  } catch (e) {
    for (const w of side) await w.discard().catch(() => {});
    if (raw.moved) {
      // give the raw image back rather than deleting it with the temporary file
      await rename(main.tmp, opts.rawImage!).catch(() => {});
    }
    await main.discard().catch(() => {});
    throw wrapError(e, type, dest, opts.signal);
  }
}

/** A write into an output set: "commit" is the set's, at the end of the build. */
async function staged(set: OutputStager, dest: string): Promise<AtomicWrite> {
  const tmp = await set.stage(dest);
  let done = false;
  return {
    tmp,
    async commit() {
      done = true;
    },
    async discard() {
      if (!done) await rm(tmp, { force: true, recursive: true });
    },
  };
}

function wrapError(e: unknown, type: OutputType, dest: string, signal?: AbortSignal): DibError {
  if (isDibError(e) && (e.code === 'E_INTERRUPTED' || e.code === 'E_HOST_TOOL_MISSING' || e.code === 'E_OUTPUT')) return e;
  if (signal?.aborted || (e as { name?: string })?.name === 'AbortError') return interrupted(dest);
  const cause = isDibError(e) ? e : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return new DibError('E_OUTPUT', `could not write the ${type} output ${dest}: ${message.split('\n')[0]}`, {
    cause: e,
    details: cause?.details ?? [],
    hint: cause?.hint && cause.hint !== 'see the output above' ? cause.hint : 'see the command output above; an existing output of that name was left as it was',
  });
}
