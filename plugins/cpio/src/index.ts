/**
 * The cpio element: adds the `cpio` output format to a build's registry (the image tree as a
 * gzip-compressed newc cpio archive, what the kernel unpacks as an initramfs), as any element
 * package can add one. Reproducible: entries sorted by name (parents first, as the kernel's
 * unpacker wants), inode and device numbers renumbered (`cpio --reproducible`), owners and
 * modes as in the tree, the tree's times (clamped when SOURCE_DATE_EPOCH is set), a gzip header
 * without name or time (`gzip -n`).
 */
import { defineElement, defineOutputFormat, getOutputHooks, shellQuote, type OutputJob } from '@dib/core';

/** A glob pattern that matches `s` literally (find -path). */
function literalGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, '\\$&');
}

/** The pipeline that writes the archive (exported for tests). */
export function cpioScript(job: Pick<OutputJob, 'tree' | 'file' | 'excludeContents'>): string {
  const prune = job.excludeContents.map((d) => `-path ${shellQuote(`./${literalGlob(d)}/*`)}`).join(' -o ');
  const find = prune ? `find . \\( ${prune} \\) -prune -o -print0` : 'find . -print0';
  return `set -o pipefail; cd ${shellQuote(job.tree!)} && ${find} | LC_ALL=C sort -z | cpio --quiet -o -H newc -0 --reproducible | gzip -9 -n > ${shellQuote(job.file)}`;
}

export const cpioFormat = defineOutputFormat({
  type: 'cpio',
  extension: 'cpio.gz',
  from: 'tree',
  description: 'the image tree as a gzip-compressed newc cpio archive (an initramfs)',
  hostTools: [
    { command: 'cpio', package: 'cpio', why: 'writes the newc archive' },
    { command: 'gzip', package: 'gzip', why: 'compresses it' },
    { command: 'bash', package: 'bash', why: 'runs the find | sort | cpio | gzip pipeline' },
  ],
  load: 'cpu',
  async write(job) {
    await job.run.run('bash', ['-c', cpioScript(job)], { quiet: true });
  },
});

export default defineElement({
  name: 'cpio',
  description: 'Adds the cpio output format (-t cpio): the image tree as a gzip-compressed newc cpio archive, the format of an initramfs.',
  apply(build) {
    getOutputHooks(build).formats.tap('cpio', (formats) => formats.add(cpioFormat));
  },
});
