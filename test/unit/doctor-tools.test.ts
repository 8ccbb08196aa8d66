/** dib doctor's pure parts: which tools a build needs and why, the apt-get line, the checks. */
import test from 'ava';
import { defineElement, isDibError, releaseTargetOf, type ResolvedElement } from '@dib/core';
import busyboxRoot from '@dib/element-busybox-root';
import debianMinimal from '@dib/element-debian-minimal';
import {
  aptInstallLine,
  checkTools,
  collectHostTools,
  coreHostTools,
  formatDoctor,
  mirrorCheck,
  missingToolsError,
  rootCheck,
  diskCheck,
  type DoctorReport,
} from '#core/doctor/index.js';
import { builtInRegistry } from '#core/output/registry.js';

const formats = (...types: string[]) => types.map((x) => builtInRegistry().get(x));

function el(name: string, hostTools: Parameters<typeof defineElement>[0]['hostTools']): ResolvedElement {
  return { name, element: defineElement({ name, hostTools }), dir: `/e/${name}`, kind: 'package', packageName: `@dib/element-${name}` };
}

test('core tools follow the outputs and the disk layout', (t) => {
  const names = (xs: { command: string }[]) => xs.map((x) => x.command);
  t.deepEqual(names(coreHostTools(formats('tar'))), ['chroot', 'mount', 'umount', 'flock']);
  t.deepEqual(names(coreHostTools(formats('qcow2'))), ['chroot', 'mount', 'umount', 'flock', 'mke2fs']);
  const efi = { table: 'gpt' as const, filesystems: [{ type: 'vfat' }, { type: 'ext4' }] as never };
  t.deepEqual(names(coreHostTools(formats('raw'), efi)), ['chroot', 'mount', 'umount', 'flock', 'mke2fs', 'mkfs.vfat', 'mcopy', 'sfdisk']);
  t.regex(coreHostTools(formats('raw'), efi).at(-1)!.why!, /GPT partition table/);
});

test('collectHostTools merges by command and keeps every requester and reason', (t) => {
  const tools = collectHostTools({
    elements: [
      el('busybox-root', [{ command: 'busybox', package: 'busybox-static', why: 'copies busybox' }]),
      el('block-device-gpt', [{ command: 'sfdisk', package: 'fdisk', why: 'writes the partition table' }]),
      el('debootstrap', (env) => [{ command: env.TOOL ?? 'mmdebstrap', package: 'mmdebstrap', why: 'bootstraps' }]),
    ],
    env: { TOOL: 'debootstrap' },
    formats: formats('qcow2', 'tar'),
    layout: { table: 'gpt', filesystems: [{ type: 'ext4' }] as never },
    boot: true,
  });
  const sfdisk = tools.find((x) => x.command === 'sfdisk')!;
  t.deepEqual(sfdisk.neededBy, ['core', 'element block-device-gpt']);
  t.is(sfdisk.purpose, 'build');
  t.truthy(tools.find((x) => x.command === 'debootstrap'), 'a hostTools function gets the build environment');
  t.deepEqual(tools.find((x) => x.command === 'qemu-img')!.neededBy, ['qcow2 output', 'dib boot']);
  t.is(tools.find((x) => x.command === 'qemu-img')!.purpose, 'build', 'needed to build wins over boot only');
  t.is(tools.find((x) => x.command === 'qemu-system-x86_64')!.purpose, 'boot');
  t.deepEqual(tools.find((x) => x.command === 'tar')!.neededBy, ['tar output']);
});

test('checkTools finds commands on PATH and files by path; the apt line lists each package once, sorted', (t) => {
  const st = checkTools(
    [
      { command: 'sh', package: 'dash', neededBy: ['core'], why: [''], purpose: 'build' },
      { command: 'dib-no-such-tool', package: 'zz-pkg', neededBy: ['element x'], why: ['x'], purpose: 'build' },
      { command: 'dib-no-such-tool-2', package: 'zz-pkg', neededBy: ['element y'], why: ['y'], purpose: 'build' },
      { command: '/nonexistent/OVMF.fd', package: 'ovmf', neededBy: ['dib boot'], why: [''], purpose: 'boot' },
      { command: '/etc/hostname', package: 'x', neededBy: ['x'], why: [''], purpose: 'boot' },
    ],
    '/usr/bin:/bin',
  );
  t.truthy(st[0]!.found);
  t.falsy(st[1]!.found);
  t.falsy(st[3]!.found);
  t.is(st[4]!.found, '/etc/hostname');
  t.is(aptInstallLine(st.filter((x) => !x.found)), 'apt-get install -y ovmf zz-pkg');
  t.is(aptInstallLine([]), undefined);
});

test('the pre-flight error is one E_HOST_TOOL_MISSING naming tools, requesters and the apt-get line', (t) => {
  const e = missingToolsError([
    { command: 'mksquashfs', package: 'squashfs-tools', neededBy: ['squashfs output'], why: ['squashfs output'], purpose: 'build' },
    { command: 'busybox', package: 'busybox-static', neededBy: ['element busybox-root'], why: ['copies busybox'], purpose: 'build' },
  ]);
  t.true(isDibError(e));
  t.is(e.code, 'E_HOST_TOOL_MISSING');
  t.is(e.message, 'missing host tools: mksquashfs, busybox');
  t.is(e.hint, 'apt-get install -y busybox-static squashfs-tools   (or: dib doctor --fix)');
  t.deepEqual(e.details, ['mksquashfs (package squashfs-tools) needed by squashfs output', 'busybox (package busybox-static) needed by element busybox-root: copies busybox']);
});

test('root and disk checks', async (t) => {
  t.is(rootCheck(0).level, 'ok');
  t.is(rootCheck(1000).level, 'fail');
  const ok = await diskCheck('work-dir', 'work dir', '/tmp/does/not/exist/yet', { failBelow: 1, warnBelow: 2 });
  t.is(ok.level, 'ok', 'a dir that does not exist yet is measured on its nearest parent');
  const low = await diskCheck('work-dir', 'work dir', '/tmp', { failBelow: 1e18, warnBelow: 1e19 });
  t.is(low.level, 'fail');
  t.regex(low.hint!, /free space under \/tmp/);
});

test('mirror: where the OS element publishes its release (Debian: HEAD of dists/<release>/Release); failures say why', async (t) => {
  const os = (e: typeof busyboxRoot): ResolvedElement[] => [{ name: e.name, element: e, dir: '/e', kind: 'package' }];
  t.is(releaseTargetOf(os(busyboxRoot), { DIB_RELEASE: 'static' }), undefined);
  t.like(releaseTargetOf(os(debianMinimal), { DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://m/debian/' }), { distro: 'debian', release: 'bookworm', url: 'http://m/debian/dists/bookworm/Release' });
  t.is((await mirrorCheck(undefined)).level, 'skip');
  const debian = releaseTargetOf(os(debianMinimal), { DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://m/debian' });
  const calls: string[] = [];
  const fake = (status: number) => (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push(`${init?.method} ${String(url)}`);
    return new Response(null, { status });
  }) as typeof fetch;
  const ok = await mirrorCheck(debian, { fetchImpl: fake(200) });
  t.is(ok.level, 'ok');
  t.deepEqual(calls, ['HEAD http://m/debian/dists/bookworm/Release']);
  const missing = await mirrorCheck(debian, { fetchImpl: fake(404) });
  t.is(missing.level, 'fail');
  t.regex(missing.hint!, /debian has no release 'bookworm' there: check DIB_RELEASE/);
  t.is((await mirrorCheck(debian, { offline: true })).level, 'skip');
  const slow = (async (_u: unknown, init?: RequestInit) =>
    new Promise((_res, rej) => init?.signal?.addEventListener('abort', () => rej(init.signal!.reason)))) as typeof fetch;
  const timedOut = await mirrorCheck(debian, { fetchImpl: slow, timeoutMs: 50 });
  t.is(timedOut.level, 'fail');
  t.regex(timedOut.message, /no answer within/);
});

test('the report names missing tools and prints the exact apt-get line', (t) => {
  const r: DoctorReport = {
    config: '/p/dib.config.ts',
    elements: ['busybox-root'],
    types: ['tar'],
    tools: [
      { command: 'chroot', package: 'coreutils', neededBy: ['core'], why: ['runs chroot phases'], purpose: 'build', found: '/usr/sbin/chroot' },
      { command: 'busybox', package: 'busybox-static', neededBy: ['element busybox-root'], why: ['copies busybox'], purpose: 'build' },
      { command: 'qemu-system-x86_64', package: 'qemu-system-x86', neededBy: ['dib boot'], why: ['boots'], purpose: 'boot' },
    ],
    checks: [{ id: 'root', level: 'ok', message: 'running as root' }],
    aptLine: 'apt-get install -y busybox-static qemu-system-x86',
    ok: false,
  };
  const text = formatDoctor(r).join('\n');
  t.regex(text, /MISS {2}busybox +\(busybox-static\) element busybox-root: copies busybox/);
  t.regex(text, /miss {2}qemu-system-x86_64 +\(qemu-system-x86\) dib boot: boots/);
  t.regex(text, /ok {4}chroot +core: runs chroot phases/);
  t.regex(text, /missing: 1 needed to build, 1 for dib boot\. Install with:\n {2}apt-get install -y busybox-static qemu-system-x86\n/);
  t.regex(text, /doctor: not ready \(missing tools\)$/);
});
