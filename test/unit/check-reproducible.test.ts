/**
 * The --check-reproducible orchestration with stand-in builds that write tar outputs: two
 * identical builds pass and leave only the second's outputs; differing ones keep the first
 * aside; a failed second build puts the first build's outputs back.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHostRunner, silentLogger } from '@dib/core';
import { checkReproducible, firstBuildDir } from '#core/pipeline/reproducible.js';
import type { BuildResult } from '#core/pipeline/driver.js';
import { tarArchive } from '../helpers/tar-writer.js';
import { tmpDir } from '../helpers/tmp.js';

const run = createHostRunner({ log: silentLogger });

function fakeBuild(base: string, contents: Array<string | undefined>) {
  return async (pass: 1 | 2): Promise<BuildResult> => {
    const content = contents[pass - 1];
    if (content === undefined) return { ok: false, seconds: 0, phases: [], outputs: [] };
    const file = `${base}.tar`;
    await writeFile(file, tarArchive([{ name: './etc/hostname', content }]));
    await mkdir(`${base}.d`, { recursive: true });
    await writeFile(`${base}.d/build-report.json`, `{"pass":${pass}}`);
    return { ok: true, seconds: 0, phases: [], outputs: [{ path: file, format: 'tar', bytes: 0, sha256: '' }] };
  };
}

test('identical builds: exit 0, the first build aside is removed, the second build stays', async (t) => {
  const dir = await tmpDir('dib-repro-unit-');
  const base = path.join(dir, 'img');
  const r = await checkReproducible({ outputBase: base, build: fakeBuild(base, ['same\n', 'same\n']), run });
  t.true(r.check!.identical);
  t.is(r.check!.comparisons.length, 1);
  t.false(existsSync(firstBuildDir(base)));
  t.deepEqual((await readdir(dir)).sort(), ['img.d', 'img.tar']);
});

test('different builds: the differences are named and the first build is kept for dib diff', async (t) => {
  const dir = await tmpDir('dib-repro-unit-');
  const base = path.join(dir, 'img');
  const r = await checkReproducible({ outputBase: base, build: fakeBuild(base, ['one\n', 'two\n']), run });
  t.false(r.check!.identical);
  t.is(r.check!.firstBuildDir, firstBuildDir(base));
  t.deepEqual(r.check!.comparisons[0]!.diff.differences.map((d) => `${d.path} ${d.field}`), ['/etc/hostname content']);
  t.deepEqual((await readdir(firstBuildDir(base))).sort(), ['img.d', 'img.tar']);
});

test('a failed second build: the first build\'s outputs are put back, nothing is left aside', async (t) => {
  const dir = await tmpDir('dib-repro-unit-');
  const base = path.join(dir, 'img');
  const r = await checkReproducible({ outputBase: base, build: fakeBuild(base, ['one\n', undefined]), run });
  t.is(r.check, undefined);
  t.is(r.results.length, 2);
  t.false(r.results[1]!.ok);
  t.false(existsSync(firstBuildDir(base)));
  t.deepEqual((await readdir(dir)).sort(), ['img.d', 'img.tar']);
});
