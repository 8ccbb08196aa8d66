/** Versions of dib and of element packages, from their package.json. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The version of dib (the @dib/core package this code belongs to). */
export function dibVersion(): string {
  const pj = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pj.version;
}

/** The `version` of the package whose root is `dir`, or undefined when it has none. */
export async function packageVersion(dir: string): Promise<string | undefined> {
  try {
    const pj = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pj.version === 'string' ? pj.version : undefined;
  } catch {
    return undefined;
  }
}
