/**
 * dib-run-parts' rules, the hooks tree, install-packages flags, source-repository parsing and
 * the interleaving of DIB scripts with TypeScript taps (pure logic and small temp trees).
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { isDibError, type ResolvedElement } from '@dib/core';
import { compareTaps } from '#core/pipeline/hooks.js';
import { RUN_SCRIPT_SHELL, SOURCE_FRAGMENTS_SHELL, compareRunParts, envDelta, listFragments, listScripts, parseEnv0, scriptInfo } from '#core/dib-elements/run-parts.js';
import { imageElementArrayFunction, previewFragments, writeElementListFiles } from '#core/dib-elements/env.js';
import { generateHooksTree } from '#core/dib-elements/hooks-tree.js';
import { parseInstallPackagesArgs } from '#core/dib-elements/install-packages.js';
import { readSourceRepositories } from '@dib/element-source-repositories';
import { scriptTaps } from '#core/dib-elements/element.js';
import { loadDirectoryElement } from '#core/elements/legacy.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const X = (text = '#!/bin/sh\n') => ({ text, mode: 0o755 });

test('scripts sort like sort -n: numeric prefix (none = 0), then bytes', (t) => {
  const names = ['100-last', '10-a', '9-b', '050-q', 'foo', '01-x', '99-z', '1-b', '_x'];
  t.deepEqual([...names].sort(compareRunParts), ['_x', 'foo', '01-x', '1-b', '9-b', '10-a', '050-q', '99-z', '100-last']);
  t.deepEqual(scriptInfo('01-copy-apt-keys'), { name: '01-copy-apt-keys', stage: 1, sortName: 'copy-apt-keys' });
  t.deepEqual(scriptInfo('foo'), { name: 'foo', stage: 0, sortName: 'foo' });
  t.deepEqual(scriptInfo('10_bar'), { name: '10_bar', stage: 10, sortName: 'bar' });
});

test('only dot-free, executable regular files (or links to them) run', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { '10-run': X(), '20-has.dot': X(), '30-plain': '#!/bin/sh\n', '05-target': X(), 'sub-source-install/40-x': X() });
  await fs.symlink('05-target', path.join(dir, '50-link'));
  await fs.symlink('missing', path.join(dir, '60-dangling'));
  const { scripts, skipped } = await listScripts(dir);
  t.deepEqual(scripts.map((s) => s.name), ['05-target', '10-run', '50-link']);
  t.deepEqual(skipped.map((s) => s.name).sort(), ['20-has.dot', '30-plain', '60-dangling']);
});

test('environment.d fragments are sourced bytewise, with set -u, and only exports reach the script', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'environment.d/10-a.bash': 'export A=first\nHIDDEN=yes\n',
    'environment.d/9-b': 'export B="${A}-then-b"\n',
    'environment.d/not:valid': 'exit 1\n',
    'script': X('#!/bin/sh\necho "B=$B HIDDEN=${HIDDEN:-unset}"\n'),
    'bad.d/20-unset': 'export C=$NOT_SET_ANYWHERE\n',
  });
  t.deepEqual(await listFragments(path.join(dir, 'environment.d')), ['10-a.bash', '9-b']);
  const frags = ['10-a.bash', '9-b'].map((f) => path.join(dir, 'environment.d', f));
  // sourced once, the exported changes kept; the script runs in the result
  const phase = async (shell: string, fragments: string[]) => {
    const before = path.join(dir, 'before');
    const after = path.join(dir, 'after');
    const src = await execa(shell, ['-c', SOURCE_FRAGMENTS_SHELL, 'dib-run-parts', before, after, ...fragments], { reject: false, env: { A: 'x', GONE: 'y' } });
    if (src.exitCode !== 0) return { src };
    const delta = envDelta(parseEnv0(await fs.readFile(before, 'utf8')), parseEnv0(await fs.readFile(after, 'utf8')));
    const run = await execa(shell, ['-c', RUN_SCRIPT_SHELL, 'dib-run-parts', path.join(dir, 'script')], { env: { A: 'x', GONE: 'y', ...delta } as Record<string, string> });
    return { src, delta, run };
  };
  const ok = await phase('bash', frags);
  t.deepEqual(ok.delta, { A: 'first', B: 'first-then-b' });
  t.is(ok.run!.stdout, 'B=first-then-b HIDDEN=unset');
  const bad = await phase('bash', [path.join(dir, 'bad.d/20-unset')]);
  t.not(bad.src.exitCode, 0);
  t.regex(bad.src.stderr, /NOT_SET_ANYWHERE: unbound variable/);
  t.regex(bad.src.stderr, /sourcing .*20-unset failed/);
  // the same shells work with a POSIX sh (busybox roots)
  const sh = await phase('sh', frags);
  t.is(sh.run!.stdout, 'B=first-then-b HIDDEN=unset');
  // an unset in a fragment reaches the scripts as unset
  await fs.outputFile(path.join(dir, 'unset.d/1-u'), 'unset GONE\n');
  t.deepEqual((await phase('bash', [path.join(dir, 'unset.d/1-u')])).delta, { GONE: undefined });
  // the preview TypeScript elements see: exported variables that changed
  t.deepEqual(previewFragments(frags, { A: 'x' }), { A: 'first', B: 'first-then-b' });
});

test('get_image_element_array is an exported bash function usable with declare -A, reading the element list from a file', async (t) => {
  const dir = await tmpDir('dib-elarray-');
  await writeElementListFiles(dir, [
    { name: 'b-el', dir: '/e/b' },
    { name: 'a-el', dir: '/e/a' },
  ]);
  const fn = imageElementArrayFunction(path.join(dir, 'image-element-array'));
  const r = await execa('bash', ['-c', 'eval declare -A a=($(get_image_element_array)); echo "${a[a-el]} ${a[b-el]} ${#a[@]}"'], {
    env: { 'BASH_FUNC_get_image_element_array%%': fn },
  });
  t.is(r.stdout, '/e/a /e/b 2');
});

test('DIB scripts interleave with TS taps by (stage, name without the number)', (t) => {
  const taps = [
    { stage: 55, name: 'zulu' },
    { stage: 20, name: '20-legacy', sortName: 'legacy' },
    { stage: 55, name: '55-mid', sortName: 'mid' },
    { stage: 20, name: 'alpha' },
    { stage: 20, name: 'zz' },
  ];
  t.deepEqual([...taps].sort(compareTaps).map((x) => x.name), ['alpha', '20-legacy', 'zz', '55-mid', 'zulu']);
});

test('hooks tree: subdirectories merge, top-level files copied, tests/ skipped, duplicate hooks rejected', async (t) => {
  const root = await tmpDir();
  await writeTree(root, {
    'a/install.d/10-a': X(),
    'a/install.d/x-source-install/20-x': X(),
    'a/static/etc/a.conf': 'a',
    'a/README.rst': 'a',
    'a/tests/t': 'no',
    'a/x.pyc': 'no',
    'b/install.d/11-b': X(),
    'b/install.d/x-source-install/21-y': X(),
    'b/static/etc/b.conf': 'b',
    'b/element-deps': 'a\n',
    'c/install.d/10-a': X(),
  });
  const el = (name: string): ResolvedElement => ({ name, dir: path.join(root, name), kind: 'directory', element: { name, contract: 1 } });
  const hooks = path.join(root, 'hooks');
  await generateHooksTree([el('a'), el('b')], hooks);
  const ls = async (p: string) => (await fs.readdir(path.join(hooks, p))).sort();
  t.deepEqual(await ls('install.d'), ['10-a', '11-b', 'x-source-install']);
  t.deepEqual(await ls('install.d/x-source-install'), ['20-x', '21-y']);
  t.deepEqual(await ls('static/etc'), ['a.conf', 'b.conf']);
  t.deepEqual(await ls('.'), ['README.rst', 'element-deps', 'install.d', 'static']);
  t.is((await fs.stat(path.join(hooks, 'install.d/10-a'))).mode & 0o777, 0o755);
  const err = await t.throwsAsync(generateHooksTree([el('a'), el('c')], path.join(root, 'hooks2')));
  t.true(isDibError(err));
  t.is(err!.message, 'There is a duplicated hook in your elements: install.d/10-a (elements a and c)');
});

test('a directory element: deps as written (helpers included, # is a name), scripts as taps, install-type alternatives', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'element-deps': 'pkg-map\n  source-repositories\n\n#odd\ninstall-static\n',
    'element-provides': 'operating-system\n',
    'root.d/10-r': X(),
    'install.d/20-i': X(),
    'install.d/foo-source-install/30-s': X(),
    'install.d/foo-package-install/30-p': X(),
    'finalise.d/90-f': X(),
  });
  const el = await loadDirectoryElement(dir, 'foo');
  t.deepEqual(el.deps, ['pkg-map', 'source-repositories', '#odd', 'install-static']);
  t.deepEqual(el.provides, ['operating-system']);
  const source = await scriptTaps(dir, () => 'source');
  t.deepEqual(source.map((s) => `${s.phase}:${s.stage}:${s.name}:${s.rel}`), ['root:10:10-r:root.d/10-r', 'install:20:20-i:install.d/20-i', 'install:30:30-s:install.d/foo-source-install/30-s', 'finalise:90:90-f:finalise.d/90-f']);
  const pkg = await scriptTaps(dir, (p) => (p === 'foo' ? 'package' : 'source'));
  t.true(pkg.some((s) => s.name === '30-p') && !pkg.some((s) => s.name === '30-s'));
});

test('install-packages flags as DIB: -u, -e, -m ELEMENT, packages', (t) => {
  t.deepEqual(parseInstallPackagesArgs(['-m', 'base', 'a', 'b c']), { upgrade: false, uninstall: false, element: 'base', packages: ['a', 'b', 'c'] });
  t.deepEqual(parseInstallPackagesArgs(['-e', 'x']), { upgrade: false, uninstall: true, packages: ['x'] });
  t.deepEqual(parseInstallPackagesArgs(['-u']), { upgrade: true, uninstall: false, packages: [] });
  t.deepEqual(parseInstallPackagesArgs([]), { upgrade: false, uninstall: false, packages: [] });
  t.throws(() => parseInstallPackagesArgs(['-z']), { message: /unknown option -z/ });
});

test('source-repository lines: variables expanded, comments skipped, DIB_REPO* overrides', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, {
    'source-repository-foo': '# comment\nfoo git /opt/foo ${BASE}/foo.git\n\nbar tar /opt/bar file:///x/bar.tgz sub\n',
    'source-repository-bad': '',
  });
  const repos = await readSourceRepositories(dir, { BASE: '/srv', DIB_REPOREF_foo: 'stable', DIB_REPOLOCATION_bar: '/y/bar.tgz' });
  t.deepEqual(
    repos.map((r) => [r.name, r.type, r.dest, r.location, r.ref]),
    [
      ['foo', 'git', '/opt/foo', '/srv/foo.git', 'stable'],
      ['bar', 'tar', '/opt/bar', '/y/bar.tgz', 'sub'],
    ],
  );
  await fs.writeFile(path.join(dir, 'source-repository-bad'), 'x svn /opt/x http://x\n');
  await t.throwsAsync(readSourceRepositories(dir, {}), { message: /unsupported repository type 'svn'/ });
});

test("DIB_GITREPOBASE as DIB's sed rewrites git locations (scheme and host, a ~user dropped, its slash kept)", async (t) => {
  const { rebaseGitLocation } = await import('@dib/element-source-repositories');
  t.is(rebaseGitLocation('https://opendev.org/openstack/nova.git', 'https://github.com/'), 'https://github.com/openstack/nova.git');
  t.is(rebaseGitLocation('git://host/~user/repo', 'https://m/'), 'https://m//repo');
  t.is(rebaseGitLocation('/local/repo', 'https://m/'), '/local/repo');
  const dir = await tmpDir();
  await writeTree(dir, { 'source-repository-x': 'a git /opt/a https://opendev.org/x/a.git\nb git /opt/b https://opendev.org/x/b.git\nc tar /opt/c https://opendev.org/x/c.tgz\n' });
  const repos = await readSourceRepositories(dir, { DIB_GITREPOBASE: 'https://mirror/', DIB_REPOLOCATION_b: 'https://other/b.git' });
  t.deepEqual(repos.map((r) => r.location), ['https://mirror/x/a.git', 'https://other/b.git', 'https://opendev.org/x/c.tgz']);
});
