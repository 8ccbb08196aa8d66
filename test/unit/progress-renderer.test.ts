/**
 * The live status line as a terminal receives it: driven by events on a fake stream with a
 * fake clock, then the summary, the apt counter and the TTY decision.
 */
import test from 'ava';
import { EventBus, type BuildEvent } from '#core/log/events.js';
import { CLEAR_LINE, ProgressRenderer, attachPackageProgress, bar, formatElapsed, summaryLines, wantsLiveProgress } from '#core/log/progress.js';
import { aptProgress } from '@dib/element-dpkg';

const T = '2026-01-01T00:00:00.000Z';

function setup(columns = 100) {
  let out = '';
  let ms = 0;
  const stream = { columns, write: (s: string) => void (out += s) };
  const r = new ProgressRenderer({ stream, clock: () => ms, tickMs: 0, coalesce: false });
  return {
    r,
    out: () => out,
    reset: () => void (out = ''),
    advance: (n: number) => void (ms += n),
    /** what the terminal shows on its last line: text after the last carriage return / erase */
    screenLast: () => out.split(CLEAR_LINE).at(-1)!.split('\r').at(-1)!,
  };
}

const start: BuildEvent = { type: 'build-start', time: T, name: '/x/img', elements: ['busybox-root'], types: ['tar', 'raw'] };

test('nothing is drawn before the build starts', (t) => {
  const s = setup();
  s.r.log('a line');
  t.is(s.out(), 'a line\n');
  t.is(s.r.statusLine(), '');
});

test('the status line shows phase, element and tap, taps done in the phase, and elapsed time', (t) => {
  const s = setup();
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'root', taps: 1 });
  s.advance(1500);
  s.r.handle({ type: 'phase-end', time: T, phase: 'root', seconds: 1, cached: false });
  s.r.handle({ type: 'phase-start', time: T, phase: 'extra-data', taps: 4 });
  s.r.handle({ type: 'tap-start', time: T, phase: 'extra-data', element: 'pkg-map', tap: 'create-pkg-map-dir', stage: 10 });
  t.is(s.r.statusLine(), 'dib 1.5s [2/10] extra-data | pkg-map: 10-create-pkg-map-dir | [----------] 0/4 taps');
  s.r.handle({ type: 'tap-end', time: T, phase: 'extra-data', element: 'pkg-map', tap: 'create-pkg-map-dir', stage: 10, seconds: 0.1, ok: true });
  s.advance(63_000);
  t.is(s.r.statusLine(), 'dib 1m04s [2/10] extra-data | [###-------] 1/4 taps');
  // what a terminal shows last is the status line, drawn after erasing the line
  t.is(s.screenLast(), 'dib 1.5s [2/10] extra-data | [###-------] 1/4 taps');
  t.true(s.out().includes(`${CLEAR_LINE}dib 1.5s [2/10] extra-data | pkg-map: 10-create-pkg-map-dir`));
});

test('a log line erases the status line, is written whole, and the status comes back below it', (t) => {
  const s = setup();
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'install', taps: 2 });
  s.reset();
  s.r.log('2026-01-01 00:00:00.000 | base: hello');
  t.is(s.out(), `${CLEAR_LINE}2026-01-01 00:00:00.000 | base: hello\n${CLEAR_LINE}dib 0.0s [1/10] install | [----------] 0/2 taps`);
});

test('a progress event with a total shows a bar and percentage; without one, the label', (t) => {
  const s = setup(140);
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'install', taps: 1 });
  s.r.handle({ type: 'tap-start', time: T, phase: 'install', element: 'package-installs', tap: 'package-installs', stage: 1 });
  s.r.handle({ type: 'progress', time: T, label: 'apt: downloading', done: 5, total: 20, unit: 'packages' });
  t.regex(s.r.statusLine(), /\| package-installs: 01-package-installs \| \[#####---------------\] {2}25% apt: downloading 5\/20 packages$/);
  s.r.handle({ type: 'progress', time: T, label: 'apt: downloading', done: 20, total: 20, unit: 'packages' });
  t.notRegex(s.r.statusLine(), /apt/, 'a finished progress goes away');
  s.r.handle({ type: 'progress', time: T, label: 'assembling disk image', done: 0 });
  t.regex(s.r.statusLine(), /assembling disk image…$/);
});

test('after the phases, the status counts outputs written', (t) => {
  const s = setup();
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'cleanup', taps: 1 });
  s.r.handle({ type: 'phase-end', time: T, phase: 'cleanup', seconds: 0, cached: false });
  t.regex(s.r.statusLine(), /writing outputs \| \[----------\] 0\/2 outputs$/);
  s.r.handle({ type: 'output', time: T, path: '/x/img.tar', format: 'tar', bytes: 10 });
  t.regex(s.r.statusLine(), /\[#####-----\] 1\/2 outputs$/);
});

test('the status line never wraps: the running tap is shortened to the terminal width', (t) => {
  const s = setup(72);
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'extra-data', taps: 5 });
  s.r.handle({ type: 'tap-start', time: T, phase: 'extra-data', element: 'package-installs', tap: 'squash-package-install', stage: 99 });
  const line = s.r.statusLine();
  t.true(line.length <= 71, line);
  t.regex(line, /^dib 0\.0s \[1\/10\] extra-data \| package-ins.*… \| \[----------\] 0\/5 taps$/);
});

test('the result erases the status line; close() stops drawing and later lines are plain', (t) => {
  const s = setup();
  s.r.handle(start);
  s.r.handle({ type: 'phase-start', time: T, phase: 'root', taps: 1 });
  s.reset();
  s.r.handle({ type: 'result', time: T, ok: true, seconds: 1 });
  t.is(s.out(), CLEAR_LINE);
  s.r.close();
  s.reset();
  s.r.log('Summary');
  s.r.redraw();
  t.is(s.out(), 'Summary\n');
});

test('coalescing draws the status once per burst of lines', async (t) => {
  let out = '';
  const r = new ProgressRenderer({ stream: { write: (x: string) => void (out += x) }, clock: () => 0, tickMs: 0 });
  r.handle(start);
  r.handle({ type: 'phase-start', time: T, phase: 'root', taps: 1 });
  for (let i = 0; i < 50; i++) r.log(`line ${i}`);
  await new Promise((res) => setImmediate(res));
  t.is(out.split('dib 0.0s').length - 1, 1);
  t.true(out.endsWith(`line 49\n${CLEAR_LINE}dib 0.0s [1/10] root | [----------] 0/1 taps`));
  r.close();
});

test('apt output lines (read by the Debian OS elements\' reader) become progress events with a total', (t) => {
  const bus = new EventBus();
  const seen: BuildEvent[] = [];
  attachPackageProgress(bus, aptProgress());
  bus.on((e) => void (e.type === 'progress' && seen.push(e)));
  const log = (message: string) => bus.emit({ type: 'log', time: T, level: 'info', scope: 'package-installs', message });
  log('0 upgraded, 3 newly installed, 0 to remove and 0 not upgraded.');
  log('Get:1 http://deb.debian.org/debian bookworm/main amd64 a 1 [1 kB]');
  log('Get:2 http://deb.debian.org/debian bookworm/main amd64 b 1 [1 kB]');
  log('Setting up a (1) ...');
  t.deepEqual(
    seen.map((e) => (e.type === 'progress' ? [e.label, e.done, e.total, e.unit] : [])),
    [
      ['apt: downloading', 1, 3, 'packages'],
      ['apt: downloading', 2, 3, 'packages'],
      ['apt: installing', 1, 3, 'packages'],
    ],
  );
  log('Get:9 unrelated line after apt finished');
  t.is(seen.length, 4, 'still counting until every package is set up');
});

test('summary: outputs with sizes, total time, the five slowest taps', (t) => {
  const taps = [0.5, 3, 0.1, 2, 7, 0.2, 1].map((s, i) => ({ phase: 'install', element: `e${i}`, name: `t${i}`, stage: i, seconds: s }));
  const lines = summaryLines({ ok: true, seconds: 75.2, outputs: [{ path: '/o/img.qcow2', format: 'qcow2', bytes: 300 * 1024 * 1024 }], taps });
  t.is(lines[0], 'Summary: build succeeded in 1m15s');
  t.regex(lines[2]!, /^ {4}\/o\/img\.qcow2 {2}qcow2 +300\.0 MiB$/);
  t.is(lines[3], '  slowest taps:');
  t.deepEqual(lines.slice(4).map((l) => l.trim().split(' ').at(-1)), ['(e4)', '(e1)', '(e3)', '(e6)', '(e0)']);
  t.is(lines.length, 9);
  t.deepEqual(summaryLines({ ok: false, seconds: 2, outputs: [], taps, slowest: 0 }), ['Summary: build FAILED in 2.0s']);
});

test('helpers: bar, elapsed, and when to draw live', (t) => {
  t.is(bar(1, 4, 8), '[##------]');
  t.is(bar(9, 4, 4), '[####]');
  t.is(formatElapsed(59_900), '59.9s');
  t.is(formatElapsed(3_725_000), '1h02m');
  t.true(wantsLiveProgress({ isTTY: true }, { TERM: 'xterm' }));
  t.false(wantsLiveProgress({ isTTY: false }, { TERM: 'xterm' }));
  t.false(wantsLiveProgress({ isTTY: true }, { TERM: 'dumb' }));
  t.false(wantsLiveProgress({ isTTY: true }, { TERM: 'xterm', CI: 'true' }));
  t.false(wantsLiveProgress({ isTTY: true }, { DIB_PROGRESS: '0' }));
  t.true(wantsLiveProgress({ isTTY: false }, { DIB_PROGRESS: '1' }));
});
