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

/**
 * The environment tests run dib in: phase checkpoints off (DIB_NO_CACHE=1) unless the test sets
 * DIB_NO_CACHE itself. Tests assert what ran; a checkpoint left in a shared cache by an earlier
 * run (or another test) would skip it. The checkpoint tests give their own cache dir and
 * `DIB_NO_CACHE: ''`.
 */
export function testEnv(env: Options['env'] = {}): NonNullable<Options['env']> {
  return { DIB_NO_CACHE: '1', ...env };
}

/** Run the dib CLI; never throws on a non-zero exit. */
export async function dib(args: string[], opts: Options = {}) {
  const r = await execa('node', [CLI, ...args], { reject: false, all: true, timeout: 10 * 60 * 1000, ...opts, env: testEnv(opts.env) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? '') };
}
