/** `dib pkg-map`: DIB's pkg-map command, implemented by the pkg-map element. */
import { importElementPackage } from './plugin-import.js';

interface PkgMapModule {
  pkgMapMain(argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number>;
}

export async function pkgMapCommand(argv: string[]): Promise<number> {
  const mod = await importElementPackage<PkgMapModule>('@dib/element-pkg-map');
  return mod.pkgMapMain(argv, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
}
