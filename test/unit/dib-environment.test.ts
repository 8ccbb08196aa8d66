/**
 * DIB_ENV (the image's /etc/dib-manifests/dib_environment) holds the caller's DIB_* variables,
 * as DIB records them before anything runs, never the defaults elements add.
 */
import test from 'ava';
import { testConfig } from '@dib/core/testing';
import { defineElement, type ResolvedElement } from '@dib/core';
import { buildEnvironment } from '#core/pipeline/environment.js';

const el = (name: string, environment: ResolvedElement['element']['environment']): ResolvedElement => ({
  name,
  element: defineElement({ name, environment }),
  dir: `/e/${name}`,
  kind: 'package',
});

test("DIB_ENV records the caller's DIB_* only, not element defaults or dib's standard variables", (t) => {
  const config = testConfig({
    baseDir: '/',
    elements: ['a', 'b'],
    name: '/out/img',
    env: { DIB_RELEASE: 'bookworm', DIB_SITE: 'x"y', http_proxy: 'http://p:3128' },
    cacheDir: '/cache',
    checksum: true,
    workDir: '/tmp',
  });
  const elements = [el('a', { DIB_A_DEFAULT: '1' }), el('b', (env) => ({ DIB_B_FN: `${env.DIB_RELEASE}-fn` }))];
  const env = buildEnvironment({ config, elements, envOrder: elements, argv: ['build', 'a'] });
  // the build sees everything
  t.is(env.DIB_A_DEFAULT, '1');
  t.is(env.DIB_B_FN, 'bookworm-fn');
  t.is(env.DIB_CHECKSUM, '1');
  // DIB_ENV only what the caller set
  t.is(env.DIB_ENV, 'declare -x DIB_RELEASE="bookworm"\ndeclare -x DIB_SITE="x\\"y"');
});
