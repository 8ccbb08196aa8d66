import test from 'ava';
import path from 'node:path';
import { ElementResolver } from '#core/elements/resolve.js';
import { fakeElementPackage, tmpDir, writeTree } from '../helpers/tmp.js';

async function project() {
  const dir = await tmpDir();
  const nm = path.join(dir, 'node_modules');
  await fakeElementPackage(nm, 'dib-element-foo', { name: 'foo', deps: ['bar'] });
  await fakeElementPackage(nm, '@acme/dib-element-scoped', { name: 'scoped' });
  await fakeElementPackage(nm, 'exact-pkg', { name: 'exact' });
  await fakeElementPackage(nm, 'dib-element-future', { name: 'future', contract: 99 });
  await writeTree(dir, {
    'local/mine/element-deps': 'foo\n\n  bar  \n',
    'local/mine/element-provides': 'operating-system\n',
    'els/debian-minimal/element-deps': 'x\n',
  });
  return dir;
}

test('resolution order: path, elementsPath dir, exact package, @dib/element-, dib-element-, @scope/dib-element-', async (t) => {
  const dir = await project();
  const r = new ElementResolver({ baseDir: dir, elementsPath: [path.join(dir, 'els')] });
  const mine = await r.resolve('./local/mine');
  t.is(mine.kind, 'directory');
  t.is(mine.name, 'mine');
  t.deepEqual(mine.element.deps, ['foo', 'bar']);
  t.deepEqual(mine.element.provides, ['operating-system']);
  const foo = await r.resolve('foo');
  t.is(foo.packageName, 'dib-element-foo');
  t.deepEqual(foo.element.deps, ['bar']);
  t.is((await r.resolve('scoped')).packageName, '@acme/dib-element-scoped');
  t.is((await r.resolve('exact-pkg')).name, 'exact');
  // a built-in, found from dib's own install
  const bb = await r.resolve('busybox-root');
  t.is(bb.packageName, '@dib/element-busybox-root');
  t.is(bb.kind, 'package');
  // elementsPath overrides a built-in of the same name, as ELEMENTS_PATH does in DIB
  const deb = await r.resolve('debian-minimal');
  t.is(deb.kind, 'directory');
  t.is(deb.dir, path.join(dir, 'els', 'debian-minimal'));
});

test('unknown element: did you mean', async (t) => {
  const dir = await project();
  const r = new ElementResolver({ baseDir: dir, elementsPath: [] });
  const e = await t.throwsAsync(r.resolve('debain-minimal'));
  t.is((e as unknown as { code: string }).code, 'E_ELEMENT_NOT_FOUND');
  t.is(e!.message, "Element 'debain-minimal' not found (did you mean 'debian-minimal'?)");
});

test('an element built for another contract version is refused with the fix', async (t) => {
  const dir = await project();
  const r = new ElementResolver({ baseDir: dir, elementsPath: [] });
  const e = await t.throwsAsync(r.resolve('future'));
  t.is((e as unknown as { code: string }).code, 'E_ELEMENT_CONTRACT');
  t.regex(e!.message, /contract 99; this dib implements contract 1/);
  t.regex((e as unknown as { hint: string }).hint, /upgrade dib/);
});

test('a non-directory elementsPath entry is an error naming it', async (t) => {
  const dir = await project();
  const r = new ElementResolver({ baseDir: dir, elementsPath: [path.join(dir, 'nope')] });
  const e = await t.throwsAsync(r.resolve('foo'));
  t.regex(e!.message, /elementsPath entry '.*nope' is not a directory/);
});

test("DIB's helper elements (install-static, source-repositories, cache-url, modprobe, ubuntu-common) are built-in packages", async (t) => {
  const dir = await project();
  const r = new ElementResolver({ baseDir: dir, elementsPath: [] });
  for (const name of ['install-static', 'source-repositories', 'cache-url', 'modprobe', 'ubuntu-common']) {
    const e = await r.resolve(name);
    t.is(e.name, name);
    t.is(e.packageName, `@dib/element-${name}`);
    t.is(e.kind, 'package');
  }
});
