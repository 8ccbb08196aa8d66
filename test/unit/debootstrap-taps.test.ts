import test from 'ava';
import { tmpDir } from '../helpers/tmp.js';
import { mkdir, mkdtemp, readFile, stat, symlink, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type CommandRunner, type Element, type PhaseContext } from '@dib/core';
import { createTestBuild } from '@dib/core/testing';
import debootstrap, { _internal, bootstrapPackages, bootstrapSources, writeTargetFile } from '@dib/element-debootstrap';
import debianMinimal from '@dib/element-debian-minimal';
import ubuntuMinimal from '@dib/element-ubuntu-minimal';
import ubuntuCommon from '@dib/element-ubuntu-common';

/** The taps of a test build of exactly these elements, as `phase stage name`. */
async function registered(...elements: Element[]) {
  const t = await createTestBuild({ elements, expand: false, env: { DIB_RELEASE: 'bookworm' } });
  return { build: t.build.viewFor(elements[0]!.name), taps: t.taps().map((x) => `${x.phase} ${x.stage} ${x.name}`) };
}

async function fakeCtx(env: Record<string, string>) {
  const root = await tmpDir('dib-taps-');
  const runs: string[] = [];
  const target: CommandRunner = {
    withLogger: () => target,
    async run(file, args = []) {
      runs.push([file, ...args].join(' '));
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    async sh(s) {
      runs.push(s);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };
  const ctx = { targetRoot: root, env, target, log: silentLogger } as unknown as PhaseContext;
  return { root, runs, ctx };
}

test('taps are registered as DIB numbers its scripts', async (t) => {
  const b = await registered(debootstrap, debianMinimal);
  t.deepEqual(b.taps, ['root 8 debootstrap', 'root 75 debian-minimal-baseinstall', 'install 10 debian-networking', 'install 12 debian-locale-gen', 'install 15 cleanup-debootstrap', 'cleanup 99 clean-up-cache']);
  const env = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', ARCH: 'amd64', DIB_APT_SOURCES_CONF: debianMinimal.environment instanceof Function ? debianMinimal.environment({ DIB_RELEASE: 'bookworm' }).DIB_APT_SOURCES_CONF! : '' };
  const pkgs = bootstrapPackages(b.build, env);
  // the OS element's base install only: the rest (adduser, locales, kernel…) is preseeded through package-installs
  t.deepEqual(pkgs, ['systemd-sysv', 'busybox', 'sudo', 'gnupg2', 'python3']);
  t.is(bootstrapSources(b.build, env).length, 3);
  t.deepEqual(bootstrapPackages(b.build, { ...env, DIB_DEBOOTSTRAP_PREINSTALL: '0' }), []);
  t.deepEqual(bootstrapSources(b.build, { ...env, DIB_DEBOOTSTRAP_PREINSTALL: '0' }), []);
});

test('ubuntu-minimal and ubuntu-common taps', async (t) => {
  t.deepEqual((await registered(ubuntuMinimal)).taps, ['root 75 ubuntu-minimal-baseinstall']);
  t.deepEqual((await registered(ubuntuCommon)).taps, ['install 80 disable-rfc3041', 'post-install 99 autoremove']);
});

test('debian-networking: hostname, hosts, interfaces.d, networkd on systemd without ifupdown', async (t) => {
  const { root, runs, ctx } = await fakeCtx({ DISTRO_NAME: 'debian', DIB_NETWORK_INTERFACE_NAMES: 'eth0 eth1', DIB_INIT_SYSTEM: 'systemd' });
  await mkdir(path.join(root, 'usr/lib/systemd/system'), { recursive: true });
  await writeFile(path.join(root, 'usr/lib/systemd/system/systemd-networkd.service'), '');
  await _internal.debianNetworking(ctx);
  t.is(await readFile(path.join(root, 'etc/hostname'), 'utf8'), 'debian\n');
  t.regex(await readFile(path.join(root, 'etc/hosts'), 'utf8'), /127\.0\.1\.1\tdebian/);
  t.is(await readFile(path.join(root, 'etc/network/interfaces.d/eth1'), 'utf8'), 'auto eth1\niface eth1 inet dhcp\n');
  t.regex(await readFile(path.join(root, 'etc/network/interfaces'), 'utf8'), /^source \/etc\/network\/interfaces\.d\/\*$/m);
  t.regex(await readFile(path.join(root, 'etc/systemd/network/80-dib-dhcp.network'), 'utf8'), /DHCP=yes/);
  t.deepEqual(runs, ['systemctl enable systemd-networkd.service']);
});

test('debian-networking: DIB_APT_MINIMAL_CREATE_INTERFACES=0 and ifupdown', async (t) => {
  const a = await fakeCtx({ DISTRO_NAME: 'debian', DIB_APT_MINIMAL_CREATE_INTERFACES: '0' });
  await _internal.debianNetworking(a.ctx);
  t.false(existsSync(path.join(a.root, 'etc/network/interfaces.d')));
  t.is(await readFile(path.join(a.root, 'etc/hostname'), 'utf8'), 'debian\n');
  const b = await fakeCtx({ DISTRO_NAME: 'debian' });
  await mkdir(path.join(b.root, 'usr/sbin'), { recursive: true });
  await writeFile(path.join(b.root, 'usr/sbin/ifup'), '');
  await mkdir(path.join(b.root, 'lib/systemd/system'), { recursive: true });
  await writeFile(path.join(b.root, 'lib/systemd/system/systemd-networkd.service'), '');
  await _internal.debianNetworking(b.ctx);
  t.true(existsSync(path.join(b.root, 'etc/network/interfaces.d/eth0')));
  t.false(existsSync(path.join(b.root, 'etc/systemd/network/80-dib-dhcp.network')));
  t.deepEqual(b.runs, []);
});

test('debian-locale-gen and cleanup-debootstrap', async (t) => {
  const { root, runs, ctx } = await fakeCtx({ DIB_DEBOOTSTRAP_DEFAULT_LOCALE: 'de_DE.UTF-8' });
  await writeTargetFile(root, 'etc/locale.gen', '# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n');
  await _internal.localeGen(ctx);
  t.is(await readFile(path.join(root, 'etc/locale.gen'), 'utf8'), 'de_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n');
  t.is(await readFile(path.join(root, 'etc/default/locale'), 'utf8'), 'LANG=de_DE.UTF-8\n');
  t.deepEqual(runs, ['locale-gen']);
  await _internal.cleanupDebootstrap(ctx);
  t.is((await stat(path.join(root, 'etc/sudoers.d'))).mode & 0o777, 0o755);
});

test('files are written inside the target even through absolute symlinks', async (t) => {
  const { root } = await fakeCtx({});
  const outside = await tmpDir('dib-outside-');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await symlink(outside, path.join(root, 'etc/network'));
  const victim = await tmpDir('dib-victim-');
  await writeFile(path.join(victim, 'file'), 'v');
  await symlink(path.join(victim, 'file'), path.join(root, 'etc/hostname'));
  await writeTargetFile(root, 'etc/network/interfaces', 'x\n');
  await writeTargetFile(root, 'etc/hostname', 'debian\n');
  t.deepEqual(await readdir(outside), []);
  t.true(existsSync(path.join(root, outside, 'interfaces')));
  t.is(await readFile(path.join(root, 'etc/hostname'), 'utf8'), 'debian\n');
  t.is(await readFile(path.join(victim, 'file'), 'utf8'), 'v');
});

test('hostTools name the bootstrap tool, tar and zstd', (t) => {
  const tools = _internal.hostTools({ DISTRO_NAME: 'ubuntu' }).map((x) => x.command);
  t.true(tools.includes('mmdebstrap') || tools.includes('debootstrap'));
  t.true(tools.includes('zstd'));
  t.true(tools.includes('tar'));
  t.deepEqual(_internal.hostTools({ DIB_DEBOOTSTRAP_TOOL: 'debootstrap' })[0]!.command, 'debootstrap');
  t.regex(_internal.hostTools({ DISTRO_NAME: 'ubuntu' })[0]!.why!, /ubuntu-keyring/);
});
