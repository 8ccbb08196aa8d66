/**
 * By default the bootstrapped root holds only the OS element's base install (DIB's root.d):
 * the packages of later phases are installed by them, after the elements that configure them.
 * With DIB_DEBOOTSTRAP_PRESEED=1 debootstrap puts package-installs' preseed list into the root:
 * an apt pattern in its own mmdebstrap --include (names the archive lacks are skipped), part of
 * the cache key.
 */
import test from 'ava';
import { tmpDir } from '../helpers/tmp.js';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHostRunner, silentLogger, type CommandRunner, type ResolvedElement } from '@dib/core';
import base from '@dib/element-base';
import blockDeviceEfi from '@dib/element-block-device-efi';
import bootloader from '@dib/element-bootloader';
import debianMinimal from '@dib/element-debian-minimal';
import debootstrap, { _internal, DEBOOTSTRAP_RESULT, bootstrapCommand, preseedPattern, resolveBootstrapSettings, rootCacheInputs, rootCacheKey } from '@dib/element-debootstrap';
import packageInstalls from '@dib/element-package-installs';
import pkgMap from '@dib/element-pkg-map';
import { createHarness, resolved } from './seed-harness.js';

const both = { mmdebstrap: true, debootstrap: true };
const debEnv = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian', ARCH: 'amd64' };

test('settings: preseed is unique, sorted, Debian names only, without what include has', (t) => {
  const s = resolveBootstrapSettings({ env: debEnv, include: ['sudo'], preseed: ['zsh', 'sudo', 'tzdata', 'zsh', ' ', 'foo=1.0', 'bar/bookworm-backports', 'baz:i386', 'Upper', 'libstdc++6', 'a.b-c'], available: both });
  t.deepEqual(s.include, ['sudo', 'tzdata']);
  t.deepEqual(s.preseed, ['a.b-c', 'libstdc++6', 'zsh']);
  t.deepEqual(resolveBootstrapSettings({ env: debEnv, available: both }).preseed, []);
});

test('settings: debootstrap gets no preseed (it cannot skip a package its mirror lacks)', (t) => {
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }, include: ['sudo'], preseed: ['zsh'], available: both });
  t.deepEqual(s.preseed, []);
  t.false(bootstrapCommand(s, '/r').args.some((a) => a.includes('?')));
});

test('mmdebstrap: the preseed list as one apt pattern in its own --include', (t) => {
  t.is(preseedPattern([]), undefined);
  t.is(preseedPattern(['a', 'b']), '?and(?or(?exact-name(a),?exact-name(b)),?version(.))');
  const s = resolveBootstrapSettings({ env: debEnv, include: ['sudo'], preseed: ['open-iscsi', 'grub-pc-bin'], available: both });
  const args = bootstrapCommand(s, '/r').args;
  const includes = args.filter((a) => a.startsWith('--include='));
  t.deepEqual(includes, ['--include=sudo,tzdata', '--include=?and(?or(?exact-name(grub-pc-bin),?exact-name(open-iscsi)),?version(.))']);
  const none = bootstrapCommand(resolveBootstrapSettings({ env: debEnv, include: ['sudo'], available: both }), '/r').args;
  t.deepEqual(
    none.filter((a) => a.startsWith('--include=')),
    ['--include=sudo,tzdata'],
  );
});

test('cache key: a different preseed set is a different root; the order is not', (t) => {
  const key = (preseed: string[]) => rootCacheKey(rootCacheInputs(resolveBootstrapSettings({ env: debEnv, include: ['sudo'], preseed, available: both }), 'k'));
  t.is(key(['vim', 'zsh']), key(['zsh', 'vim', 'vim']));
  t.not(key(['vim', 'zsh']), key(['vim']));
  t.not(key([]), key(['vim']));
  t.deepEqual(rootCacheInputs(resolveBootstrapSettings({ env: debEnv, preseed: ['zsh', 'vim'], available: both }), 'k').preseed, ['vim', 'zsh']);
});

const plugin = (name: string) => path.join(process.cwd(), 'plugins', name);
const ELEMENTS = (): ResolvedElement[] => [
  resolved(base, plugin('base')),
  resolved(blockDeviceEfi, plugin('block-device-efi')),
  resolved(bootloader, plugin('bootloader')),
  resolved(debianMinimal, plugin('debian-minimal')),
  resolved(debootstrap, plugin('debootstrap')),
  resolved(packageInstalls, plugin('package-installs')),
  resolved(pkgMap, plugin('pkg-map')),
];

async function rootTap(extraEnv: Record<string, string>) {
  const keyring = path.join(await tmpDir('dib-keyring-'), 'keyring.gpg');
  await writeFile(keyring, 'not really a keyring');
  const h = await createHarness({ elements: ELEMENTS(), env: { DIB_DISTRIBUTION_MIRROR: 'http://deb.example/debian', DIB_DEBOOTSTRAP_TOOL: 'mmdebstrap', DIB_DEBOOTSTRAP_CACHE: '0', DIB_APT_KEYRING: keyring, ...extraEnv } });
  const calls: string[][] = [];
  const real = createHostRunner({ log: silentLogger });
  const host: CommandRunner = {
    withLogger: () => host,
    async run(file, args = [], options) {
      if (file !== 'mmdebstrap') return real.run(file, args, options);
      calls.push([...args]);
      await mkdir(path.join(args[args.indexOf('bookworm') + 1]!, 'etc'), { recursive: true });
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    sh: real.sh,
  };
  await _internal.bootstrap({ ...h.ctx('root', 'debootstrap', 'debootstrap'), host });
  return { calls, state: h.build.state };
}

test('by default the root tap bootstraps the base install only: later phases install their packages', async (t) => {
  const { calls, state } = await rootTap({});
  t.is(calls.length, 1);
  t.deepEqual(
    calls[0]!.filter((a) => a.startsWith('--include=')),
    ['--include=busybox,gnupg2,python3,sudo,systemd-sysv,tzdata'],
  );
  t.deepEqual(state.get(DEBOOTSTRAP_RESULT)!.preseed, []);
});

test('DIB_DEBOOTSTRAP_PRESEED=1: the root tap asks package-installs for the list and bootstraps with it', async (t) => {
  const { calls, state } = await rootTap({ DIB_DEBOOTSTRAP_PRESEED: '1' });
  t.is(calls.length, 1);
  const includes = calls[0]!.filter((a) => a.startsWith('--include='));
  t.is(includes[0], '--include=busybox,gnupg2,python3,sudo,systemd-sysv,tzdata');
  const pattern = includes[1]!;
  for (const p of ['adduser', 'apt-transport-https', 'grub-efi-amd64-bin', 'grub-pc-bin', 'linux-image-amd64', 'open-iscsi', 'software-properties-common']) t.true(pattern.includes(`?exact-name(${p})`), p);
  t.false(pattern.includes('cloud-initramfs-growroot'));
  const result = state.get(DEBOOTSTRAP_RESULT)!;
  t.true(result.preseed.includes('open-iscsi'));
});

test('DIB_DEBOOTSTRAP_PREINSTALL=0: minbase only, nothing preseeded (even with DIB_DEBOOTSTRAP_PRESEED=1)', async (t) => {
  const { calls } = await rootTap({ DIB_DEBOOTSTRAP_PREINSTALL: '0', DIB_DEBOOTSTRAP_PRESEED: '1' });
  t.deepEqual(
    calls[0]!.filter((a) => a.startsWith('--include=')),
    ['--include=tzdata'],
  );
});
