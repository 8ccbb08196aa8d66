/** `dib pkg-map`: DIB's pkg-map command, answered by the pkg-map element (the core's pkgMapTool hook). */
import { getPackageHooks } from '../contract/package-hooks.js';
import { DibError } from '../errors.js';
import { elementsBuild } from './common.js';

export async function pkgMapCommand(argv: string[]): Promise<number> {
  // the element parses its arguments as DIB's argparse does (unknown words are names);
  // help is dib's, generated from the command table like every command's
  const end = argv.indexOf('--');
  if ((end >= 0 ? argv.slice(0, end) : argv).some((a) => a === '-h' || a === '--help')) {
    const { formatHelp } = await import('./help.js');
    const { commandSpec } = await import('./commands.js');
    process.stdout.write(`${formatHelp(commandSpec('pkg-map')!)}\n`);
    return 0;
  }
  const build = await elementsBuild(['pkg-map']);
  const r = await getPackageHooks(build).pkgMapTool.promise({ argv, env: process.env });
  if (!r) throw new DibError('E_ELEMENT_INVALID', 'the pkg-map element does not answer pkg-map requests', { hint: 'reinstall dib (npm i -D dib), or check which package provides the element pkg-map' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.status;
}
