import test from 'ava';
import { AsyncSeriesWaterfallHook } from 'tapable';
import { createHooksRegistry, defineElement, isDibError, type Build, type PhaseContext } from '@dib/core';
import { createTestBuild } from '@dib/core/testing';
import { compareTaps } from '#core/pipeline/hooks.js';

/** An element that registers `taps` (name, stage) on extra-data in the given order. */
function tapping(name: string, taps: Array<[string, number]>, ran: string[]) {
  return defineElement({
    name,
    apply(build) {
      for (const [tap, stage] of taps) {
        build.hooks.extraData.tapPromise({ name: tap, stage }, async (c: PhaseContext) => {
          ran.push(`${c.element}:${c.tap}`);
        });
      }
    },
  });
}

test('taps run by (stage, name) whatever order elements register them in', async (t) => {
  const taps: Array<[string, number]> = [
    ['squash-package-install', 99],
    ['copy-apt-keys', 1],
    ['manifest-dir', 20],
    ['enable-install-types', 99],
    ['create-pkg-map-dir', 10],
    ['store-build-settings', 50],
  ];
  for (const order of [taps, [...taps].reverse()]) {
    const ran: string[] = [];
    // two elements (applied in name order), each registering half, in this order
    const b = await createTestBuild({ elements: [tapping('one', order.slice(0, 3), ran), tapping('two', order.slice(3), ran)] });
    await b.runPhase('extra-data');
    t.deepEqual(
      ran.map((r) => r.split(':')[1]),
      ['copy-apt-keys', 'create-pkg-map-dir', 'manifest-dir', 'store-build-settings', 'enable-install-types', 'squash-package-install'],
    );
    t.deepEqual(
      b.taps('extra-data').map((x) => `${x.stage} ${x.name}`),
      ['1 copy-apt-keys', '10 create-pkg-map-dir', '20 manifest-dir', '50 store-build-settings', '99 enable-install-types', '99 squash-package-install'],
    );
    await b.dispose();
  }
});

test('DIB scripts (kind script) interleave with TS taps of their stage by the name after the number', async (t) => {
  const el = defineElement({
    name: 'mixed',
    apply(build) {
      build.hooks.install.tapPromise({ name: '10-zz-script', stage: 10, kind: 'script' }, async () => {});
      build.hooks.install.tapPromise({ name: 'middle', stage: 10 }, async () => {});
      build.hooks.install.tapPromise({ name: '10-aa-script', stage: 10, kind: 'script' }, async () => {});
      build.hooks.install.tapPromise({ name: 'default-stage' }, async () => {});
    },
  });
  const b = await createTestBuild({ elements: [el] });
  t.deepEqual(
    b.taps('install').map((x) => `${x.stage} ${x.name} ${x.kind}`),
    ['10 10-aa-script script', '10 middle ts', '10 10-zz-script script', '50 default-stage ts'],
  );
  await b.dispose();
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

test('a throwing tap fails with phase, element and tap as fields; the message is kept', async (t) => {
  const el = defineElement({
    name: 'broken',
    apply(build) {
      build.hooks.install.tapPromise({ name: 'explode', stage: 20 }, async () => {
        throw new Error('boom');
      });
    },
  });
  const b = await createTestBuild({ elements: [el] });
  const events: string[] = [];
  b.build.bus.on((e) => {
    if (e.type === 'tap-start') events.push(`start ${e.element}/${e.tap}`);
    if (e.type === 'tap-end') events.push(`end ${e.element}/${e.tap} ${e.ok}`);
  });
  const e = await t.throwsAsync(b.runPhase('install'));
  t.true(isDibError(e));
  if (!isDibError(e)) return;
  t.is(e.code, 'E_TAP_FAILED');
  t.is(e.message, 'boom');
  t.deepEqual([e.phase, e.element, e.tap], ['install', 'broken', 'explode']);
  t.is(e.toLine(), '[E_TAP_FAILED] install phase, element broken, tap explode: boom');
  t.like(e.toJSON(), { code: 'E_TAP_FAILED', message: 'boom', phase: 'install', element: 'broken', tap: 'explode' });
  t.deepEqual(events, ['start broken/explode', 'end broken/explode false']);
  await b.dispose();
});

test('duplicate tap names in one phase are rejected, as DIB rejects duplicated hooks', async (t) => {
  const a = defineElement({ name: 'a', apply: (b) => b.hooks.install.tapPromise({ name: 'same', stage: 10 }, async () => {}) });
  const bEl = defineElement({
    name: 'b',
    apply(b) {
      // the same name in another phase is fine
      b.hooks.postInstall.tapPromise({ name: 'same', stage: 10 }, async () => {});
      b.hooks.install.tapPromise({ name: 'same', stage: 20 }, async () => {});
    },
  });
  const e = await t.throwsAsync(createTestBuild({ elements: [a, bEl] }));
  t.is((e as unknown as { code: string }).code, 'E_DUPLICATE_TAP');
  t.regex(e!.message, /install\/same \(elements a and b\)/);
});

test('install-type alternatives: only the selected one is listed and runs', async (t) => {
  const ran: string[] = [];
  const nova = defineElement({
    name: 'nova',
    apply(b) {
      // both named alike: an unselected alternative is no duplicate
      b.hooks.install.tapPromise({ name: 'nova-install', stage: 50, installType: 'source' }, async () => void ran.push('source'));
      b.hooks.install.tapPromise({ name: 'nova-install', stage: 50, installType: 'package' }, async () => void ran.push('package'));
    },
  });
  const b = await createTestBuild({ elements: [nova], env: { DIB_INSTALLTYPE_nova: 'package' } });
  t.deepEqual(b.taps('install').map((x) => `${x.name} ${x.installType}`), ['nova-install package']);
  await b.runPhase('install');
  t.deepEqual(ran, ['package']);
  await b.dispose();
});

test('sync and callback taps are supported too', async (t) => {
  const ran: string[] = [];
  const el = defineElement({
    name: 'e',
    apply(b) {
      b.hooks.root.tap({ name: 'b-sync', stage: 2 }, () => {
        ran.push('sync');
      });
      b.hooks.root.tapAsync({ name: 'a-cb', stage: 1 }, (_c: PhaseContext, cb: (e?: Error) => void) => {
        ran.push('cb');
        cb();
      });
    },
  });
  const b = await createTestBuild({ elements: [el] });
  await b.runPhase('root');
  t.deepEqual(ran, ['cb', 'sync']);
  await b.dispose();
});

test('taps must come from an element, and order by stage, not before', async (t) => {
  const sneaky = defineElement({ name: 'sneaky', apply: (b) => b.hooks.install.tapPromise({ name: 'x', before: 'y' }, async () => {}) });
  const e = await t.throwsAsync(createTestBuild({ elements: [sneaky] }));
  t.regex(e!.message, /sets 'before'/);
  const b = await createTestBuild({ elements: [defineElement({ name: 'ok' })] });
  // the build itself (not an element's view) has no element to attribute a tap to
  const raw = t.throws(() => b.build.hooks.install.tapPromise({ name: 'orphan' }, async () => {}));
  t.regex(raw!.message, /belongs to no element/);
  await b.dispose();
});

test('owned hooks: one family per build, shared by every element view, refused for a non-build', async (t) => {
  const getGreeterHooks = createHooksRegistry('greeter', () => Object.freeze({ banner: new AsyncSeriesWaterfallHook<[string]>(['banner']) }));
  const owner = defineElement({
    name: 'greeter',
    apply(build) {
      build.hooks.install.tapPromise({ name: 'greet' }, async (ctx) => {
        ctx.log.info(`banner: ${await getGreeterHooks(ctx.build).banner.promise('hello')}`);
      });
    },
  });
  const extender = defineElement({ name: 'loud', apply: (build: Build) => getGreeterHooks(build).banner.tap('loud', (s) => `${s}!`) });
  const b = await createTestBuild({ elements: [owner, extender] });
  await b.runPhase('install');
  t.true(b.logs.some((l) => l.scope === 'greeter' && l.message === 'banner: hello!'));
  t.is(getGreeterHooks(b.build.viewFor('greeter')), getGreeterHooks(b.build.viewFor('loud')));
  const other = await createTestBuild({ elements: [owner] });
  t.not(getGreeterHooks(other.build), getGreeterHooks(b.build));
  t.throws(() => getGreeterHooks({} as Build), { instanceOf: TypeError, message: /greeter hooks: expected a dib Build/ });
  await b.dispose();
  await other.dispose();
});
