/**
 * The command line generated from the settings and command tables, as a user meets it:
 * help for every command, `dib help CMD`, -V, every config problem at once, `dib config`,
 * `dib init --format json|yaml` with the shipped JSON Schema, shell completion really sourced.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { CLI, REPO, dib } from '../helpers/cli.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const COMMANDS = ['build', 'plan', 'config', 'element-info', 'packages', 'pkg-map', 'boot', 'doctor', 'init', 'new-element', 'completion', 'help'];

test('every command has --help in one style, the same as dib help CMD; -V and --version', async (t) => {
  const list = await dib(['help']);
  t.is(list.exitCode, 0);
  t.is(list.stdout, (await dib(['--help'])).stdout);
  const runs = await Promise.all(COMMANDS.map(async (c) => [c, await dib([c, '--help']), await dib(['help', c])] as const));
  for (const [c, a, b] of runs) {
    t.regex(list.stdout, new RegExp(`^  ${c} `, 'm'), c);
    t.is(a.exitCode, 0, `${c} --help: ${a.all}`);
    t.is(b.exitCode, 0, c);
    t.is(a.stdout, b.stdout, c);
    t.regex(a.stdout, new RegExp(`^Usage: dib ${c} `), c);
    t.regex(a.stdout, /^ {2}-h, --help +show this help$/m, c);
  }
  const build = (await dib(['build', '-h'])).stdout;
  for (const f of ['-t, --type TYPES', '-o, --output NAME', '-a, --arch ARCH', '-x, --trace', '-n, --skip-base', '-p, --packages PKGS', '-u, --uncompressed', '--mkfs-options OPTS', '-c, --clear-env']) t.true(build.includes(f), f);
  for (const v of [['-V'], ['--version'], ['build', '--version']]) t.regex((await dib(v)).stdout, /^dib \d+\.\d+\.\d+$/, v.join(' '));
  const bad = await dib(['help', 'biuld']);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /unknown command 'biuld' \(did you mean 'build'\?\)/);
});

test('a config with three problems: three lines (file, key path, problem, did-you-mean, fix), exit 2, no stack trace', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '.dibrc.yaml': 'elements: [busybox-root]\ntyps: [tar]\nimageSize: 4 parsecs\nenv:\n  DIB_RELEASE: bookworm\n  1X: "y"\n' });
  for (const cmd of ['build', 'plan', 'config', 'doctor']) {
    const r = await dib([cmd], { cwd: dir });
    t.is(r.exitCode, 2, cmd);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 3, `${cmd}: ${r.stderr}`);
    t.regex(lines[0]!, /^dib: error \[E_CONFIG_UNKNOWN_KEY\] \.dibrc\.yaml:2:1: typs: unknown key \(did you mean 'types'\?\); fix: rename it to 'types'$/);
    t.regex(lines[1]!, /^dib: error \[E_CONFIG_VALUE\] \.dibrc\.yaml:3:1: imageSize: '4 parsecs': unknown unit 'parsecs'.*; fix: write imageSize: '4GiB'$/);
    t.regex(lines[2]!, /^dib: error \[E_CONFIG_VALUE\] \.dibrc\.yaml:6:3: env\.1X: '1X' is not a valid variable name.*; fix: /);
    t.false(r.stderr.includes('    at '));
  }
  // the command line and the environment are checked with the file, all at once
  const mixed = await dib(['plan', '--image-size', '0', '-t', 'QCOW2'], { cwd: dir, env: { DIB_JOURNAL_SIZE: 'lots' } });
  t.is(mixed.exitCode, 2);
  t.deepEqual(
    mixed.stderr.trim().split('\n').map((l) => /\] ([^:]+(?::\d+:\d+)?): ([^:]+):/.exec(l)?.slice(1, 3).join(' ')),
    ['command line --type[0]', 'command line --image-size', 'environment DIB_JOURNAL_SIZE', '.dibrc.yaml:2:1 typs', '.dibrc.yaml:3:1 imageSize', '.dibrc.yaml:6:3 env.1X'],
  );
});

test('syntax errors keep their line and column; DIB options are refused with a reason or accepted with a note', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '.dibrc.yaml': 'elements: [busybox-root\ntypes: tar\n', 'c.json': '{"elements": ["busybox-root"], "types": ["tar"],}' });
  const y = await dib(['plan'], { cwd: dir });
  t.is(y.exitCode, 2);
  t.regex(y.stderr, /^dib: error \[E_CONFIG_SYNTAX\] \/.*\/\.dibrc\.yaml:2:1: \S.*\n  hint: fix the syntax of \.dibrc\.yaml at line 2$/);
  const j = await dib(['plan', '--config', 'c.json'], { cwd: dir });
  t.regex(j.stderr, /c\.json:1:49: trailing ',' before '\}'/);
  const docker = await dib(['build', '--docker-target', 'me/img:1', '-t', 'tar', 'busybox-root'], { cwd: dir });
  t.is(docker.exitCode, 2);
  t.regex(docker.stderr, /--docker-target is not supported: dib does not write docker images\n {2}hint: build -t tar and run: docker import NAME\.tar REPO:TAG/);
  const ramdisk = await dib(['build', '--ramdisk-element', 'dracut-ramdisk', 'busybox-root'], { cwd: dir });
  t.is(ramdisk.exitCode, 2);
  t.regex(ramdisk.stderr, /--ramdisk-element is not supported: dib has no ramdisk-image-create/);
  await fs.remove(path.join(dir, '.dibrc.yaml'));
  const tmpfs = await dib(['build', '-q', '--no-tmpfs', '--min-tmpfs', '4', '-o', 'n', '-t', 'tar', '--work-dir', path.join(dir, 'w'), 'busybox-root'], { cwd: dir });
  t.is(tmpfs.exitCode, 0, tmpfs.all);
  t.regex(tmpfs.stderr, /^dib: --no-tmpfs ignored: dib never builds in a tmpfs/m);
  t.regex(tmpfs.stderr, /^dib: --min-tmpfs ignored: dib never builds in a tmpfs/m);
  t.true(await fs.pathExists(path.join(dir, 'n.tar')));
});

test('dib config: every value with where it came from, the build variables, the element closure; --json', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'dib.config.ts': "import { defineConfig } from '@dib/core';\nexport default defineConfig(({ arch }) => ({ elements: ['busybox-root'], name: `tiny-${arch}`, types: ['raw', 'tar'], env: { DIB_RELEASE: 'bookworm' } }));\n" });
  const r = await dib(['config', '-a', 'arm64', '--mkfs-options', '-m 1'], { cwd: dir, env: { DIB_IMAGE_SIZE: '2', DIB_TEST_PASSWORD: 'hunter2', FS_TYPE: 'ext3' } });
  t.is(r.exitCode, 0, r.all);
  const out = r.stdout;
  t.regex(out, new RegExp(`^config file: ${path.join(dir, 'dib.config.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  t.regex(out, /^arch +arm64 +--arch$/m);
  t.regex(out, new RegExp(`^name +${dir.replace(/[/.]/g, '\\$&')}/tiny-arm64 +dib\\.config\\.ts$`, 'm'));
  t.regex(out, /^types +raw, tar +dib\.config\.ts$/m);
  t.regex(out, /^imageSize +2 GiB \(2147483648 bytes\) +DIB_IMAGE_SIZE$/m);
  t.regex(out, /^fsType +ext3 +FS_TYPE$/m);
  t.regex(out, /^mkfsOptions +-m 1 +--mkfs-options$/m);
  t.regex(out, /^installType +source +default$/m);
  t.regex(out, /^ {2}DIB_RELEASE=bookworm +dib\.config\.ts env$/m);
  t.regex(out, /^ {2}DIB_TEST_PASSWORD=\*\*\* +environment$/m);
  t.false(out.includes('hunter2'));
  t.regex(out, /^ {2}busybox-root +@dib\/element-busybox-root +\d+\.\d+\.\d+ +\/\S+\/plugins\/busybox-root$/m);
  t.regex(out, /^ {2}base +@dib\/element-base /m, 'implicit elements are in the closure');
  const j = await dib(['config', '--json', '-a', 'arm64'], { cwd: dir, env: { DIB_IMAGE_SIZE: '2' } });
  const report = JSON.parse(j.stdout) as {
    file: string;
    settings: Record<string, { value: unknown; from: string[] }>;
    env: Record<string, { value: string; from: string }>;
    elements: Array<{ name: string; package?: string; version?: string; dir: string; kind: string }>;
  };
  t.is(report.file, path.join(dir, 'dib.config.ts'));
  t.deepEqual(report.settings.imageSize, { value: 2 * 1024 ** 3, from: ['DIB_IMAGE_SIZE'] });
  t.deepEqual(report.settings.arch, { value: 'arm64', from: ['--arch'] });
  t.deepEqual(report.settings.rootLabel, { value: null, from: [] });
  t.deepEqual(report.env.DIB_RELEASE, { value: 'bookworm', from: 'dib.config.ts env' });
  const bb = report.elements.find((e) => e.name === 'busybox-root')!;
  t.like(bb, { package: '@dib/element-busybox-root', kind: 'package', dir: path.join(REPO, 'plugins', 'busybox-root') });
  t.is(bb.version, (await fs.readJson(path.join(REPO, 'plugins', 'busybox-root', 'package.json'))).version);
  // an element that is not found: the config still prints, the closure says why, exit 1
  const missing = await dib(['config', 'no-such-element'], { cwd: dir });
  t.is(missing.exitCode, 1);
  t.regex(missing.stdout, /^elements: cannot expand: \[E_ELEMENT_NOT_FOUND\]/m);
});

test('dib init --format json|yaml writes a config naming the shipped JSON Schema; $schema is accepted', async (t) => {
  const dir = await tmpDir();
  for (const [format, file] of [['json', '.dibrc.json'], ['yaml', '.dibrc.yaml']] as const) {
    const sub = path.join(dir, format);
    await fs.ensureDir(sub);
    const r = await dib(['init', '--format', format, '-t', 'tar', 'busybox-root'], { cwd: sub });
    t.is(r.exitCode, 0, r.all);
    const text = await fs.readFile(path.join(sub, file), 'utf8');
    const ref = format === 'json' ? (JSON.parse(text) as { $schema: string }).$schema : /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)![1]!;
    const schemaFile = path.resolve(sub, ref);
    t.is(schemaFile, path.join(REPO, 'core', 'schema.json'), format);
    const schema = (await fs.readJson(schemaFile)) as { properties: Record<string, unknown> };
    t.truthy(schema.properties.imageSize);
    const c = await dib(['config', '--json'], { cwd: sub });
    t.is(c.exitCode, 0, c.all);
    t.deepEqual((JSON.parse(c.stdout) as { settings: { types: { value: string[] } } }).settings.types.value, ['tar']);
    t.is((await dib(['init', '--format', format], { cwd: sub })).exitCode, 2, 'an existing file is not replaced without --force');
  }
  const bad = await dib(['init', '--format', 'toml'], { cwd: dir });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /--format toml is not ts, json or yaml/);
});

async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await execa('bash', ['--norc', '--noprofile', '-c', `source "$1"; complete -p dib >/dev/null || exit 9; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _dib; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script]);
  return r.stdout.split('\n').filter(Boolean);
}

test('dib completion bash: sourced in bash, it completes commands, options, values and element names', async (t) => {
  const dir = await tmpDir();
  const script = path.join(dir, 'dib.bash');
  const r = await dib(['completion', 'bash']);
  t.is(r.exitCode, 0);
  await fs.writeFile(script, r.stdout);
  t.deepEqual(await bashComplete(script, ['dib', 'bui']), ['build']);
  t.deepEqual(await bashComplete(script, ['dib', 'p']), ['plan', 'packages', 'pkg-map']);
  t.deepEqual(await bashComplete(script, ['dib', 'build', '--mkfs-j']), ['--mkfs-journal-size']);
  t.deepEqual(await bashComplete(script, ['dib', 'build', '--image-e']), ['--image-extra-size']);
  t.deepEqual(await bashComplete(script, ['dib', 'build', '-t', 'qcow2,t']), ['qcow2,tar', 'qcow2,tgz']);
  t.deepEqual(await bashComplete(script, ['dib', 'build', '--type', '=', 'ra']), ['raw']);
  t.deepEqual(await bashComplete(script, ['dib', 'build', '--image-size', '']), []);
  t.deepEqual(await bashComplete(script, ['dib', 'build', 'busybox-r']), ['busybox-root']);
  t.deepEqual(await bashComplete(script, ['dib', 'boot', '--firmware', '']), ['uefi', 'bios']);
  t.deepEqual(await bashComplete(script, ['dib', 'completion', '']), ['bash', 'zsh']);
  t.deepEqual(await bashComplete(script, ['dib', 'help', 'new']), ['new-element']);
  t.true((await bashComplete(script, ['dib', 'doctor', '--'])).includes('--no-kvm'));
  t.false((await bashComplete(script, ['dib', 'doctor', '--'])).includes('--image-size'), 'doctor takes only its settings');
  await fs.ensureDir(path.join(dir, 'elements', 'my-el'));
  const files = await execa('bash', ['--norc', '-c', `cd "$2"; source "$1"; COMP_WORDS=(dib build elements/m); COMP_CWORD=2; _dib; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script, dir]);
  t.deepEqual(files.stdout.split('\n'), ['elements/my-el']);
});

test('dib completion zsh: loaded by compinit in a real zsh, TAB completes commands, options and values', async (t) => {
  const zsh = await execa('zsh', ['--version'], { reject: false });
  if (zsh.exitCode !== 0) return t.fail('zsh is not installed (scripts/setup-host installs it)');
  const dir = await tmpDir();
  const script = path.join(dir, '_dib');
  await fs.writeFile(script, (await dib(['completion', 'zsh'])).stdout);
  t.is((await execa('zsh', ['-n', script], { reject: false })).exitCode, 0);
  const cases: Array<[string, string]> = [
    ['dib bui', 'dib build '],
    ['dib build --mkfs-j', 'dib build --mkfs-journal-size='],
    ['dib build -t qc', 'dib build -t qcow2'],
    ['dib boot --firmware bi', 'dib boot --firmware bios'],
    ['dib build busybox-r', 'dib build busybox-root'],
  ];
  // drive an interactive zsh through a pseudo-terminal (zsh/zpty): type, press TAB, clear the
  // line; then wait for a marker command's output, so zsh has handled every key before the next
  const marker = (i: number) => [`zpty -w z 'print -r -- $((7000+${i}))DONE'`, `zpty -r z chunk '*${7000 + i}DONE*' && print -rn -- "$chunk"`];
  const driver = [
    'zmodload zsh/zpty',
    `zpty -b z 'TERM=dumb zsh -f -i'`,
    `zpty -w z 'PS1="> "; autoload -Uz compinit; compinit -u -D; source ${script}; dib() { : }'`,
    ...marker(0),
    ...cases.flatMap(([input], i) => [`zpty -w -n z $'${input}\\t'`, `zpty -w -n z $'\\C-u'`, ...marker(i + 1)]),
    'zpty -d z',
  ].join('\n');
  await fs.writeFile(path.join(dir, 'driver.zsh'), driver);
  const r = await execa('zsh', ['-f', path.join(dir, 'driver.zsh')], { timeout: 60_000, reject: false });
  // eslint-disable-next-line no-control-regex
  const text = r.stdout.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/.\x08/g, '');
  for (const [input, want] of cases) t.true(text.includes(want), `'${input}<TAB>' did not complete to '${want}':\n${text}`);
});
