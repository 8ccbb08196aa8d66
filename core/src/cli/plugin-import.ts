/** Import a built-in element package's library API (used by commands such as `dib pkg-map`). */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DibError } from '../errors.js';

export async function importElementPackage<T>(pkg: string, baseDir: string = process.cwd()): Promise<T> {
  for (const base of [baseDir, path.dirname(new URL(import.meta.url).pathname)]) {
    try {
      const entry = createRequire(path.join(base, 'noop.js')).resolve(pkg);
      return (await import(pathToFileURL(entry).href)) as T;
    } catch {
      /* next */
    }
  }
  throw new DibError('E_ELEMENT_NOT_FOUND', `package ${pkg} is not installed`, { hint: `npm install ${pkg}` });
}
