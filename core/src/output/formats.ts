/**
 * The output formats built into dib, as one table (mkosi's `OutputFormat`): type, extension,
 * what each is made from, its host tools and its writer. Elements add more through the output
 * hooks (contract/output-hooks.ts); the registry (registry.ts) holds both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DibError } from '../errors.js';
import type { HostTool } from '../vocabulary.js';
import { qcow2Args, qcow2CompressionType, qemuImgPercent, vhdArgs, withProgress } from './qemu-img.js';
import { gzipProgram } from './tools.js';
import { gzipCompressor, mksquashfsArgs, tarArgs } from './tree.js';
import type { OutputFormat, OutputJob, OutputOptions } from './types.js';
import { stabiliseVhd } from './vhd.js';

/** Declare an output format (an identity function that gives it its type). */
export function defineOutputFormat(format: OutputFormat): OutputFormat {
  return Object.freeze({ ...format });
}

const QEMU_IMG: HostTool = { command: 'qemu-img', package: 'qemu-utils' };
const TAR: HostTool = { command: 'tar', package: 'tar' };

/** qemu-img convert, reporting its progress. */
async function convert(job: OutputJob, args: string[]): Promise<void> {
  await job.run.run('qemu-img', withProgress(args), {
    quiet: true,
    onOutput: (chunk) => {
      const pct = qemuImgPercent(chunk);
      if (pct !== undefined) job.progress(pct);
    },
  });
}

/** The qcow2 options qemu-img gets, as qcow2Args builds them from the settings. */
function qcow2Settings(o: Readonly<OutputOptions>) {
  return { compress: o.compress, compression: o.qcow2Compression ?? 'zstd', options: o.qemuImgOptions };
}

let zstdProbe: Promise<boolean> | undefined;

/** Whether the host's qemu-img can write zstd-compressed qcow2 (QEMU 5.1+, built with zstd). */
async function qemuImgHasZstd(run: OutputJob['run']): Promise<boolean> {
  zstdProbe ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dib-qemu-img-'));
    try {
      const r = await run.run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compression_type=zstd', join(dir, 'probe.qcow2'), '1M'], { quiet: true, reject: false });
      return r.exitCode === 0;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return zstdProbe;
}

export const BUILTIN_OUTPUT_FORMATS: readonly OutputFormat[] = [
  defineOutputFormat({
    type: 'raw',
    extension: 'raw',
    from: 'disk',
    description: 'the disk image as it is (sparse)',
    hostTools: [{ command: 'cp', package: 'coreutils' }],
    takesDisk: true,
    async write(job) {
      // as DIB: the assembled image is moved into place when nothing else reads it any more
      if (await job.takeDisk()) return;
      await job.run.run('cp', ['--reflink=auto', '--sparse=always', '--', job.disk!, job.file], { quiet: true });
    },
  }),
  defineOutputFormat({
    type: 'qcow2',
    extension: 'qcow2',
    from: 'disk',
    description: 'QEMU copy-on-write disk (compressed with zstd unless -u or qcow2Compression: zlib)',
    hostTools: [QEMU_IMG],
    load: (o) => (o.compress ? 'cpu' : 'io'),
    async preflight({ options, run }) {
      if (qcow2CompressionType(qcow2Settings(options)) !== 'zstd') return;
      if (!(await qemuImgHasZstd(run))) {
        throw new DibError('E_HOST_TOOL_MISSING', "qcow2 output with zstd compression needs a qemu-img that writes it (QEMU 5.1 or newer, built with zstd); this host's does not", {
          hint: 'set qcow2Compression: zlib (--qcow2-compression zlib), or install a newer qemu-utils',
        });
      }
    },
    async write(job) {
      // reproducible output writes clusters in order (see qcow2Args)
      await convert(job, qcow2Args({ raw: job.disk!, file: job.file, ...qcow2Settings(job.options), inOrder: job.sourceDateEpoch !== undefined }));
    },
  }),
  defineOutputFormat({
    type: 'vhd',
    extension: 'vhd',
    from: 'disk',
    description: 'fixed VHD (Azure, Hyper-V)',
    hostTools: [QEMU_IMG],
    async write(job) {
      await convert(job, vhdArgs({ raw: job.disk!, file: job.file }));
      await stabiliseVhd(job.file, { uuid: job.ids.uuid('vhd'), ...(job.sourceDateEpoch !== undefined ? { sourceDateEpoch: job.sourceDateEpoch } : {}) });
    },
  }),
  defineOutputFormat({
    type: 'tar',
    extension: 'tar',
    from: 'tree',
    description: 'the image tree as a tar archive (numeric owners, xattrs, sorted)',
    hostTools: [TAR],
    async write(job) {
      await job.run.run('tar', tarArgs({ tree: job.tree!, file: job.file, excludeContents: job.excludeContents, ...epoch(job) }), { quiet: true });
    },
  }),
  defineOutputFormat({
    type: 'tgz',
    extension: 'tgz',
    from: 'tree',
    description: 'the tar archive, gzip-compressed (pigz when installed)',
    hostTools: [TAR, { command: 'gzip', package: 'gzip' }],
    load: 'cpu',
    async write(job) {
      await job.run.run('tar', tarArgs({ tree: job.tree!, file: job.file, excludeContents: job.excludeContents, compressor: gzipCompressor(gzipProgram()), ...epoch(job) }), { quiet: true });
    },
  }),
  defineOutputFormat({
    type: 'squashfs',
    extension: 'squash',
    from: 'tree',
    description: 'the image tree as a squashfs filesystem (xz, or zstd)',
    hostTools: [{ command: 'mksquashfs', package: 'squashfs-tools' }],
    load: 'cpu',
    async write(job) {
      const args = mksquashfsArgs({ tree: job.tree!, file: job.file, excludeContents: job.excludeContents, compression: job.options.squashfsCompression ?? 'xz', ...epoch(job) });
      // mksquashfs refuses SOURCE_DATE_EPOCH from its environment next to -mkfs-time: dib says it
      await job.run.run('mksquashfs', args, { quiet: true, env: { SOURCE_DATE_EPOCH: undefined } });
    },
  }),
];

function epoch(job: OutputJob): { sourceDateEpoch?: number } {
  return job.sourceDateEpoch !== undefined ? { sourceDateEpoch: job.sourceDateEpoch } : {};
}
