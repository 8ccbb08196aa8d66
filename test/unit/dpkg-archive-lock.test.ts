import test from 'ava';
import type { PhaseContext } from '@dib/core';
import { DirCache } from '#core/cache/cache.js';
import { withAptArchiveLock } from '@dib/element-dpkg';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('apt runs that share the archive cache are serialised; different distros or no shared cache are not', async (t) => {
  const cache = new DirCache(await tmpDir(), false);
  const ctx = (env: Record<string, string>) => ({ env, cache }) as unknown as PhaseContext;
  const events: string[] = [];
  const job = (name: string, env: Record<string, string>) =>
    withAptArchiveLock(ctx(env), async () => {
      events.push(`start ${name}`);
      await sleep(150);
      events.push(`end ${name}`);
    });
  await Promise.all([job('a', { DISTRO_NAME: 'debian' }), job('b', { DISTRO_NAME: 'debian' })]);
  t.deepEqual(events, ['start a', 'end a', 'start b', 'end b']);

  events.length = 0;
  await Promise.all([job('c', { DISTRO_NAME: 'debian' }), job('d', { DISTRO_NAME: 'ubuntu' }), job('e', { DISTRO_NAME: 'debian', DIB_APT_LOCAL_CACHE: '0' })]);
  t.deepEqual(events.slice(0, 3).sort(), ['start c', 'start d', 'start e']);
});
