/**
 * Element resolution as Node resolves imports: an element's deps from its own package first,
 * then the project, then dib's install; the warnings for ambiguous and mismatched packages and
 * for two versions of one element in a build; "not found" naming who asked and the npm line.
 */
import test from 'ava';
import path from 'node:path';
import { resolveBuildElements, checkElementClosure, type ClosureConfig } from '#core/elements/closure.js';
import { ElementResolver } from '#core/elements/resolve.js';
import { fakeElementPackage, tmpDir, writeTree } from '../helpers/tmp.js';

function config(dir: string, elements: string[], extra: Partial<ClosureConfig> = {}): ClosureConfig {
  return { file: path.join(dir, 'dib.config.ts'), baseDir: dir, elements, elementsPath: [], arch: 'amd64', skipBase: true, ...extra };
}

/** greeter@0.2.0 needs motd ^0.2.0, which npm nested under it; the project has motd@0.1.0. */
async function nestedProject() {
  const dir = await tmpDir('dib-resolve-');
  const nm = path.join(dir, 'node_modules');
  await fakeElementPackage(nm, 'dib-element-motd', { name: 'motd' }, { version: '0.1.0' });
  const greeter = await fakeElementPackage(nm, 'dib-element-greeter', { name: 'greeter', deps: ['motd'] }, { version: '0.2.0' });
  const nested = await fakeElementPackage(path.join(greeter, 'node_modules'), 'dib-element-motd', { name: 'motd' }, { version: '0.2.0' });
  return { dir, nested };
}

test('a dep resolves from the package that declares it: the nested version serves its dependent', async (t) => {
  const { dir, nested } = await nestedProject();
  const warnings: string[] = [];
  const { elements } = await resolveBuildElements(config(dir, ['greeter']), { warn: (m) => warnings.push(m), requireOs: false });
  t.is(elements.find((e) => e.name === 'motd')!.dir, nested);
  t.deepEqual(warnings, []);
});

test('one element name resolving to two versions in a build: the first is used, with a warning naming both', async (t) => {
  const { dir, nested } = await nestedProject();
  const warnings: string[] = [];
  const { elements } = await resolveBuildElements(config(dir, ['greeter', 'motd']), { warn: (m) => warnings.push(m), requireOs: false });
  t.is(elements.find((e) => e.name === 'motd')!.dir, path.join(dir, 'node_modules', 'dib-element-motd'));
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /^element 'motd' resolves to two versions in this build: dib-element-motd@0\.1\.0 \(required by dib\.config\.ts\) and dib-element-motd@0\.2\.0 \(required by element greeter from dib-element-greeter@0\.2\.0, from /);
  t.true(warnings[0]!.includes(nested));
  t.regex(warnings[0]!, /using dib-element-motd@0\.1\.0 — install one version for both \(npm i -D dib-element-motd@0\.2\.0\)/);
});

test('two packages claiming one short name: a warning, and the unscoped one wins over scopes (then scopes by name)', async (t) => {
  const dir = await tmpDir('dib-resolve-');
  const nm = path.join(dir, 'node_modules');
  await fakeElementPackage(nm, '@beta/dib-element-motd', { name: 'motd' });
  await fakeElementPackage(nm, '@acme/dib-element-motd', { name: 'motd' });
  const warnings: string[] = [];
  const r = new ElementResolver({ baseDir: dir, elementsPath: [], warn: (m) => warnings.push(m) });
  t.is((await r.resolve('motd')).packageName, '@acme/dib-element-motd');
  t.deepEqual(warnings, [`two packages claim element 'motd' in ${nm}: @acme/dib-element-motd, @beta/dib-element-motd; using @acme/dib-element-motd — name the package in the element list ('@beta/dib-element-motd') to use another, or uninstall one`]);
  await fakeElementPackage(nm, 'dib-element-motd', { name: 'motd' });
  const again: string[] = [];
  const r2 = new ElementResolver({ baseDir: dir, elementsPath: [], warn: (m) => again.push(m) });
  t.is((await r2.resolve('motd')).packageName, 'dib-element-motd');
  t.regex(again[0]!, /claim element 'motd' in .*: dib-element-motd, @acme\/dib-element-motd, @beta\/dib-element-motd; using dib-element-motd/);
  // naming the package chooses it, silently
  const named: string[] = [];
  const r3 = new ElementResolver({ baseDir: dir, elementsPath: [], warn: (m) => named.push(m) });
  t.is((await r3.resolve('@beta/dib-element-motd')).name, 'motd');
  t.deepEqual(named, []);
});

test("a package whose element has another name is used under the element's name, with a warning", async (t) => {
  const dir = await tmpDir('dib-resolve-');
  await fakeElementPackage(path.join(dir, 'node_modules'), 'dib-element-motd', { name: 'banner' });
  const warnings: string[] = [];
  const r = new ElementResolver({ baseDir: dir, elementsPath: [], warn: (m) => warnings.push(m) });
  t.is((await r.resolve('motd')).name, 'banner');
  t.deepEqual(warnings, ["package dib-element-motd holds element 'banner', not 'motd' as its name says; the build knows it as 'banner' — rename the element or the package"]);
});

test("a package that is not an element never shadows a built-in of the same name (npm's 'base')", async (t) => {
  const dir = await tmpDir('dib-resolve-');
  await writeTree(path.join(dir, 'node_modules', 'base'), { 'package.json': JSON.stringify({ name: 'base', version: '3.0.0', main: 'index.js' }), 'index.js': 'module.exports = {}' });
  const r = new ElementResolver({ baseDir: dir, elementsPath: [] });
  t.is((await r.resolve('base')).packageName, '@dib/element-base');
});

test('an element package finds itself while it is developed (self-reference)', async (t) => {
  const dir = await tmpDir('dib-resolve-');
  const self = await fakeElementPackage(dir, 'dib-element-selfy', { name: 'selfy' });
  const r = new ElementResolver({ baseDir: self, elementsPath: [] });
  t.is((await r.resolve('selfy')).dir, self);
});

test('not found: who required it, where dib looked, and the npm line', async (t) => {
  const dir = await tmpDir('dib-resolve-');
  await fakeElementPackage(path.join(dir, 'node_modules'), 'dib-element-greeter', { name: 'greeter', deps: ['nothere'] }, { version: '0.2.0' });
  const e = await t.throwsAsync(resolveBuildElements(config(dir, ['greeter']), { requireOs: false }));
  t.is((e as unknown as { code: string }).code, 'E_ELEMENT_NOT_FOUND');
  t.is(e!.message, "Element 'nothere' (required by element greeter from dib-element-greeter@0.2.0) not found");
  t.regex((e as unknown as { hint: string }).hint, /^install it: npm i -D dib-element-nothere \(and dib-element-greeter should list dib-element-nothere in its package\.json dependencies\)/);
  t.regex((e as unknown as { details: string[] }).details[0]!, new RegExp(`^searched node_modules from ${path.join(dir, 'node_modules', 'dib-element-greeter')}, ${dir}, `));
  const cli = await t.throwsAsync(resolveBuildElements(config(dir, ['motd'], { elementsFrom: 'command line' }), { requireOs: false }));
  t.is(cli!.message, "Element 'motd' (named on the command line) not found");
  const cfg = await t.throwsAsync(resolveBuildElements(config(dir, ['motd']), { requireOs: false }));
  t.is(cfg!.message, "Element 'motd' (required by dib.config.ts) not found");
});

test('the closure check lists every missing element at once, with one npm line', async (t) => {
  const dir = await tmpDir('dib-resolve-');
  const nm = path.join(dir, 'node_modules');
  await fakeElementPackage(nm, 'dib-element-greeter', { name: 'greeter', deps: ['motd', 'figlet'] });
  const report = await checkElementClosure(config(dir, ['greeter', 'busybox-root', 'clock']));
  t.deepEqual(
    report.missing.map((m) => [m.name, m.requiredBy, m.package]),
    [
      ['clock', 'required by dib.config.ts', 'dib-element-clock'],
      ['motd', 'required by element greeter from dib-element-greeter@1.0.0', 'dib-element-motd'],
      ['figlet', 'required by element greeter from dib-element-greeter@1.0.0', 'dib-element-figlet'],
    ],
  );
  t.is(report.npmLine, 'npm i -D dib-element-clock dib-element-motd dib-element-figlet');
  t.true(report.elements.some((e) => e.name === 'busybox-root' && e.package === '@dib/element-busybox-root' && e.version === '0.1.0'));
});
