/**
 * writeOutputs: turn the finished tree and/or the assembled disk image into the requested
 * output files, each written completely before it appears (staged in the build's output set, or
 * renamed into place), with sha256 (and optional checksum files).
 *
 * Outputs are written side by side where they do not compete: one compressor (`load: 'cpu'`)
 * next to one copier (`load: 'io'`) — on a machine with few cores two compressors only slow each
 * other down, and two copiers share one disk. A format that takes the disk (raw) comes after
 * every other reader of the disk, so that it can be moved into place instead of copied.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { DibError, isDibError } from '../errors.js';
import { randomIds } from '../disk/ids.js';
import { beginAtomic, type AtomicWrite } from './atomic.js';
import { checksumLine, hashFile } from './checksum.js';
import { contentExcludes, hostPseudoMountsUnder } from './mounts.js';
import { checksumPaths, outputPath } from './naming.js';
import { builtInRegistry } from './registry.js';
import { assertHostTools } from './tools.js';
import type { OutputFile, OutputFormat, OutputJob, OutputOptions, OutputStager, WriteOutputsOptions } from './types.js';
import { formatBytes } from '../util/bytes.js';

/** What writing `format` mostly costs with these options. */
export function loadOf(format: OutputFormat, options: Readonly<OutputOptions>): 'cpu' | 'io' {
  const l = format.load;
  return typeof l === 'function' ? l(options) : (l ?? 'io');
}

/** The formats asked for, each once (the first mention's place), type names looked up among the built-ins. */
export function requestedFormats(formats: WriteOutputsOptions['formats']): OutputFormat[] {
  const registry = formats.some((f) => typeof f === 'string') ? builtInRegistry() : undefined;
  const out = new Map<string, OutputFormat>();
  for (const f of formats) {
    const format = typeof f === 'string' ? registry!.get(f) : f;
    if (!out.has(format.type)) out.set(format.type, format);
  }
  return [...out.values()];
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

async function validate(opts: WriteOutputsOptions, formats: OutputFormat[]): Promise<void> {
  if (!isAbsolute(opts.outputBase)) {
    throw new DibError('E_OUTPUT', `output base name '${opts.outputBase}' is not an absolute path`, {
      hint: 'resolve the image name against the config directory before writing outputs',
    });
  }
  const tree = formats.filter((f) => f.from === 'tree').map((f) => f.type);
  if (tree.length && (!opts.treeDir || !(await isDir(opts.treeDir)))) {
    throw new DibError('E_OUTPUT', `${tree.join(', ')} output needs the image tree, but ${opts.treeDir ? `'${opts.treeDir}' is not a directory` : 'none was given'}`, {
      hint: 'pass treeDir (the finished image tree) to writeOutputs',
    });
  }
  const disk = formats.filter((f) => f.from === 'disk').map((f) => f.type);
  if (disk.length && (!opts.rawImage || !(await isFile(opts.rawImage)))) {
    throw new DibError('E_OUTPUT', `${disk.join(', ')} output needs the raw image, but ${opts.rawImage ? `'${opts.rawImage}' is not a file` : 'none was given'}`, {
      hint: 'pass rawImage (the assembled disk image) to writeOutputs',
    });
  }
}

/**
 * Write every requested output. Tools are checked before anything is written; each output
 * appears only complete. Returns one entry per distinct requested format, in the requested order.
 */
export async function writeOutputs(opts: WriteOutputsOptions): Promise<OutputFile[]> {
  const formats = requestedFormats(opts.formats);
  if (formats.length === 0) return [];
  await validate(opts, formats);
  assertHostTools(formats);
  await mkdir(dirname(opts.outputBase), { recursive: true });

  let excludes: string[] = ['proc', 'sys'];
  if (opts.treeDir && formats.some((f) => f.from === 'tree')) {
    const mounted = await hostPseudoMountsUnder(opts.treeDir);
    const extra = mounted.filter((m) => m !== 'proc' && m !== 'sys');
    if (extra.length) opts.log.warn(`leaving out the contents of mounted ${extra.map((m) => `/${m}`).join(', ')} from tree outputs`);
    excludes = contentExcludes(mounted);
  }

  const done = new Map<string, OutputFile>();
  const pending = [...formats];
  const running = new Map<string, Promise<void>>();
  const busy = { cpu: false, io: false };
  let failure: unknown;
  // a format that takes the disk waits for every other reader of the disk
  const readersLeft = () => pending.concat([...running.keys()].map((t) => formats.find((f) => f.type === t)!)).filter((f) => f.from === 'disk' && !f.takesDisk).length;
  const eligible = (f: OutputFormat) => {
    if (f.takesDisk && (readersLeft() > 0 || [...running.keys()].some((t) => formats.find((x) => x.type === t)!.takesDisk))) return false;
    if (opts.sequential) return running.size === 0;
    return !busy[loadOf(f, opts)];
  };
  const start = (f: OutputFormat) => {
    const load = loadOf(f, opts);
    busy[load] = true;
    const p = writeOne(f, opts, excludes, () => !opts.keepRawImage && readersLeft() === 0 && !pending.some((x) => x.takesDisk))
      .then((r) => void done.set(f.type, r))
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => {
        busy[load] = false;
        running.delete(f.type);
      });
    running.set(f.type, p);
  };
  while (pending.length || running.size) {
    if (failure === undefined && !opts.signal?.aborted) {
      for (let i = 0; i < pending.length; ) {
        const f = pending[i]!;
        if (eligible(f)) {
          pending.splice(i, 1);
          start(f);
        } else i++;
      }
    } else pending.length = 0;
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure !== undefined) throw failure;
  if (opts.signal?.aborted) throw interrupted(`${formats.find((f) => !done.has(f.type))?.type ?? 'the'} output`);
  return formats.map((f) => done.get(f.type)!);
}

async function writeOne(format: OutputFormat, opts: WriteOutputsOptions, excludes: string[], mayTakeDisk: () => boolean): Promise<OutputFile> {
  const type = format.type;
  const dest = outputPath(opts.outputBase, format);
  const sums = checksumPaths(dest);
  opts.log.info(`writing ${type} output ${dest}`);
  const started = Date.now();
  const begin = async (p: string): Promise<AtomicWrite> => (opts.set ? staged(opts.set, p) : beginAtomic(p));
  const main = await begin(dest);
  const side: AtomicWrite[] = [];
  const disk = { moved: false };
  try {
    const job: OutputJob = {
      type,
      file: main.tmp,
      ...(format.from === 'tree' ? { tree: opts.treeDir! } : { disk: opts.rawImage! }),
      excludeContents: excludes,
      ...(opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {}),
      ids: opts.ids ?? randomIds(),
      options: { compress: opts.compress, qcow2Compression: opts.qcow2Compression, qemuImgOptions: opts.qemuImgOptions, squashfsCompression: opts.squashfsCompression },
      env: opts.env ?? {},
      run: opts.run,
      log: opts.log,
      ...(opts.signal ? { signal: opts.signal } : {}),
      progress: (percent) => opts.onProgress?.(`${type} conversion`, percent),
      takeDisk: async () => {
        if (!format.takesDisk || format.from !== 'disk' || !mayTakeDisk()) return false;
        try {
          await rename(opts.rawImage!, main.tmp);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EXDEV') return false;
          throw e;
        }
        disk.moved = true;
        return true;
      },
    };
    await format.write(job);
    if (opts.signal?.aborted) throw interrupted(dest);
    if (!(await isFile(main.tmp))) throw new DibError('E_OUTPUT', `the ${type} writer finished without writing ${main.tmp}`, { hint: `fix the writer of output format '${type}'` });
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
    disk.moved = false;
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
    if (disk.moved) {
      // give the disk image back rather than deleting it with the temporary file
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

function wrapError(e: unknown, type: string, dest: string, signal?: AbortSignal): DibError {
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
