/**
 * The project's own dib: a `dib` command run outside its project's install (a global one, or
 * one npx fetched) hands over to the `node_modules/dib` that the current directory's project
 * pins, as gulp-cli and @angular/cli do, so that every machine builds with the project's version.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DibPackage {
  /** real path of the package directory */
  dir: string;
  version: string;
  /** absolute path of its `dib` bin script */
  bin: string;
}

function readPackage(dir: string): DibPackage | undefined {
  try {
    const pj = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; bin?: string | Record<string, string> };
    if (pj.name !== 'dib') return undefined;
    const bin = typeof pj.bin === 'string' ? pj.bin : pj.bin?.dib;
    if (!bin) return undefined;
    return { dir, version: pj.version ?? '0.0.0', bin: path.join(dir, bin) };
  } catch {
    return undefined;
  }
}

/** The `dib` package this file belongs to. */
export function ownPackage(): DibPackage {
  const dir = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
  const own = readPackage(dir);
  if (!own) throw new Error(`${dir} is not the dib package`);
  return own;
}

/**
 * The dib installed in the project around `cwd` (the nearest `node_modules/dib`, as Node
 * would resolve it), unless that is `self`.
 */
export function projectDib(cwd: string, self: DibPackage): DibPackage | undefined {
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', 'dib');
    if (existsSync(path.join(candidate, 'package.json'))) {
      const real = realpathSync(candidate);
      if (real === self.dir) return undefined;
      const pkg = readPackage(real);
      if (pkg) return pkg;
    }
    if (path.dirname(d) === d) return undefined;
  }
}
