/**
 * `dib diff A B`: compare two images, archives or directories and name the first fields and
 * files that differ. Exit 0 when identical, 1 when they differ, 2 for bad input.
 */
import { parseArgs } from 'node:util';
import { createHostRunner } from '../chroot/run.js';
import { diffInputs, formatDiff } from '../diff/index.js';
import { DibError } from '../errors.js';
import { silentLogger } from '../log/logger.js';

export const DIFF_USAGE = `Usage: dib diff A B [options]

Compares two images or trees and names the first fields and files that differ: the container
(qcow2, vhd), the partition table (label id, partition GUIDs, types, offsets), each
filesystem's superblock (UUID, hash seed, times), then per file: presence, type, mode, owner,
size, mtime, content, symlink target, xattrs. Nothing is mounted.

A and B: qcow2, raw or vhd disk images, ext or FAT filesystem images, tar or tgz archives,
squashfs images, or directories (as root, to read every file).

Options:
  --json             print the result as one JSON object (every difference, full values)
  --max N            list the first N differences (default 20; 0: all)
  --work-dir DIR     where qcow2/vhd images are converted to raw (default: the temp dir)
  -h, --help         show this help

Exit status: 0 identical, 1 they differ, 2 bad input (missing file, unknown format).`;

export async function diffCommand(argv: string[]): Promise<number> {
  let values: { json?: boolean; max?: string; 'work-dir'?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, max: { type: 'string' }, 'work-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new DibError('E_USAGE', `dib diff: ${(e as Error).message.split('\n')[0]}`, { hint: "see 'dib diff --help'" });
  }
  if (values.help) {
    process.stdout.write(DIFF_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 2) {
    throw new DibError('E_USAGE', `dib diff takes two inputs, not ${positionals.length}`, { hint: 'dib diff A B (images, archives or directories)' });
  }
  const max = values.max === undefined ? 20 : Number(values.max);
  if (!Number.isInteger(max) || max < 0) throw new DibError('E_USAGE', `--max must be a whole number, not '${values.max}'`, { hint: '--max 0 lists every difference' });

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new DibError('E_INTERRUPTED', `interrupted by ${sig}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = createHostRunner({ log: silentLogger, signal: abort.signal, env: { PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' } });
    const result = await diffInputs(positionals[0]!, positionals[1]!, { run, workDir: values['work-dir'], signal: abort.signal });
    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(formatDiff(result, max).join('\n') + '\n');
    return result.identical ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
