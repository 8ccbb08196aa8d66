/**
 * `dib diff A B`: compare two images, archives or directories and name the first fields and
 * files that differ. Exit 0 when identical, 1 when they differ, 2 for bad input.
 */
import { createHostRunner } from '../chroot/run.js';
import { diffInputs, formatDiff } from '../diff/index.js';
import { DibError } from '../errors.js';
import { silentLogger } from '../log/logger.js';
import { stringValue } from './args.js';
import { prepareCommand } from './common.js';

/** Host tools run with the sbin directories on PATH (dumpe2fs, sfdisk live there). */
export function diffRunner(signal: AbortSignal) {
  return createHostRunner({ log: silentLogger, signal, env: { PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' } });
}

export async function diffCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('diff', argv);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 2) {
    throw new DibError('E_USAGE', `dib diff takes two inputs, not ${positionals.length}`, { hint: 'dib diff A B (images, archives or directories)' });
  }
  const maxText = stringValue(parsed, 'max');
  const max = maxText === undefined ? 20 : Number(maxText);
  if (!Number.isInteger(max) || max < 0) throw new DibError('E_USAGE', `--max must be a whole number, not '${maxText}'`, { hint: '--max 0 lists every difference' });

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new DibError('E_INTERRUPTED', `interrupted by ${sig}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await diffInputs(positionals[0]!, positionals[1]!, { run: diffRunner(abort.signal), workDir: stringValue(parsed, 'work-dir'), signal: abort.signal });
    if (parsed.values.has('json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(formatDiff(result, max).join('\n') + '\n');
    return result.identical ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
