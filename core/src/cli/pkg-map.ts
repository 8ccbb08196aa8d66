/** `dib pkg-map`: DIB's pkg-map command, implemented by the pkg-map element. */
import { importElementPackage } from './plugin-import.js';

interface PkgMapModule {
  pkgMapMain(argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number>;
}

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
  const mod = await importElementPackage<PkgMapModule>('@dib/element-pkg-map');
  return mod.pkgMapMain(argv, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
}
