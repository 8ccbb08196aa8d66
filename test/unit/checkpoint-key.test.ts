/**
 * Phase checkpoint keys: which inputs change a checkpoint's key (and so its phase and every
 * later one) and which do not — the work dir, the image name, the cache dir, the command line,
 * file times.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { defineElement, type ResolvedElement } from '#core/contract/element.js';
import type { TapInfo } from '#core/contract/build.js';
import type { ResolvedConfig } from '#core/config/schema.js';
import { testConfig } from '@dib/core/testing';
import { silentLogger } from '#core/log/logger.js';
import { checkpointInputs, directoryCacheInputs, keyedConfig, keyedEnv, packageIdentity, type InputsBuild } from '#core/pipeline/checkpoints-inputs.js';
import { changesText, checkpointKey, inputChanges, type Inputs } from '#core/pipeline/checkpoints-key.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const X = { text: '#!/bin/sh\necho hi\n', mode: 0o755 };

function config(over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return testConfig({ baseDir: '/src', elements: ['probe'], elementsPath: ['/src/elements'], name: '/out/one/image', types: ['qcow2'], cacheDir: '/var/cache/dib', workDir: '/tmp', ...over });
}

/** The environment a build of `name` in work dir `work` gets (the values DIB sets per build). */
function env(work: string, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ARCH: 'amd64',
    IMAGE_NAME: name,
    DIB_RELEASE: 'bookworm',
    TMP_BUILD_DIR: `${work}/dib_build.abc123`,
    TMP_HOOKS_PATH: `${work}/dib_build.abc123/hooks`,
    TMP_MOUNT_PATH: `${work}/dib_build.abc123/mnt`,
    TMP_IMAGE_DIR: `${work}/dib_image.xyz789`,
    DIB_IMAGE_CACHE: '/var/cache/dib',
    DIB_ARGS: `build -o ${name}`,
    DIB_ENV: `declare -x DIB_ARGS="build -o ${name}"`,
    DIB_MANIFEST_SAVE_DIR: `${name}.d/`,
    IMAGE_ELEMENT_YAML: 'probe: /src/elements/probe',
    ELEMENTS_PATH: '/src/elements',
    ...extra,
  };
}

async function dirElement(root: string): Promise<ResolvedElement> {
  const dir = path.join(root, 'probe');
  await writeTree(dir, {
    'element-deps': 'base\n',
    'environment.d/10-probe': 'export PROBE=1\n',
    'root.d/10-root': X,
    'install.d/20-install': X,
    'post-root.d/30-post-root': X,
    'finalise.d/40-finalise': X,
    'tests/README': 'not keyed: tests are not copied into the hooks tree\n',
  });
  return { name: 'probe', element: defineElement({ name: 'probe' }), dir, kind: 'directory' };
}

function build(elements: ResolvedElement[], e: Record<string, string>, c: ResolvedConfig = config()): InputsBuild {
  const taps: TapInfo[] = [
    { phase: 'root', name: '10-root', stage: 10, element: 'probe', kind: 'script' },
    { phase: 'install', name: '20-install', stage: 20, element: 'probe', kind: 'script' },
    { phase: 'post-root', name: '30-post-root', stage: 30, element: 'probe', kind: 'script' },
    { phase: 'finalise', name: '40-finalise', stage: 40, element: 'probe', kind: 'script' },
  ];
  return { config: c, elements, env: e, log: silentLogger, taps: () => taps, installTypeOf: () => 'source' };
}

/** The four keys (root, post-install, post-root, image), chained as the build chains them. */
async function keys(b: InputsBuild): Promise<string[]> {
  let parent: string | undefined;
  return (await checkpointInputs(b)).map((g) => (parent = checkpointKey(g.name, parent, g.inputs)));
}

test('the key of a checkpoint depends on the previous key and every input, not on their order', (t) => {
  const a: Inputs = { 'env X': '1', 'env Y': '2' };
  t.is(checkpointKey('root', undefined, a), checkpointKey('root', undefined, { 'env Y': '2', 'env X': '1' }));
  t.not(checkpointKey('root', undefined, a), checkpointKey('root', undefined, { ...a, 'env X': '3' }));
  t.not(checkpointKey('post-root', 'root-1', a), checkpointKey('post-root', 'root-2', a));
  t.regex(checkpointKey('post-root', 'root-1', a), /^post-root-[0-9a-f]{32}$/);
});

test('work paths, the image name, the cache dir and the command line are not keyed; other variables are', async (t) => {
  const dir = await tmpDir();
  const el = await dirElement(dir);
  const one = await keys(build([el], env('/tmp/a', '/out/one/image')));
  // another work dir, another image name (and so another DIB_ARGS, DIB_MANIFEST_SAVE_DIR), another cache
  const two = await keys(build([el], env('/var/tmp/b', '/elsewhere/two', { DIB_IMAGE_CACHE: '/other/cache' }), config({ name: '/elsewhere/two', workDir: '/var/tmp', cacheDir: '/other/cache', logfile: '/tmp/log' })));
  t.deepEqual(one.slice(0, 3), two.slice(0, 3), 'the checkpoints are shared');
  t.not(one[3], two[3], 'the outputs are not: their names and the manifests differ');
  // logging and cache switches are no inputs
  const quiet = await keys(build([el], env('/tmp/a', '/out/one/image', { DIB_DEBUG_TRACE: '1', DIB_OFFLINE: '1', DIB_NO_CACHE: '1' }), config({ offline: true })));
  t.deepEqual(quiet.slice(0, 3), one.slice(0, 3));
  // a real variable is
  const other = await keys(build([el], env('/tmp/a', '/out/one/image', { DIB_RELEASE: 'trixie' })));
  t.not(other[0], one[0]);
  const e = keyedEnv(env('/tmp/a', '/out/one/image'), config());
  t.false(Object.keys(e).some((k) => /TMP_|IMAGE_NAME|DIB_ARGS|DIB_ENV|DIB_IMAGE_CACHE|ELEMENTS_PATH|IMAGE_ELEMENT_YAML/.test(k)), Object.keys(e).join(' '));
  t.truthy(e['env DIB_MANIFEST_SAVE_DIR'], 'a variable holding the image name is keyed with a placeholder');
});

test('config keys: the image-only ones count only for the outputs, per-build ones nowhere', (t) => {
  const a = keyedConfig(config());
  const b = keyedConfig(config({ name: '/x/y', workDir: '/w', cacheDir: '/c', types: ['raw', 'tar'], compress: false, packages: ['vim'] }));
  t.notDeepEqual(a.build, b.build, 'packages reach the install phase');
  t.deepEqual(Object.keys(a.build).filter((k) => /name|workDir|cacheDir|types|compress|offline|noCache|refresh|elementsPath|baseDir/.test(k)), []);
  t.truthy(a.image['config types']);
  t.not(a.image['config types'], b.image['config types']);
  t.is(b.build['config packages'] !== a.build['config packages'], true);
});

test('a DIB element directory: a script change invalidates its phase onward, a declaration change everything, file times nothing', async (t) => {
  const dir = await tmpDir();
  const el = await dirElement(dir);
  const e = env('/tmp/a', '/out/one/image');
  const before = await keys(build([el], e));
  // touching every file (new mtimes) changes nothing: keys are made from content
  const later = new Date(Date.now() + 3600_000);
  for (const f of ['root.d/10-root', 'install.d/20-install', 'finalise.d/40-finalise', 'environment.d/10-probe']) await fs.utimes(path.join(el.dir, f), later, later);
  t.deepEqual(await keys(build([el], e)), before);
  // a test file of the element is no input
  await fs.writeFile(path.join(el.dir, 'tests/README'), 'changed\n');
  t.deepEqual(await keys(build([el], e)), before);

  await fs.writeFile(path.join(el.dir, 'finalise.d/40-finalise'), '#!/bin/sh\necho changed\n');
  const fin = await keys(build([el], e));
  t.deepEqual(fin.slice(0, 3), before.slice(0, 3), 'root, post-install and post-root still match');
  t.not(fin[3], before[3]);

  await fs.writeFile(path.join(el.dir, 'install.d/20-install'), '#!/bin/sh\necho changed\n');
  const inst = await keys(build([el], e));
  t.is(inst[0], before[0]);
  t.not(inst[1], before[1]);
  t.not(inst[2], before[2], 'every later key changes with it');

  await fs.chmod(path.join(el.dir, 'install.d/20-install'), 0o644);
  t.not((await keys(build([el], e)))[1], inst[1], 'the executable bit counts (dib-run-parts skips a script without it)');

  await fs.writeFile(path.join(el.dir, 'environment.d/10-probe'), 'export PROBE=2\n');
  t.not((await keys(build([el], e)))[0], before[0], 'environment.d is seen by every phase');
});

test('the inputs an element declares count from its first phase; cacheInputs false stops the checkpoints there', async (t) => {
  const dir = await tmpDir();
  const hostFile = path.join(dir, 'host.conf');
  await fs.writeFile(hostFile, 'one\n');
  const late = (cacheInputs: unknown): ResolvedElement => ({
    name: 'late',
    // a TS element counts in full from the root checkpoint; its declared inputs from its first tap
    element: defineElement({ name: 'late', cacheInputs: cacheInputs as never }),
    dir: path.join(dir, 'late'),
    kind: 'package',
  });
  await writeTree(path.join(dir, 'late'), { 'package.json': JSON.stringify({ name: 'dib-element-late', version: '1.0.0' }) });
  const taps: TapInfo[] = [{ phase: 'finalise', name: 'late', stage: 50, element: 'late', kind: 'ts' }];
  const b = (ci: unknown): InputsBuild => ({ config: config(), elements: [late(ci)], env: env('/tmp/a', '/i'), log: silentLogger, taps: () => taps, installTypeOf: () => 'source' });
  const g1 = await checkpointInputs(b({ files: [hostFile], env: ['DIB_TEST_HOST_VAR'], values: { release: 'r1' } }));
  t.truthy(g1[3]!.inputs[`input late file ${hostFile}`], 'in the image group, where its tap is');
  t.false(`input late file ${hostFile}` in g1[0]!.inputs);
  await fs.writeFile(hostFile, 'two\n');
  const g2 = await checkpointInputs(b(async () => ({ files: [hostFile], env: ['DIB_TEST_HOST_VAR'], values: { release: 'r1' } })));
  t.deepEqual(
    inputChanges(g1[3]!.inputs, g2[3]!.inputs).map((c) => c.input),
    [`input late file ${hostFile}`],
  );
  t.is(changesText(inputChanges(g1[3]!.inputs, g2[3]!.inputs)), `element late's input file ${hostFile} changed`);
  const off = await checkpointInputs(b(false));
  t.deepEqual(off.map((g) => g.optOut), [undefined, undefined, undefined, 'late']);
});

test('a DIB element directory declares its inputs in cache-inputs', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'cache-inputs': '# what 10-fetch reads\nfile /etc/hostname\nenv http_proxy\n' });
  t.deepEqual(await directoryCacheInputs(dir), { files: ['/etc/hostname'], env: ['http_proxy'] });
  await fs.writeFile(path.join(dir, 'cache-inputs'), 'none\n');
  t.is(await directoryCacheInputs(dir), false);
  await fs.writeFile(path.join(dir, 'cache-inputs'), 'url http://x\n');
  await t.throwsAsync(directoryCacheInputs(dir), { message: /'url http:\/\/x' is not 'file PATH', 'env NAME' or 'none'/ });
  t.is(await directoryCacheInputs(path.join(dir, 'nothing-here')), undefined);
});

test('an npm element is keyed by name, version and integrity; a linked one by its files', async (t) => {
  const dir = await tmpDir();
  const pkg = path.join(dir, 'node_modules', 'dib-element-x');
  await writeTree(pkg, { 'package.json': JSON.stringify({ name: 'dib-element-x', version: '2.1.0', files: ['dist'] }), 'dist/index.js': 'export default 1;\n', 'src/index.ts': 'x' });
  await writeTree(dir, { 'node_modules/.package-lock.json': JSON.stringify({ packages: { 'node_modules/dib-element-x': { version: '2.1.0', integrity: 'sha512-abc' } } }) });
  t.is(await packageIdentity(pkg), 'dib-element-x@2.1.0 sha512-abc');
  const linked = path.join(dir, 'work', 'x');
  await writeTree(linked, { 'package.json': JSON.stringify({ name: 'dib-element-y', version: '0.1.0', files: ['dist'] }), 'dist/index.js': 'export default 1;\n', 'src/index.ts': 'x' });
  const a = await packageIdentity(linked);
  t.regex(a, /^dib-element-y@0\.1\.0 files:[0-9a-f]{32}$/);
  // only what it publishes counts (the memo is per directory: a copy elsewhere is hashed anew)
  const copy = path.join(dir, 'work', 'y');
  await fs.copy(linked, copy);
  await fs.writeFile(path.join(copy, 'src/index.ts'), 'changed, not published');
  t.is(await packageIdentity(copy), a);
  // a package that publishes its TypeScript sources runs its JavaScript: sources, maps and
  // declarations are no part of what it does
  const both = path.join(dir, 'work', 'w');
  await writeTree(both, { 'package.json': JSON.stringify({ name: 'dib-element-w', version: '0.1.0', main: './dist/index.js', files: ['dist', 'src'] }), 'dist/index.js': 'export default 1;\n', 'src/index.ts': 'x' });
  const w = await packageIdentity(both);
  const both2 = path.join(dir, 'work', 'w2');
  await fs.copy(both, both2);
  await writeTree(both2, { 'src/index.ts': 'changed', 'dist/index.d.ts': 'export {};', 'dist/index.js.map': '{}' });
  t.is((await packageIdentity(both2)).split(' ')[1], w.split(' ')[1]);
  const changed = path.join(dir, 'work', 'z');
  await fs.copy(linked, changed);
  await fs.writeFile(path.join(changed, 'dist/index.js'), 'export default 2;\n');
  t.not(await packageIdentity(changed), a);
});
