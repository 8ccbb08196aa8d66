import { execa, type Options } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from build/test/…). */
export const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const CLI = path.join(REPO, 'core', 'dist', 'cli', 'main.js');
export const FIXTURES = path.join(REPO, 'test', 'fixtures');

export function fixtureElement(name: string): string {
  return path.join(FIXTURES, 'elements', name);
}

/** Run the dib CLI; never throws on a non-zero exit. */
export async function dib(args: string[], opts: Options = {}) {
  const r = await execa('node', [CLI, ...args], { reject: false, all: true, timeout: 10 * 60 * 1000, ...opts });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? '') };
}
