/**
 * The settings table drives validation, precedence and sources: every problem at once with
 * key paths, line numbers for JSON and YAML, no prototype lookups, function configs, DIB's
 * environment variables.
 */
import test from 'ava';
import path from 'node:path';
import { defineConfig, isDibError, type DibConfig, type ResolvedConfig } from '@dib/core';
import { resolveConfig, resolveConfigDetailed } from '#core/config/resolve.js';
import { checkConfig, validateConfig } from '#core/config/validate.js';
import { configDefaults, SETTINGS } from '#core/config/settings.js';
import type { ConfigProblem } from '#core/config/problems.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const none = {} as NodeJS.ProcessEnv;

async function problemsOf(p: Promise<unknown>): Promise<ConfigProblem[]> {
  try {
    await p;
  } catch (e) {
    if (isDibError(e) && Array.isArray((e as { problems?: unknown }).problems)) return [...(e as unknown as { problems: ConfigProblem[] }).problems];
    throw e;
  }
  throw new Error('no problems');
}

test('the config types come from the table: DibConfig needs elements, ResolvedConfig has every key', (t) => {
  const c: DibConfig = { elements: ['vm'], imageSize: '4GiB', mkfsJournalSize: 16, maxOnlineResize: 1000, qemuImgOptions: 'compat=1.1', types: ['qcow2'] };
  // @ts-expect-error: elements is required
  const noElements: DibConfig = { name: 'x' };
  // output types are open (an element may add one, checked once elements are applied), but names
  // @ts-expect-error: not an output type name
  const badType: DibConfig = { elements: [], types: [3] };
  const elementType: DibConfig = { elements: [], types: ['cpio'] };
  const fn = defineConfig(({ command, arch }) => ({ elements: [command, arch] }));
  const asyncFn = defineConfig(async () => ({ elements: ['x'] }));
  const r = {} as ResolvedConfig;
  const size: number | undefined = r.imageSize;
  const types: readonly string[] = r.types;
  t.truthy(c && noElements && badType && elementType && typeof fn === 'function' && typeof asyncFn === 'function' && (size === undefined || size > 0) && (types ?? true));
  // every key of the table is a config key (besides $schema) with a description and an example
  for (const [k, s] of Object.entries(SETTINGS)) {
    t.true(s.doc.length > 5, k);
    t.true(s.example.length > 0, k);
  }
  t.true(Object.isFrozen(configDefaults));
  t.deepEqual(configDefaults.types, ['qcow2']);
  t.is(configDefaults.fsType, 'ext4');
});

test('three problems in a file: three problems, each with file, key path, what is wrong, did-you-mean and a fix', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'dib.config.ts': `export default { elements: ['x'], typs: ['tar'], imageSize: '4 parsecs', env: { DIB_OK: 'y', '1X': 'n' } };\n` });
  const problems = await problemsOf(resolveConfig({ cwd: dir, processEnv: none }));
  t.is(problems.length, 3);
  t.like(problems[0], { code: 'E_CONFIG_UNKNOWN_KEY', where: 'dib.config.ts', path: 'typs', message: "unknown key (did you mean 'types'?)", fix: "rename it to 'types'" });
  t.like(problems[1], { code: 'E_CONFIG_VALUE', where: 'dib.config.ts', path: 'imageSize' });
  t.regex(problems[1]!.message, /'4 parsecs': unknown unit 'parsecs'/);
  t.regex(problems[1]!.fix, /imageSize: '4GiB'/);
  t.like(problems[2], { where: 'dib.config.ts', path: 'env.1X' });
  t.regex(problems[2]!.message, /not a valid variable name/);
});

test('YAML and JSON problems name the line and column of the key', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'a.yaml': '# yaml-language-server: $schema=./schema.json\nelements: [busybox-root]\ntypes: [qcow 2, tar]\ncheksum: true\n',
    'b.json': '{\n  "$schema": "./schema.json",\n  "elements": ["busybox-root"],\n  "arch": 3\n}\n',
    'package.json': '{\n  "name": "p",\n  "dib": {\n    "elements": ["x"],\n    "offline": "yes"\n  }\n}\n',
  });
  const a = await problemsOf(resolveConfig({ cwd: dir, configPath: 'a.yaml', processEnv: none }));
  t.deepEqual(
    a.map((p) => [p.where, p.path]),
    [
      ['a.yaml:3:9', 'types[0]'],
      ['a.yaml:4:1', 'cheksum'],
    ],
  );
  t.regex(a[0]!.message, /'qcow 2' is not an output type name/);
  const b = await problemsOf(resolveConfig({ cwd: dir, configPath: 'b.json', processEnv: none }));
  t.deepEqual(b.map((p) => [p.where, p.path, p.code]), [['b.json:4:3', 'arch', 'E_CONFIG_TYPE']]);
  const c = await problemsOf(resolveConfig({ cwd: dir, processEnv: none }));
  t.deepEqual(c.map((p) => [p.where, p.path]), [['package.json#dib:5:5', 'offline']]);
});

test('syntax errors keep their line and column (YAML, JSON, duplicate keys)', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'bad.yaml': 'elements: [x\ntypes: tar\n',
    'bad.json': '{\n  "elements": ["x"],\n  "types": [tar]\n}\n',
    'trailing.json': '{\n  "elements": ["x"],\n}\n',
    'dup.yaml': 'elements: [x]\nelements: [y]\n',
    '.dibrc': 'elements: [x]\n  bad: indent\n',
  });
  const cases: Array<[string, RegExp]> = [
    ['bad.yaml', /bad\.yaml:2:1: \S/],
    ['bad.json', /bad\.json:3:13: expected a value .*found 't'/],
    ['trailing.json', /trailing\.json:3:1: trailing ',' before '\}'/],
    ['dup.yaml', /dup\.yaml:2:1: .*[Uu]nique|dup\.yaml:2:1: .*duplicate/i],
    ['.dibrc', /\.dibrc:2:\d+: \S/],
  ];
  for (const [file, re] of cases) {
    const e = await t.throwsAsync(resolveConfig({ cwd: dir, configPath: file, processEnv: none }));
    t.is((e as unknown as { code: string }).code, 'E_CONFIG_SYNTAX', file);
    t.regex(e!.message, re, file);
    t.false(e!.message.includes('\n'), file);
    t.is((e as unknown as { exitCode: number }).exitCode, 2);
  }
});

test('__proto__ and constructor are unknown keys: never a crash, never pollution, prototype values ignored', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'p.json': '{"__proto__": {"types": ["raw"]}, "constructor": {"x": 1}, "elements": ["x"], "env": {"__proto__": "y", "constructor": "z"}}',
    'proto.mjs': "export default { __proto__: { types: ['raw'], offline: true }, elements: ['x'] };\n",
  });
  const p = await problemsOf(resolveConfig({ cwd: dir, configPath: 'p.json', processEnv: none }));
  t.deepEqual(
    p.map((x) => [x.path, x.code]),
    [
      ['__proto__', 'E_CONFIG_UNKNOWN_KEY'],
      ['constructor', 'E_CONFIG_UNKNOWN_KEY'],
      ['env.__proto__', 'E_CONFIG_VALUE'],
      ['env.constructor', 'E_CONFIG_VALUE'],
    ],
  );
  t.is(({} as Record<string, unknown>).types, undefined);
  t.is(Object.prototype.hasOwnProperty.call(Object.prototype, 'types'), false);
  // a JS config whose object has a prototype: only its own keys count
  const c = await resolveConfig({ cwd: dir, configPath: 'proto.mjs', processEnv: none });
  t.deepEqual(c.types, ['qcow2']);
  t.false(c.offline);
  // programmatic callers too
  const r = checkConfig(JSON.parse('{"elements":["x"],"toString":1,"hasOwnProperty":2}'), 'x.json');
  t.deepEqual(r.problems.map((x) => x.path), ['toString', 'hasOwnProperty']);
  // a null-prototype object is a config like any other
  const nul = Object.assign(Object.create(null) as object, { elements: ['x'] });
  t.deepEqual(validateConfig(nul, 'nul.json'), { elements: ['x'] });
});

test('precedence: command line > file key > environment > the file env map > default, with sources', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '.dibrc.json': JSON.stringify({ elements: ['x'], fsType: 'ext3', env: { DIB_IMAGE_SIZE: '2', DIB_JOURNAL_SIZE: '32', DIB_RELEASE: 'bookworm', DIB_A: 'file' } }) });
  const d = await resolveConfigDetailed({
    cwd: dir,
    overrides: { arch: 'arm64' },
    processEnv: { ARCH: 'ppc64el', FS_TYPE: 'ext2', DIB_JOURNAL_SIZE: '16', DIB_A: 'env', QEMU_IMG_OPTIONS: 'compat=0.10', MAX_ONLINE_RESIZE: '1000000', DIB_CHECKSUM: '1', TMP_DIR: 'tmpd' },
  });
  const c = d.config;
  t.is(c.arch, 'arm64');
  t.deepEqual(d.sources.arch, [{ kind: 'cli', label: '--arch' }]);
  t.is(c.fsType, 'ext3', 'the file key beats FS_TYPE');
  t.deepEqual(d.sources.fsType, [{ kind: 'file', label: '.dibrc.json' }]);
  t.is(c.mkfsJournalSize, 16 * 1024 ** 2, 'DIB_JOURNAL_SIZE from the environment beats the file env map');
  t.deepEqual(d.sources.mkfsJournalSize, [{ kind: 'env', label: 'DIB_JOURNAL_SIZE' }]);
  t.is(c.imageSize, 2 * 1024 ** 3, 'the file env map still counts');
  t.deepEqual(d.sources.imageSize, [{ kind: 'file-env', label: '.dibrc.json env.DIB_IMAGE_SIZE' }]);
  t.is(c.qemuImgOptions, 'compat=0.10');
  t.is(c.maxOnlineResize, 1000000);
  t.true(c.checksum);
  t.is(c.workDir, path.join(dir, 'tmpd'));
  t.is(c.installType, 'source');
  t.deepEqual(d.sources.installType, [{ kind: 'default', label: 'default' }]);
  t.is(c.env.DIB_A, 'env');
  t.is(d.envSources.DIB_A!.kind, 'env');
  t.is(c.env.DIB_RELEASE, 'bookworm');
  t.is(d.envSources.DIB_RELEASE!.label, '.dibrc.json env');
  t.deepEqual(d.sources.rootLabel, []);
});

test('environment variables are checked like file values and named in the problem', async (t) => {
  const dir = await tmpDir();
  const p = await problemsOf(
    resolveConfig({ cwd: dir, overrides: { elements: ['x'], types: ['qcow 9'] }, processEnv: { DIB_IMAGE_SIZE: 'big', DIB_CHECKSUM: 'maybe', MAX_ONLINE_RESIZE: '1.5', DIB_JOURNAL_SIZE: '1.5' } }),
  );
  t.deepEqual(
    p.map((x) => [x.where, x.path]),
    [
      ['command line', '--type[0]'],
      ['environment', 'DIB_IMAGE_SIZE'],
      ['environment', 'DIB_JOURNAL_SIZE'],
      ['environment', 'MAX_ONLINE_RESIZE'],
      ['environment', 'DIB_CHECKSUM'],
    ],
  );
  t.regex(p.find((x) => x.path === 'DIB_IMAGE_SIZE')!.fix, /export DIB_IMAGE_SIZE=4GiB/);
  t.regex(p.find((x) => x.path === 'DIB_CHECKSUM')!.message, /'maybe' is not 1, 0, md5 or sha256/);
  // DIB_CHECKSUM spellings of DIB 3.13 and later
  for (const [v, want] of [['1', true], ['0', false], ['md5', true], ['md5,sha256', true]] as const) {
    t.is((await resolveConfig({ cwd: dir, overrides: { elements: ['x'] }, processEnv: { DIB_CHECKSUM: v } })).checksum, want, v);
  }
});

test('function and async configs get the command and the architecture known before the file', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'dib.config.ts': `import { defineConfig } from '@dib/core';\nexport default defineConfig(({ command, arch }) => ({ elements: ['x'], name: \`img-\${command}-\${arch}\`, types: command === 'build' ? ['qcow2'] : ['tar'] }));\n`,
    'async.mjs': `export default Promise.resolve({ elements: ['y'], types: ['raw'] });\n`,
    'asyncfn.mjs': `export default async ({ arch }) => { await new Promise((r) => setTimeout(r, 5)); return { elements: [arch] }; };\n`,
    'throws.mjs': `export default () => { throw new Error('no network here'); };\n`,
    'bad.mjs': `export default () => ({ elements: ['x'], typs: [] });\n`,
  });
  const plan = await resolveConfig({ cwd: dir, processEnv: none, command: 'plan', overrides: { arch: 'arm64' } });
  t.is(path.basename(plan.name), 'img-plan-arm64');
  t.deepEqual(plan.types, ['tar']);
  const env = await resolveConfig({ cwd: dir, processEnv: { ARCH: 'ppc64el' }, command: 'build' });
  t.is(path.basename(env.name), 'img-build-ppc64el');
  t.deepEqual((await resolveConfig({ cwd: dir, configPath: 'async.mjs', processEnv: none })).types, ['raw']);
  t.deepEqual((await resolveConfig({ cwd: dir, configPath: 'asyncfn.mjs', processEnv: none, overrides: { arch: 's390x' } })).elements, ['s390x']);
  const e = await t.throwsAsync(resolveConfig({ cwd: dir, configPath: 'throws.mjs', processEnv: none }));
  t.regex(e!.message, /^throws\.mjs: the config function failed: no network here$/);
  t.is((e as unknown as { exitCode: number }).exitCode, 2);
  const bad = await problemsOf(resolveConfig({ cwd: dir, configPath: 'bad.mjs', processEnv: none }));
  t.deepEqual(bad.map((p) => p.path), ['typs']);
});

test('the block-device config is checked by the same validation, with the path-named messages of the disk layer', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    '.dibrc.json': JSON.stringify({
      elements: ['x'],
      typs: ['raw'],
      blockDevice: [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'mbr', partitions: [{ name: 'root', size: '100%', partitioning: {} }] } }],
    }),
  });
  const p = await problemsOf(resolveConfig({ cwd: dir, processEnv: none }));
  t.deepEqual(p.map((x) => [x.code, x.path]), [
    ['E_CONFIG_UNKNOWN_KEY', 'typs'],
    ['E_BLOCK_DEVICE_CONFIG', 'blockDevice[1].partitioning.partitions[0].partitioning'],
  ]);
  t.regex(p[1]!.message, /partitioning cannot be nested in a partition/);
  t.regex(p[1]!.where, /^\.dibrc\.json:1:\d+$/);
  const shape = checkConfig({ elements: ['x'], blockDevice: [{ local_loop: { name: 'a' }, mkfs: {} }] }, 'c.ts');
  t.deepEqual(shape.problems.map((x) => x.path), ['blockDevice[0]']);
  t.regex(shape.problems[0]!.message, /single-key map/);
});

test('command-line values are checked and named by their flag', async (t) => {
  const dir = await tmpDir();
  const p = await problemsOf(resolveConfig({ cwd: dir, overrides: { elements: ['x'], imageSize: 0, mkfsJournalSize: 1.5 }, overrideLabels: { imageSize: '--image-size' }, processEnv: none }));
  t.deepEqual(p.map((x) => [x.where, x.path]), [
    ['command line', '--image-size'],
    ['command line', '--mkfs-journal-size'],
  ]);
  t.regex(p[0]!.fix, /--image-size 4GiB/);
});
