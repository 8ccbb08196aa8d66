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
import { RUN_PARTS_SHELL, compareRunParts, listFragments, listScripts, scriptInfo } from '#core/dib-elements/run-parts.js';
import { imageElementArrayFunction, previewFragments, writeElementListFiles } from '#core/dib-elements/env.js';
import { generateHooksTree } from '#core/dib-elements/hooks-tree.js';
import { parseInstallPackagesArgs } from '#core/dib-elements/install-packages.js';
import { readSourceRepositories } from '#core/dib-elements/source-repositories.js';
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
  const ok = await execa('bash', ['-c', RUN_PARTS_SHELL, 'dib-run-parts', path.join(dir, 'script'), ...frags]);
  t.is(ok.stdout, 'B=first-then-b HIDDEN=unset');
  const bad = await execa('bash', ['-c', RUN_PARTS_SHELL, 'dib-run-parts', path.join(dir, 'script'), path.join(dir, 'bad.d/20-unset')], { reject: false });
  t.not(bad.exitCode, 0);
  t.regex(bad.stderr, /NOT_SET_ANYWHERE: unbound variable/);
  t.regex(bad.stderr, /sourcing .*20-unset failed/);
  // the same wrapper works with a POSIX sh
  const sh = await execa('sh', ['-c', RUN_PARTS_SHELL, 'dib-run-parts', path.join(dir, 'script'), ...frags]);
  t.is(sh.stdout, 'B=first-then-b HIDDEN=unset');
  // the preview TypeScript elements see: exported variables that changed
  t.deepEqual(previewFragments(frags, { A: 'x' }), { A: 'first', B: 'first-then-b' });
});

test('get_image_element_array is an exported bash function usable with declare -A, reading the element list from a file', async (t) => {
  const dir = await fs.mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'dib-elarray-'));
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

test('a directory element: deps without built-in helpers, scripts as taps, install-type alternatives', async (t) => {
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
  t.deepEqual(el.deps, ['pkg-map', '#odd']);
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
