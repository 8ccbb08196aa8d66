import test from 'ava';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineElement, isDibError } from '@dib/core';
import pkgMapElement, { effectiveMap, familyOf, mapPackages, parsePkgMap, pkgMapMain, readElementPkgMap } from '@dib/element-pkg-map';
import { createHarness, dirElement, resolved } from './seed-harness.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/pkg-map/', import.meta.url));
const OVERLAY = join(FIXTURES, 'overlay.json');

async function main(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await pkgMapMain(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, { env });
  return { code, stdout, stderr };
}

test('families as DIB defines them', (t) => {
  for (const d of ['almalinux', 'fedora', 'rhel', 'centos', 'openeuler', 'rocky']) t.is(familyOf(d), 'redhat');
  t.is(familyOf('debian'), 'debian');
  t.is(familyOf('ubuntu'), 'debian');
  t.is(familyOf('opensuse'), 'suse');
  t.is(familyOf('gentoo'), 'gentoo');
  t.is(familyOf('arch'), undefined);
});

test('overlay: default → family → distro → release; 8-stream is 8', async (t) => {
  const map = parsePkgMap(await readFile(OVERLAY, 'utf8'), OVERLAY);
  t.deepEqual(Object.fromEntries(effectiveMap(map, 'debian', 'bookworm')), { web: 'apache2', editor: 'vim', dev: 'build-essential', multi: 'a b' });
  t.deepEqual(Object.fromEntries(effectiveMap(map, 'ubuntu', 'jammy')), { web: 'apache2', editor: 'vim-tiny', dev: 'build-essential', multi: 'a b' });
  t.deepEqual(Object.fromEntries(effectiveMap(map, 'ubuntu', 'noble')), { web: '', editor: 'vim-tiny', dev: 'build-essential', multi: 'a b' });
  t.deepEqual(Object.fromEntries(effectiveMap(map, 'centos', '8-stream')), { web: 'httpd', editor: 'vim-minimal', dev: 'gcc-toolset', multi: 'a b' });
  t.deepEqual(Object.fromEntries(effectiveMap(map, 'arch', undefined)), { web: 'httpd2', editor: 'vim', dev: 'build-base', multi: 'a b' });
});

test('mapPackages: "" drops, values split into packages, missingOk passes unknown names', async (t) => {
  const map = parsePkgMap(await readFile(OVERLAY, 'utf8'), OVERLAY);
  const r = mapPackages({ map, distro: 'ubuntu', release: 'noble', names: ['web', 'editor', 'multi', 'other'], missingOk: true });
  t.deepEqual(r.lines, ['vim-tiny', 'a b', 'other']);
  t.deepEqual(r.packages, ['vim-tiny', 'a', 'b', 'other']);
  t.deepEqual(r.dropped, ['web']);
  t.deepEqual(r.unmapped, ['other']);
  const e = t.throws(() => mapPackages({ map, distro: 'ubuntu', names: ['other'], source: 'element foo' }));
  t.true(isDibError(e));
  t.regex(e!.message, /element foo has no valid mapping for package other/);
  t.throws(() => mapPackages({ map: undefined, distro: 'debian', names: ['x'], source: 'element foo' }), { message: /required pkg-map for element foo does not exist/ });
  t.deepEqual(mapPackages({ map: undefined, distro: 'debian', names: ['x'], missingOk: true }).packages, ['x']);
});

test('validation names the element and key', (t) => {
  t.throws(() => parsePkgMap('[]', 'element e'), { message: /pkg-map of element e is not a JSON object/ });
  t.throws(() => parsePkgMap('{"family": {"debian": {"x": 1}}}', 'element e'), { message: /family\.debian\.x is not a string/ });
  t.throws(() => parsePkgMap('{ nope', 'file f'), { message: /unable to parse pkg-map file f/ });
});

test('cli: maps with --pkg-map, --prefix, --distro, --release', async (t) => {
  const r = await main(['--pkg-map', OVERLAY, '--distro', 'ubuntu', '--release', 'noble', '--prefix', '-', 'editor', 'web', 'multi']);
  t.is(r.code, 0);
  t.is(r.stdout, '-vim-tiny\n-a b\n');
  const env = await main([`--pkg-map=${OVERLAY}`, 'web'], { DISTRO_NAME: 'centos', DIB_RELEASE: '8-stream' });
  t.is(env.code, 0);
  t.is(env.stdout, 'httpd\n');
});

test('cli exit codes: 1 unmapped / bad args, 2 missing map, --missing-ok', async (t) => {
  const unmapped = await main(['--pkg-map', OVERLAY, '--distro', 'debian', 'web', 'nope', 'editor']);
  t.is(unmapped.code, 1);
  t.is(unmapped.stdout, 'apache2\n');
  t.regex(unmapped.stderr, /has no valid mapping for package nope/);
  t.is((await main(['--pkg-map', OVERLAY, '--distro', 'debian', '--missing-ok', 'nope'])).stdout, 'nope\n');
  t.is((await main(['--distro', 'debian', 'x'])).code, 1); // neither
  t.is((await main(['--element', 'e', '--pkg-map', OVERLAY, '--distro', 'debian', 'x'])).code, 1); // both
  t.is((await main(['--pkg-map', OVERLAY, 'x'])).code, 1); // no distro
  t.is((await main(['--pkg-map', join(FIXTURES, 'broken.json'), '--distro', 'debian', 'x'])).code, 1);
  const missing = await main(['--pkg-map', join(FIXTURES, 'absent'), '--distro', 'debian', 'x']);
  t.is(missing.code, 2);
  const missingOk = await main(['--pkg-map', join(FIXTURES, 'absent'), '--distro', 'debian', '--missing-ok', '--prefix', '-', 'x', 'y']);
  t.is(missingOk.code, 0);
  t.is(missingOk.stdout, '-x\n-y\n');
  t.is((await main(['--element', 'e', '--distro', 'debian', '--pkg-map'])).code, 1); // flag without value
});

test('cli --element reads DIB_PKG_MAP_DIR/<element> (or --pkg-map-dir), else /usr/share/pkg-map', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pkgmap-'));
  await writeFile(join(dir, 'myel'), JSON.stringify({ default: { foo: 'bar' } }));
  const r = await main(['--element', 'myel', '--debug', 'foo'], { DISTRO_NAME: 'debian', DIB_PKG_MAP_DIR: dir });
  t.is(r.code, 0);
  t.is(r.stdout, 'bar\n');
  t.regex(r.stderr, /map foo -> bar/);
  t.is((await main(['--element', 'myel', '--pkg-map-dir', dir, '--distro', 'debian', 'foo'])).stdout, 'bar\n');
  t.is((await main(['--element', 'surely-no-such-element-xyz', '--distro', 'debian', 'foo'])).code, 2);
});

test('readElementPkgMap: the field, else the pkg-map file, else none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pkgmap-el-'));
  await writeFile(join(dir, 'pkg-map'), JSON.stringify({ default: { a: 'b' } }));
  t.deepEqual(await readElementPkgMap(dirElement('d', dir)), { default: { a: 'b' } });
  t.deepEqual(await readElementPkgMap(resolved(defineElement({ name: 'f', pkgMap: { distro: { debian: { x: 'y' } } } }), dir)), { distro: { debian: { x: 'y' } } });
  t.is(await readElementPkgMap(dirElement('n', join(dir, 'none'))), undefined);
});

test('create-pkg-map-dir (extra-data 10) writes each element map to /usr/share/pkg-map/<element>', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pkgmap-tap-'));
  await mkdir(join(dir, 'legacy'));
  const fileText = '{"default": {"a": "b"}}\n';
  await writeFile(join(dir, 'legacy', 'pkg-map'), fileText);
  const h = await createHarness({
    elements: [
      resolved(pkgMapElement, dir),
      dirElement('legacy', join(dir, 'legacy')),
      resolved(defineElement({ name: 'field', pkgMap: { family: { debian: { x: 'y' } } } }), join(dir, 'nothing')),
    ],
  });
  t.deepEqual(
    h.taps('extraData').map((x) => [x.stage, x.name, x.element]),
    [[10, 'create-pkg-map-dir', 'pkg-map']],
  );
  await h.runPhase('extraData');
  t.is(await readFile(join(h.root, 'usr/share/pkg-map/legacy'), 'utf8'), fileText);
  t.deepEqual(JSON.parse(await readFile(join(h.root, 'usr/share/pkg-map/field'), 'utf8')), { family: { debian: { x: 'y' } } });
  // and the CLI reads them from there
  const r = await main(['--element', 'field', 'x'], { DISTRO_NAME: 'ubuntu', DIB_PKG_MAP_DIR: join(h.root, 'usr/share/pkg-map') });
  t.is(r.stdout, 'y\n');
});
