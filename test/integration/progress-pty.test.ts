/**
 * The live status line on a real pseudo-terminal (util-linux `script` gives the build a pty),
 * and plain lines without escape codes through pipes and in the log file.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { CLI, dib, testEnv } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const ESC = '\x1b';
const CLEAR = '\r\x1b[2K';
const TS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \| /m;

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run dib on a pseudo-terminal 120 columns wide; returns everything the terminal received. */
async function dibOnPty(args: string[], cwd: string, env: Record<string, string> = {}) {
  const cmd = `stty cols 120 rows 40 2>/dev/null; exec node ${[CLI, ...args].map(sh).join(' ')}`;
  const r = await execa('script', ['-qfec', cmd, '/dev/null'], { cwd, reject: false, env: testEnv({ TERM: 'xterm', CI: '', DIB_PROGRESS: '', ...env }), stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, out: String(r.stdout).replace(/\r\n/g, '\n') };
}

/** The status lines drawn, in order (text after an erase, up to the next erase or newline). */
function statusLines(out: string): string[] {
  return out
    .split(CLEAR)
    .slice(1)
    .map((s) => s.split('\n')[0]!.split('\r')[0]!)
    .filter((s) => s.startsWith('dib '));
}

test('at a terminal: a live status line (phase, tap, elapsed, bar) above the scrolling log, then the summary', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dibOnPty(['build', '-o', 'img', '-t', 'tar', '--work-dir', work, 'busybox-root'], dir);
  t.is(r.exitCode, 0, r.out);
  const status = statusLines(r.out);
  t.true(status.length >= 10, `${status.length} status lines`);
  t.true(status.some((l) => /^dib \d+\.\ds \[1\/10\] root \| busybox-root: 10-busybox-root \| \[-+\] 0\/1 taps$/.test(l)), status.join('\n'));
  t.true(status.some((l) => /^dib \d+\.\ds \[4\/10\] install \| .+: \d\d-\S+ \| \[[#-]{10}\] \d\/\d+ taps$/.test(l)));
  t.true(status.some((l) => /^dib \d+\.\ds writing outputs \| \[[#-]+\] \d\/1 outputs$/.test(l)));
  t.true(status.every((l) => l.length <= 119), 'never wider than the terminal');
  // log lines are still there, whole and timestamped, each on a cleared line or after another line
  t.regex(r.out, new RegExp(`(\\x1b\\[2K|\\n)\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\| busybox-root: running root/10-busybox-root\\n`));
  // the status line is erased before the end: the summary follows a cleared line
  const end = r.out.slice(r.out.lastIndexOf(CLEAR) + CLEAR.length);
  t.false(end.startsWith('dib '), 'no status line left on screen');
  t.regex(end, /Build completed successfully/);
  t.regex(r.out, /Summary: build succeeded in \d+\.\ds\n {2}outputs:\n {4}\S+\/img\.tar {2}tar +\d+\.\d MiB\n {2}slowest taps:\n( {4} +\d+\.\d{3} s {2}\S+ \(\S+\)\n){5}/);
  t.false(r.out.slice(r.out.indexOf('Summary:')).includes(ESC), 'the summary is plain text');
});

test('-q at a terminal: only the status line, errors and the result', async (t) => {
  const dir = await tmpDir();
  const r = await dibOnPty(['build', '-q', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root'], dir);
  t.is(r.exitCode, 0, r.out);
  t.true(statusLines(r.out).length > 5);
  t.notRegex(r.out, /running root\/10-busybox-root/);
  t.notRegex(r.out, /Phase timings/);
  t.regex(r.out, /Build completed successfully/);
  t.regex(r.out, /Summary: build succeeded/);
  t.notRegex(r.out, /slowest taps/);
});

test('at a terminal with --logfile: the log file gets plain timestamped lines, no escape codes', async (t) => {
  const dir = await tmpDir();
  const r = await dibOnPty(['build', '-o', 'img', '-t', 'tar', '--logfile', 'build.log', '--work-dir', path.join(dir, 'work'), 'busybox-root'], dir);
  t.is(r.exitCode, 0, r.out);
  t.true(statusLines(r.out).length > 5);
  const log = await fs.readFile(path.join(dir, 'build.log'), 'utf8');
  t.false(log.includes(ESC));
  t.false(log.includes('\r'));
  t.regex(log, TS);
  t.regex(log, /busybox-root: running root\/10-busybox-root/);
});

test('without a terminal (pipes, CI): plain timestamped lines only, no escape codes, same summary', async (t) => {
  const dir = await tmpDir();
  const r = await dib(['build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root'], { cwd: dir, env: { TERM: 'xterm' } });
  t.is(r.exitCode, 0, r.all);
  t.false(r.all.includes(ESC));
  t.false(r.all.includes('\r'));
  t.regex(r.stderr, TS);
  t.regex(r.stderr, /Summary: build succeeded/);
  for (const l of r.stderr.split('\n').filter(Boolean)) {
    t.true(TS.test(l) || /^(Phase timings:|Summary:| {2})/.test(l), `unexpected line: ${l}`);
  }
});

test('a failure at a terminal: the status line is erased before the error', async (t) => {
  const dir = await tmpDir();
  const { fixtureElement } = await import('../helpers/cli.js');
  const r = await dibOnPty(['build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root', fixtureElement('fail-at')], dir, { DIB_TEST_FAIL_PHASE: 'install' });
  t.is(r.exitCode, 1, r.out);
  const errAt = r.out.indexOf('dib: error [E_TAP_FAILED]');
  t.true(errAt > 0);
  t.false(r.out.slice(errAt).includes(ESC), 'nothing is drawn after the error');
  t.regex(r.out, /Summary: build FAILED/);
});
