import test from 'ava';
import { DibError } from '@dib/core';
import { guardTap } from '#core/pipeline/tap-guard.js';
import { pendingWork, raceAbort, trackPending } from '#core/util/pending.js';
import type { TapInfo } from '@dib/core';

const info: TapInfo = { phase: 'install', name: 'stuck', stage: 50, element: 'el', kind: 'ts' };
const never = () => new Promise<never>(() => undefined);
const labels = () => pendingWork().map((w) => w.label);

test('a tap that settles passes through, value and error alike', async (t) => {
  t.is(await guardTap(Promise.resolve(4), info, { signal: new AbortController().signal, timeoutSeconds: 5 }), 4);
  await t.throwsAsync(guardTap(Promise.reject(new Error('x')), info, { timeoutSeconds: 5 }), { message: 'x' });
});

test('abort rejects a never-settling tap at once, with the abort reason', async (t) => {
  const ac = new AbortController();
  const p = guardTap(never(), { ...info, name: 'aborted' }, { signal: ac.signal });
  ac.abort(new DibError('E_INTERRUPTED', 'interrupted by SIGTERM', { exitCode: 143 }));
  const e = await t.throwsAsync(p);
  t.is((e as DibError).code, 'E_INTERRUPTED');
  t.is((e as DibError).exitCode, 143);
});

test('tapTimeout fails the tap naming phase, element and tap', async (t) => {
  const t0 = performance.now();
  const e = (await t.throwsAsync(guardTap(never(), info, { timeoutSeconds: 0.2 }))) as DibError;
  t.is(e.code, 'E_TAP_TIMEOUT');
  t.is(e.toLine(), '[E_TAP_TIMEOUT] install phase, element el, tap stuck: did not finish within 0.2 s (tapTimeout)');
  t.like(e, { phase: 'install', element: 'el', tap: 'stuck' });
  t.true(performance.now() - t0 < 2000);
});

test('a stall (E_STALLED abort) is reported about the pending tap; pending work is tracked while it runs', async (t) => {
  const ac = new AbortController();
  const p = guardTap(never(), { ...info, name: 'stalled' }, { signal: ac.signal });
  t.true(labels().includes('install phase, element el, tap stalled'));
  ac.abort(new DibError('E_STALLED', 'never finished'));
  const e = (await t.throwsAsync(p)) as DibError;
  t.is(e.code, 'E_STALLED');
  t.regex(e.toLine(), /^\[E_STALLED\] install phase, element el, tap stalled: its promise never settled/);
  t.false(labels().includes('install phase, element el, tap stalled'));
});

test('raceAbort and trackPending: pending while running, gone once settled; a plain abort is E_INTERRUPTED; a stall names the step', async (t) => {
  let done!: () => void;
  const p = trackPending({ label: 'outer' }, new Promise<void>((r) => (done = r)));
  t.true(labels().includes('outer'));
  done();
  await p;
  t.false(labels().includes('outer'));
  const ac = new AbortController();
  const q = raceAbort({ label: 'loading x' }, never(), ac.signal);
  ac.abort();
  t.is(((await t.throwsAsync(q)) as DibError).code, 'E_INTERRUPTED');
  const ac2 = new AbortController();
  const s = raceAbort({ label: 'loading the config x' }, never(), ac2.signal);
  ac2.abort(new DibError('E_STALLED', 'never finished'));
  t.is(((await t.throwsAsync(s)) as DibError).toLine(), '[E_STALLED] loading the config x: its promise never settled, and nothing else was left to run');
});
