import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { resolveConfig } from '#core/config/resolve.js';
import { validateConfig } from '#core/config/validate.js';
import { isDibError } from '@dib/core';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const env = {} as NodeJS.ProcessEnv;

test('dib.config.ts is loaded and typed values resolve with defaults', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'dib.config.ts': `import { defineConfig } from '@dib/core';\nconst size: number = 3;\nexport default defineConfig({ elements: ['vm', 'debian-minimal'], name: 'out/deb', imageSize: size, env: { DIB_RELEASE: 'bookworm' } });\n`,
  });
  const c = await resolveConfig({ cwd: dir, processEnv: env });
  t.is(c.file, path.join(dir, 'dib.config.ts'));
  t.deepEqual(c.elements, ['vm', 'debian-minimal']);
  t.is(c.name, path.join(dir, 'out/deb'));
  t.deepEqual(c.types, ['qcow2']);
  t.is(c.imageSize, 3 * 1024 ** 3);
  t.is(c.env.DIB_RELEASE, 'bookworm');
  t.is(c.installType, 'source');
  t.true(c.compress);
  // no temp .mjs left next to the config
  t.deepEqual((await fs.readdir(dir)).sort(), ['dib.config.ts']);
});

for (const [file, text] of [
  ['.dibrc', '{"elements": ["busybox-root"], "types": ["tar"]}'],
  ['.dibrc.json', '{"elements": ["busybox-root"], "types": ["tar"]}'],
  ['.dibrc.yaml', 'elements: [busybox-root]\ntypes: [tar]\n'],
  ['package.json', '{"name": "x", "dib": {"elements": ["busybox-root"], "types": ["tar"]}}'],
  ['dib.config.mjs', 'export default { elements: ["busybox-root"], types: ["tar"] };'],
] as const) {
  test(`config from ${file}`, async (t) => {
    const dir = await tmpDir();
    await writeTree(dir, { [file]: text });
    const c = await resolveConfig({ cwd: dir, processEnv: env });
    t.deepEqual(c.elements, ['busybox-root']);
    t.deepEqual(c.types, ['tar']);
  });
}

test('--config PATH and command-line overrides win over the file', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'conf/my.json': '{"elements": ["a-os"], "name": "img", "types": ["qcow2"], "arch": "arm64"}' });
  const c = await resolveConfig({ cwd: dir, configPath: 'conf/my.json', overrides: { types: ['tar'], elements: ['b-os'] }, processEnv: env });
  t.deepEqual(c.types, ['tar']);
  t.deepEqual(c.elements, ['b-os']);
  t.is(c.arch, 'arm64');
  t.is(c.name, path.join(dir, 'conf', 'img'));
});

test('DIB-style: -o name.qcow2 with one type strips the extension', async (t) => {
  const dir = await tmpDir();
  const c = await resolveConfig({ cwd: dir, overrides: { elements: ['x'], name: 'disk.qcow2', types: ['qcow2'] }, processEnv: env });
  t.is(c.name, path.join(dir, 'disk'));
});

test('unknown key: one line naming the file and the key, with a suggestion, exit 2', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'dib.config.ts': `export default { elements: ['x'], typs: ['tar'] };\n` });
  const e = await t.throwsAsync(resolveConfig({ cwd: dir, processEnv: env }));
  t.true(isDibError(e));
  t.is((e as unknown as { code: string }).code, 'E_CONFIG_UNKNOWN_KEY');
  t.regex(e!.message, /^dib\.config\.ts: typs: unknown key \(did you mean 'types'\?\)$/);
  t.is((e as unknown as { hint: string }).hint, "rename it to 'types'");
  t.is((e as unknown as { exitCode: number }).exitCode, 2);
  t.false(e!.message.includes('\n'));
});

test('wrong type names the key', (t) => {
  const e = t.throws(() => validateConfig({ elements: 'vm' }, '.dibrc.json'));
  t.regex(e!.message, /^\.dibrc\.json: elements: must be a list of element names/);
  // output types are open (elements add them): the config checks the name's form only; an
  // unknown name is the build's error, with did-you-mean, once its elements are applied
  const e2 = t.throws(() => validateConfig({ types: ['Qcow2'] }, 'dib.config.ts'));
  t.regex(e2!.message, /'Qcow2' is not an output type name/);
  const e3 = t.throws(() => validateConfig({ imageSize: '4 parsecs' }, 'dib.config.ts'));
  t.regex(e3!.message, /^dib\.config\.ts: imageSize: '4 parsecs': unknown unit 'parsecs'/);
  const e4 = t.throws(() => validateConfig({ env: { DIB_X: 3 } }, 'dib.config.ts'));
  t.regex(e4!.message, /^dib\.config\.ts: env\.DIB_X: must be a string/);
});

test('syntax error in dib.config.ts: file:line:col, code E_CONFIG_SYNTAX, no temp file left', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'dib.config.ts': `export default {\n  elements: ['x'\n  types: ['tar'],\n};\n` });
  const e = await t.throwsAsync(resolveConfig({ cwd: dir, processEnv: env }));
  t.is((e as unknown as { code: string }).code, 'E_CONFIG_SYNTAX');
  t.regex(e!.message, /dib\.config\.ts:3:\d+: /);
  t.deepEqual(await fs.readdir(dir), ['dib.config.ts']);
});

test('missing --config file', async (t) => {
  const dir = await tmpDir();
  const e = await t.throwsAsync(resolveConfig({ cwd: dir, configPath: 'nope.ts', processEnv: env }));
  t.is((e as unknown as { code: string }).code, 'E_CONFIG_NOT_FOUND');
  t.regex(e!.message, /nope\.ts does not exist/);
});

test('no config and no elements is a usage error', async (t) => {
  const dir = await tmpDir();
  const e = await t.throwsAsync(resolveConfig({ cwd: dir, processEnv: env }));
  t.is((e as unknown as { code: string }).code, 'E_USAGE');
});

test('DIB_* from the process environment override config env; ELEMENTS_PATH is appended', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '.dibrc.json': '{"elements": ["x"], "env": {"DIB_RELEASE": "bookworm", "DIB_A": "1"}, "elementsPath": ["els"]}' });
  const c = await resolveConfig({ cwd: dir, processEnv: { DIB_RELEASE: 'trixie', ELEMENTS_PATH: '/opt/e', HOME: '/root' } });
  t.is(c.env.DIB_RELEASE, 'trixie');
  t.is(c.env.DIB_A, '1');
  t.false("HOME" in c.env);
  t.deepEqual(c.elementsPath, [path.join(dir, 'els'), '/opt/e']);
});

test('tapTimeout: seconds > 0, resolved as given; anything else names the key', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '.dibrc.json': '{"elements": ["busybox-root"], "tapTimeout": 90}' });
  t.is((await resolveConfig({ cwd: dir, processEnv: env })).tapTimeout, 90);
  t.is((await resolveConfig({ cwd: dir, processEnv: env, overrides: { tapTimeout: 1.5 } })).tapTimeout, 1.5);
  for (const bad of [0, -1, '30', Number.POSITIVE_INFINITY]) {
    const e = t.throws(() => validateConfig({ tapTimeout: bad }, 'dib.config.ts'));
    t.true(isDibError(e));
    t.regex(e!.message, /^dib\.config\.ts: tapTimeout: must be (a number of seconds|a finite number of seconds|more than 0 seconds)$/);
  }
});
