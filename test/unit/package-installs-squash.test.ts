import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { defineElement, isDibError } from '@dib/core';
import type { Env } from '@dib/core';
import { collectPackageRequests, formatSquashed, squashPackageInstalls, parseLegacyList, evaluateWhen } from '@dib/element-package-installs';
import { dirElement, resolved } from './seed-harness.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/package-installs/', import.meta.url));

const installTypeOf = (env: Env) => (el: string) => env[`DIB_INSTALLTYPE_${el.replace(/-/g, '_')}`] || env.DIB_DEFAULT_INSTALLTYPE || 'source';

interface Case {
  env: Env;
  error?: string;
}

for (const name of readdirSync(FIXTURES).sort()) {
  const dir = join(FIXTURES, name);
  test(`golden: ${name}`, async (t) => {
    const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
    const elements = readdirSync(join(dir, 'elements')).map((e) => dirElement(e, join(dir, 'elements', e)));
    const requests = await collectPackageRequests(elements);
    if (c.error) {
      const err = t.throws(() => squashPackageInstalls(requests, c.env, installTypeOf(c.env)));
      t.true(isDibError(err));
      t.is((err as { code?: string }).code, 'E_PACKAGE_INSTALLS');
      t.regex(err!.message, new RegExp(c.error));
      return;
    }
    // expected.json was produced by DIB's own package-installs-squash on the same files
    const expected = readFileSync(join(dir, 'expected.json'), 'utf8');
    t.is(formatSquashed(squashPackageInstalls(requests, c.env, installTypeOf(c.env))), expected);
    // whatever order the elements come in
    const reversed = await collectPackageRequests([...elements].reverse());
    t.is(formatSquashed(squashPackageInstalls(reversed, c.env, installTypeOf(c.env))), expected);
  });
}

test('golden fixtures exist for the tricky cases', (t) => {
  for (const c of ['install-uninstall', 'build-only', 'filters', 'alternatives', 'json-and-yaml', 'when-unset']) t.true(existsSync(join(FIXTURES, c, 'case.json')), c);
});

test('the packages field and files of an element are both read; result independent of element order', async (t) => {
  const a = resolved(
    defineElement({ name: 'zeta', packages: { curl: null, 'build-essential': { 'build-only': true }, nano: { uninstall: true } } }),
    '/nonexistent',
  );
  const b = resolved(defineElement({ name: 'alpha', packages: { nano: null, curl: { phase: 'pre-install.d' } } }), '/nonexistent');
  const env = { ARCH: 'amd64' };
  const one = formatSquashed(squashPackageInstalls(await collectPackageRequests([a, b]), env, () => 'source'));
  const two = formatSquashed(squashPackageInstalls(await collectPackageRequests([b, a]), env, () => 'source'));
  t.is(one, two);
  t.deepEqual(JSON.parse(one), {
    'install.d': {
      uninstall: [['build-essential', 'zeta']],
      install: [
        ['nano', 'alpha'],
        ['curl', 'zeta'],
        ['build-essential', 'zeta'],
      ],
    },
    'pre-install.d': { uninstall: [], install: [['curl', 'alpha']] },
  });
});

test('format: indent 1, no trailing newline, non-ASCII escaped as Python does', (t) => {
  t.is(formatSquashed({}), '{}');
  t.is(formatSquashed({ 'install.d': { install: [['pkg-é', 'el']] } }), '{\n "install.d": {\n  "install": [\n   [\n    "pkg-\\u00e9",\n    "el"\n   ]\n  ]\n }\n}');
});

test('errors name the element, file and package', (t) => {
  const env = { ARCH: 'amd64' };
  const bad = (packages: unknown) => () => squashPackageInstalls([{ name: 'el', sources: [{ source: 'packages field', packages }] }], env, () => 'source');
  t.throws(bad(['x']), { message: /element el: packages field is not a mapping/ });
  t.throws(bad({ foo: 'string' }), { message: /element el, packages field, package foo: parameters must be a mapping/ });
  t.throws(bad({ foo: { when: 'no operator' } }), { message: /package foo: malformed when/ });
  t.throws(bad({ foo: { when: 'UNSET_VAR=1' } }), { message: /package foo: when: the variable UNSET_VAR is not set/ });
  t.throws(bad({ foo: { arch: 'amd64', 'not-arch': 'arm64' } }), { message: /package foo: arch and not-arch given/ });
});

test('a when on an unset variable is not evaluated when an earlier filter drops the request', (t) => {
  const r = squashPackageInstalls([{ name: 'el', sources: [{ source: 'f', packages: { foo: { arch: 'arm64', when: 'UNSET=1' } } }] }], { ARCH: 'amd64' }, () => 'source');
  t.deepEqual(r, { 'install.d': { uninstall: [] } });
});

test('evaluateWhen', (t) => {
  const env = { A: 'x', B: '' };
  t.true(evaluateWhen('A=x', env, 'w'));
  t.false(evaluateWhen('A=y', env, 'w'));
  t.true(evaluateWhen('A != y', env, 'w'));
  t.true(evaluateWhen('B=', env, 'w'));
  t.false(evaluateWhen(['A=x', 'B!='], env, 'w'));
  t.true(evaluateWhen(undefined, env, 'w'));
});

test('deprecated package-installs-<element> lists', (t) => {
  t.deepEqual(parseLegacyList('# comment\nfoo\n\n-bar\n', 'el', 'f'), { element: 'el', file: 'f', install: ['foo', 'bar'], uninstall: ['bar'] });
});

test('squashPackageInstalls on resolved elements reads fields and files (as `dib packages` calls it)', async (t) => {
  const dir = join(FIXTURES, 'install-uninstall', 'elements');
  const elements = readdirSync(dir).map((e) => dirElement(e, join(dir, e)));
  const fromResolved = await squashPackageInstalls(elements, { ARCH: 'amd64' }, () => 'source');
  t.is(formatSquashed(fromResolved), readFileSync(join(FIXTURES, 'install-uninstall', 'expected.json'), 'utf8'));
});
