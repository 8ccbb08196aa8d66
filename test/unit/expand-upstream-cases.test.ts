/**
 * Upstream's element-dependency cases (diskimage_builder/tests/test_elementdeps.py), replayed on
 * DIB element directories through dib's resolver and expansion: the same element tree (written
 * here), the same requests, the same results and errors.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { ElementResolver } from '#core/elements/resolve.js';
import { expandElements } from '#core/elements/expand.js';
import { tmpDir } from '../helpers/tmp.js';

interface Tree {
  dirs: string;
  base: string;
  override: string;
}

async function populate(dir: string, name: string, deps: string[] = [], provides: string[] = []): Promise<void> {
  await fs.outputFile(path.join(dir, name, 'element-deps'), deps.join('\n'));
  await fs.outputFile(path.join(dir, name, 'element-provides'), provides.join('\n'));
}

async function tree(): Promise<Tree> {
  const root = await tmpDir();
  const base = path.join(root, 'elements');
  const override = path.join(root, 'element-override');
  await populate(base, 'requires-foo', ['foo']);
  await populate(base, 'foo', [], ['operating-system']);
  await populate(base, 'requires-requires-foo', ['requires-foo']);
  await populate(base, 'self', ['self']);
  await populate(base, 'provides_virtual', [], ['virtual']);
  await populate(base, 'also_provides_virtual', [], ['virtual']);
  await populate(base, 'requires_virtual', ['virtual'], ['operating-system']);
  await populate(base, 'virtual', ['extra_dependency']);
  await populate(base, 'extra_dependency');
  await populate(base, 'circular1', ['circular2'], ['operating-system']);
  await populate(base, 'circular2', ['circular1']);
  await populate(base, 'provides_new_virtual', [], ['new_virtual', 'operating-system']);
  await populate(base, 'requires_new_virtual', ['new_virtual']);
  await populate(base, 'override_element');
  await populate(override, 'override_element');
  return { dirs: `${override}:${base}`, base, override };
}

async function expand(t: Tree, names: string[], extra: string[] = []) {
  const resolver = new ElementResolver({ baseDir: t.base, elementsPath: [...t.dirs.split(':'), ...extra] });
  const r = await expandElements(names, { resolve: (n) => resolver.resolve(n) });
  return r.elements.map((e) => [e.name, e.dir] as const);
}

const e = (t: Tree, n: string) => [n, path.join(t.base, n)] as const;

test('non-transitive and transitive deps, no deps, self, circular', async (t) => {
  const x = await tree();
  t.deepEqual(await expand(x, ['requires-foo']), [e(x, 'foo'), e(x, 'requires-foo')]);
  t.deepEqual(await expand(x, ['requires-requires-foo']), [e(x, 'foo'), e(x, 'requires-foo'), e(x, 'requires-requires-foo')]);
  t.deepEqual(await expand(x, ['foo']), [e(x, 'foo')]);
  t.deepEqual(await expand(x, ['self', 'foo']), [e(x, 'foo'), e(x, 'self')]);
  t.deepEqual(await expand(x, ['circular1']), [e(x, 'circular1'), e(x, 'circular2')]);
});

test('missing element, invalid ELEMENTS_PATH entry', async (t) => {
  const x = await tree();
  await t.throwsAsync(expand(x, ['fake']), { message: /Element 'fake' not found/ });
  await t.throwsAsync(expand(x, ['fake'], ['/not/a/dir']), { message: /elementsPath entry '\/not\/a\/dir' is not a directory/ });
});

test('provides: a virtual name satisfied, conflicts, ordering', async (t) => {
  const x = await tree();
  t.deepEqual(await expand(x, ['provides_virtual', 'requires_virtual']), [e(x, 'provides_virtual'), e(x, 'requires_virtual')]);
  await t.throwsAsync(expand(x, ['virtual', 'provides_virtual']), { message: /already provided/ });
  t.deepEqual(await expand(x, ['requires_new_virtual', 'provides_new_virtual']), [e(x, 'provides_new_virtual'), e(x, 'requires_new_virtual')]);
  await t.throwsAsync(expand(x, ['provides_virtual', 'also_provides_virtual']), { message: /virtual: already provided by \[provides_virtual\]/ });
});

test('no operating system; operating-system passed as an element is already provided', async (t) => {
  const x = await tree();
  await t.throwsAsync(expand(x, ['provides_virtual']), { message: 'Please include an operating system element' });
  await t.throwsAsync(expand(x, ['circular1', 'operating-system']), { message: /operating-system : already provided by \[circular1\]/ });
});

test('an earlier ELEMENTS_PATH entry overrides a later one', async (t) => {
  const x = await tree();
  t.deepEqual(await expand(x, ['override_element', 'foo']), [e(x, 'foo'), ['override_element', path.join(x.override, 'override_element')]]);
});
