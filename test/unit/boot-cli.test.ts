import test from 'ava';
import { Writable } from 'node:stream';
import type { DibError } from '@dib/core';
import { bootCommand, describeBootResult, parseBootArgs } from '#core/cli/boot.js';
import type { BootOptions, BootResult } from '#core/boot/index.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, get text() {
    return text;
  } };
}

test('defaults: uefi, 600 s, 1024 MiB, auto accel; image made absolute', (t) => {
  t.deepEqual(parseBootArgs(['img.qcow2'], '/work'), { image: '/work/img.qcow2', firmware: 'uefi', timeout: 600, memoryMiB: 1024, accel: 'auto', quiet: false, network: true });
  t.is((parseBootArgs(['img.qcow2', '--no-network'], '/work') as { network: boolean }).network, false);
  t.deepEqual(parseBootArgs(['/i.raw', '--firmware', 'bios', '--timeout', '90.5', '--memory', '2048', '--quiet', '--accel=tcg']), {
    image: '/i.raw',
    firmware: 'bios',
    timeout: 90.5,
    memoryMiB: 2048,
    network: true,
    accel: 'tcg',
    quiet: true,
  });
  t.is(parseBootArgs(['--help']), 'help');
  t.is(parseBootArgs(['-h', 'x']), 'help');
});

test('bad arguments are E_USAGE with a hint', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /needs the disk image/],
    [['a', 'b'], /one image/],
    [['a', '--firmware', 'coreboot'], /--firmware must be uefi or bios/],
    [['a', '--timeout', '0'], /--timeout must be a positive/],
    [['a', '--timeout', 'soon'], /--timeout must be a positive/],
    [['a', '--memory', '1.5'], /--memory must be a positive whole/],
    [['a', '--accel', 'hvf'], /--accel must be/],
    [['a', '--frobnicate'], /unknown option --frobnicate/],
  ];
  for (const [argv, re] of cases) {
    const e = t.throws(() => parseBootArgs(argv)) as unknown as DibError;
    t.is(e.code, 'E_USAGE', argv.join(' '));
    t.regex(e.message, re);
    t.truthy(e.hint);
    t.is(e.exitCode, 2);
  }
});

const result = (r: Partial<BootResult>): BootResult => ({ ok: true, seconds: 58.24, reason: 'login', accel: 'tcg', firmware: 'uefi', ...r });

test('closing lines', (t) => {
  t.is(describeBootResult(result({}), 600), 'login prompt reached after 58.2 s (uefi, tcg)');
  t.is(describeBootResult(result({ ok: false, reason: 'panic', detail: 'Kernel panic - not syncing: x', accel: 'kvm', firmware: 'bios' }), 600), 'kernel panic after 58.2 s (bios, kvm): Kernel panic - not syncing: x');
  t.is(describeBootResult(result({ ok: false, reason: 'timeout', seconds: 600 }), 600), 'timeout: no login prompt within 600 s (uefi, tcg)');
});

test('bootCommand prints the console then one line; exit 0 on login, 1 otherwise', async (t) => {
  const out = sink();
  const err = sink();
  let seen: BootOptions | undefined;
  const boot = async (o: BootOptions) => {
    seen = o;
    o.onConsoleLine?.('Debian GNU/Linux 12 debian ttyS0');
    o.onConsoleLine?.('debian login: ');
    return result({});
  };
  t.is(await bootCommand(['/i.qcow2', '--timeout', '30'], { stdout: out.stream, stderr: err.stream, boot }), 0);
  t.is(out.text, 'Debian GNU/Linux 12 debian ttyS0\ndebian login: \ndib: boot: login prompt reached after 58.2 s (uefi, tcg)\n');
  t.like(seen, { image: '/i.qcow2', firmware: 'uefi', timeout: 30, memoryMiB: 1024, accel: 'auto' });

  const q = sink();
  const code = await bootCommand(['/i.qcow2', '--quiet'], {
    stdout: q.stream,
    stderr: err.stream,
    boot: async (o) => {
      t.is(o.onConsoleLine, undefined);
      return result({ ok: false, reason: 'timeout' });
    },
  });
  t.is(code, 1);
  t.is(q.text, 'dib: boot: timeout: no login prompt within 600 s (uefi, tcg)\n');
});

test('--help prints usage', async (t) => {
  const out = sink();
  t.is(await bootCommand(['--help'], { stdout: out.stream }), 0);
  t.regex(out.text, /^Usage: dib boot \[options\] IMAGE/);
  t.regex(out.text, /--firmware uefi\|bios/);
});
