import test from 'ava';
import { createPhaseHooks, listTaps, compareTaps, type HookHost } from '#core/pipeline/hooks.js';
import type { PhaseContext } from '@dib/core';

function host(current: { el?: string }, types: Record<string, string> = {}): HookHost & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    currentElement: () => current.el,
    installTypeOf: (el) => types[el] ?? 'source',
    contextFor: (ctx, element, tap) => ({ ...ctx, element, tap }),
    onTapStart: (i) => events.push(`start ${i.element}/${i.name}`),
    onTapEnd: (i, _s, ok) => events.push(`end ${i.element}/${i.name} ${ok}`),
  };
}

const ctx = { phase: 'extra-data' } as unknown as PhaseContext;

test('taps run by (stage, name) whatever order elements register them in', async (t) => {
  for (const order of [
    ['install-types', 'package-installs', 'base', 'manifests', 'pkg-map', 'dpkg'],
    ['dpkg', 'pkg-map', 'manifests', 'base', 'install-types', 'package-installs'],
  ]) {
    const cur: { el?: string } = {};
    const h = host(cur);
    const hooks = createPhaseHooks(h);
    const ran: string[] = [];
    const taps: Record<string, [string, number]> = {
      dpkg: ['copy-apt-keys', 1],
      'pkg-map': ['create-pkg-map-dir', 10],
      manifests: ['manifest-dir', 20],
      base: ['store-build-settings', 50],
      'install-types': ['enable-install-types', 99],
      'package-installs': ['squash-package-install', 99],
    };
    for (const el of order) {
      cur.el = el;
      const [name, stage] = taps[el]!;
      hooks.extraData.tapPromise({ name, stage } as never, async (c: PhaseContext) => {
        ran.push(`${c.element}:${c.tap}`);
      });
    }
    cur.el = undefined;
    await hooks.extraData.promise(ctx);
    t.deepEqual(ran, [
      'dpkg:copy-apt-keys',
      'pkg-map:create-pkg-map-dir',
      'manifests:manifest-dir',
      'base:store-build-settings',
      'install-types:enable-install-types',
      'package-installs:squash-package-install',
    ]);
    t.deepEqual(
      listTaps(hooks).map((x) => `${x.stage} ${x.name} ${x.element}`),
      ['1 copy-apt-keys dpkg', '10 create-pkg-map-dir pkg-map', '20 manifest-dir manifests', '50 store-build-settings base', '99 enable-install-types install-types', '99 squash-package-install package-installs'],
    );
  }
});

test('compareTaps: numeric stage then bytewise name', (t) => {
  const list = [
    { stage: 10, name: 'a' },
    { stage: 9, name: 'b' },
    { stage: 100, name: 'last' },
    { stage: 0, name: 'foo' },
    { stage: 0, name: '_x' },
    { stage: 1, name: 'x' },
    { stage: 1, name: 'b' },
  ].sort(compareTaps);
  t.deepEqual(list.map((x) => `${x.stage}-${x.name}`), ['0-_x', '0-foo', '1-b', '1-x', '9-b', '10-a', '100-last']);
});

test('a throwing tap fails with phase, element and tap named', async (t) => {
  const cur: { el?: string } = { el: 'broken' };
  const h = host(cur);
  const hooks = createPhaseHooks(h);
  hooks.install.tapPromise({ name: 'explode', stage: 20 } as never, async () => {
    throw new Error('boom');
  });
  const e = await t.throwsAsync(hooks.install.promise({ phase: 'install' } as unknown as PhaseContext));
  t.is((e as unknown as { code: string }).code, 'E_TAP_FAILED');
  t.is(e!.message, 'install phase, element broken, tap explode: boom');
  t.deepEqual(h.events, ['start broken/explode', 'end broken/explode false']);
});

test('duplicate tap names in one phase are rejected, as DIB rejects duplicated hooks', (t) => {
  const cur: { el?: string } = { el: 'a' };
  const hooks = createPhaseHooks(host(cur));
  hooks.install.tapPromise({ name: 'same', stage: 10 } as never, async () => {});
  cur.el = 'b';
  const e = t.throws(() => hooks.install.tapPromise({ name: 'same', stage: 20 } as never, async () => {}));
  t.is((e as unknown as { code: string }).code, 'E_DUPLICATE_TAP');
  t.regex(e!.message, /install\/same \(elements a and b\)/);
  // the same name in another phase is fine
  hooks.postInstall.tapPromise({ name: 'same', stage: 10 } as never, async () => {});
  t.is(hooks.postInstall.taps.length, 1);
});

test('install-type alternatives: only the selected one is registered', async (t) => {
  const cur: { el?: string } = { el: 'nova' };
  const hooks = createPhaseHooks(host(cur, { nova: 'package' }));
  hooks.install.tapPromise({ name: 'nova-source', stage: 50, installType: 'source' } as never, async () => {});
  hooks.install.tapPromise({ name: 'nova-package', stage: 50, installType: 'package' } as never, async () => {});
  t.deepEqual(listTaps(hooks).map((x) => x.name), ['nova-package']);
});

test('sync and callback taps are supported too', async (t) => {
  const cur: { el?: string } = { el: 'e' };
  const hooks = createPhaseHooks(host(cur));
  const ran: string[] = [];
  hooks.root.tap({ name: 'b-sync', stage: 2 } as never, () => {
    ran.push('sync');
  });
  hooks.root.tapAsync({ name: 'a-cb', stage: 1 } as never, (_c: PhaseContext, cb: (e?: Error) => void) => {
    ran.push('cb');
    cb();
  });
  await hooks.root.promise(ctx);
  t.deepEqual(ran, ['cb', 'sync']);
});
