/**
 * package-installs' preseed list: what the build will install anyway (every element's plain
 * install requests, base's baseline packages, bootloader's GRUB packages for the layout),
 * mapped through each element's pkg-map, for the OS bootstrap to put into the cached root.
 */
import test from 'ava';
import { tmpDir } from '../helpers/tmp.js';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiskLayout, Env, ResolvedElement } from '@dib/core';
import { loadConfig, planBuild } from '#core/cli/common.js';
import { planLayout } from '#core/disk/index.js';
import base, { basePreseed, baselineEnvironmentPackages, baselineToolsPackages } from '@dib/element-base';
import blockDeviceEfi from '@dib/element-block-device-efi';
import blockDeviceGpt from '@dib/element-block-device-gpt';
import blockDeviceMbr from '@dib/element-block-device-mbr';
import bootloader, { bootloaderPackages } from '@dib/element-bootloader';
import debianMinimal from '@dib/element-debian-minimal';
import debootstrap from '@dib/element-debootstrap';
import dpkg from '@dib/element-dpkg';
import packageInstalls, { getPackageInstallsHooks, mapPreseed, preseedPackageList, squashedInstalls } from '@dib/element-package-installs';
import type { PreseedContext } from '@dib/element-package-installs';
import pkgMap from '@dib/element-pkg-map';
import { createHarness, dirElement, resolved } from './seed-harness.js';

const plugin = (name: string) => join(process.cwd(), 'plugins', name);

/** The default image's own elements (what dib.config.ts expands to, minus the unrelated ones). */
const ELEMENTS = (layout: ResolvedElement = resolved(blockDeviceEfi, plugin('block-device-efi'))): ResolvedElement[] => [
  resolved(base, plugin('base')),
  layout,
  resolved(bootloader, plugin('bootloader')),
  resolved(debianMinimal, plugin('debian-minimal')),
  resolved(debootstrap, plugin('debootstrap')),
  resolved(dpkg, plugin('dpkg')),
  resolved(packageInstalls, plugin('package-installs')),
  resolved(pkgMap, plugin('pkg-map')),
];

const BOOKWORM_AMD64 = [
  'adduser',
  'apt-transport-https',
  'ca-certificates',
  'grub-efi-amd64-bin',
  'grub-pc-bin',
  'grub2-common',
  'initramfs-tools',
  'linux-image-amd64',
  'locales',
  'lsb-release',
  'netbase',
  'open-iscsi',
  'software-properties-common',
];

test('the default image (dib.config.ts): what pre-install, install and finalise would install', async (t) => {
  const config = await loadConfig({ configPath: join(process.cwd(), 'dib.config.ts') });
  const build = await planBuild(config, []);
  // cloud-initramfs-growroot (debootstrap) maps to nothing on bookworm
  t.deepEqual(await preseedPackageList(build), BOOKWORM_AMD64);
});

test('layouts through the real planner: mbr and gpt boot BIOS only', async (t) => {
  const list = async (layout: string) => preseedPackageList(await planBuild(await loadConfig({ configPath: join(process.cwd(), 'dib.config.ts'), overrides: { elements: ['vm', layout, 'debian-minimal'] } }), []));
  const bios = BOOKWORM_AMD64.filter((p) => p !== 'grub-efi-amd64-bin');
  t.deepEqual(await list('block-device-mbr'), bios);
  t.deepEqual(await list('block-device-gpt'), bios);
  t.deepEqual(await list('block-device-efi'), BOOKWORM_AMD64);
});

test('the list does not depend on the order elements are given or applied in', async (t) => {
  const a = await createHarness({ elements: ELEMENTS(), planOnly: true });
  const b = await createHarness({ elements: ELEMENTS().reverse(), planOnly: true });
  t.deepEqual(await preseedPackageList(a.build), BOOKWORM_AMD64);
  t.deepEqual(await preseedPackageList(b.build), BOOKWORM_AMD64);
  // and taps that append in another order give the same list
  const raw = await getPackageInstallsHooks(a.build).preseedPackages.promise([], { build: a.build, env: a.build.env, elements: a.build.elements });
  t.deepEqual(await mapPreseed([...raw].reverse(), { env: a.build.env, elements: a.build.elements }), BOOKWORM_AMD64);
});

test('harness layouts: mbr, gpt, and arm64 (EFI only, its own kernel)', async (t) => {
  const mbr = await createHarness({ elements: ELEMENTS(resolved(blockDeviceMbr, plugin('block-device-mbr'))), planOnly: true });
  t.deepEqual(
    (await preseedPackageList(mbr.build)).filter((p) => p.startsWith('grub')),
    ['grub-pc-bin', 'grub2-common'],
  );
  const gpt = await createHarness({ elements: ELEMENTS(resolved(blockDeviceGpt, plugin('block-device-gpt'))), planOnly: true });
  t.deepEqual(
    (await preseedPackageList(gpt.build)).filter((p) => p.startsWith('grub')),
    ['grub-pc-bin', 'grub2-common'],
  );
  const arm = await createHarness({ elements: ELEMENTS(), env: { ARCH: 'arm64' }, config: { arch: 'arm64' }, planOnly: true });
  const list = await preseedPackageList(arm.build);
  t.deepEqual(
    list.filter((p) => p.startsWith('grub') || p.startsWith('linux-image')),
    ['grub-efi-arm64-bin', 'grub2-common', 'linux-image-arm64'],
  );
});

async function userElement(files: Record<string, string>): Promise<ResolvedElement> {
  const dir = await tmpDir('dib-preseed-el-');
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  return dirElement('my-element', dir);
}

const MY_PACKAGES = `
foo:
bar:
  arch: arm64
notarm:
  not-arch: arm64
gone:
  uninstall: true
buildtool:
  build-only: true
early:
  phase: pre-install.d
late:
  phase: post-install.d
removed-later:
  phase: install.d
removed-later-too:
  phase: install.d
dropped:
python-thing:
  dib_python_version: 2
conditional:
  when: MY_FLAG = on
`;

const MY_MAP = JSON.stringify({
  distro: { debian: { foo: 'foo-debian', dropped: '' } },
  release: { debian: { trixie: { foo: 'foo-trixie' } } },
});

test("a user element: pkg-map renames, arch, when and python filters, uninstall and build-only left out", async (t) => {
  const el = await userElement({ 'package-installs.yaml': MY_PACKAGES, 'pkg-map': MY_MAP });
  // another element removes two of its packages in a later phase
  const remover = await tmpDir('dib-preseed-rm-');
  await writeFile(join(remover, 'package-installs.yaml'), 'removed-later:\n  phase: post-install.d\n  uninstall: true\n');
  const rm = dirElement('remover', remover);
  const run = async (env: Env, config = {}) => {
    const h = await createHarness({ elements: [...ELEMENTS(), el, rm], env: { MY_FLAG: 'off', ...env }, config, planOnly: true });
    const mine = new Set(['foo-debian', 'foo-trixie', 'foo', 'bar', 'notarm', 'gone', 'buildtool', 'early', 'late', 'removed-later', 'removed-later-too', 'dropped', 'python-thing', 'conditional']);
    return (await preseedPackageList(h.build)).filter((p) => mine.has(p));
  };
  t.deepEqual(await run({}), ['early', 'foo-debian', 'late', 'notarm', 'removed-later-too']);
  t.deepEqual(await run({ ARCH: 'arm64' }, { arch: 'arm64' }), ['bar', 'early', 'foo-debian', 'late', 'removed-later-too']);
  t.deepEqual(await run({ DIB_RELEASE: 'trixie', MY_FLAG: 'on', DIB_PYTHON_VERSION: '2' }), ['conditional', 'early', 'foo-trixie', 'late', 'notarm', 'python-thing', 'removed-later-too']);
});

test('squashedInstalls: install lists of every phase, minus anything some phase uninstalls', (t) => {
  t.deepEqual(
    squashedInstalls({
      'install.d': { install: [['a', 'x'], ['tool', 'x'], ['b', 'y']], uninstall: [['tool', 'x']] },
      'pre-install.d': { install: [['c', 'z']] },
      'post-install.d': { uninstall: [['b', 'w']] },
    }),
    [
      { package: 'a', element: 'x' },
      { package: 'c', element: 'z' },
    ],
  );
});

const pctx = (env: Env): PreseedContext => ({ build: undefined as never, env, elements: [] });

test("base: baseline-tools and baseline-environment's packages under their conditions", (t) => {
  const deb: Env = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm' };
  t.deepEqual(baselineToolsPackages(deb), ['apt-transport-https', 'software-properties-common']);
  for (const rel of ['trixie', 'testing', 'unstable', 'stable']) t.deepEqual(baselineToolsPackages({ ...deb, DIB_RELEASE: rel }), ['apt-transport-https'], rel);
  t.deepEqual(baselineToolsPackages({ DISTRO_NAME: 'ubuntu', DIB_RELEASE: 'noble' }), ['apt-transport-https', 'software-properties-common']);
  t.deepEqual(baselineToolsPackages({ DISTRO_NAME: 'centos', DIB_RELEASE: '9' }), []);
  t.deepEqual(baselineEnvironmentPackages(deb), ['iscsi_package']);
  t.deepEqual(baselineEnvironmentPackages({ ...deb, DIB_SKIP_BASE_PACKAGE_INSTALL: '1' }), []);
  t.deepEqual(basePreseed([{ package: 'x' }], pctx(deb)), [
    { package: 'x' },
    { package: 'apt-transport-https' },
    { package: 'software-properties-common' },
    { package: 'iscsi_package', element: 'base', strict: true },
  ]);
});

test("base's iscsi_package through its pkg-map, per family; skipped when asked", async (t) => {
  const h = await createHarness({ elements: ELEMENTS(), planOnly: true });
  const els = h.build.elements;
  const map = async (env: Env) => mapPreseed(basePreseed([], pctx(env)), { env, elements: els });
  t.deepEqual(await map({ DISTRO_NAME: 'debian', DIB_RELEASE: 'trixie' }), ['apt-transport-https', 'open-iscsi']);
  t.deepEqual(await map({ DISTRO_NAME: 'centos', DIB_RELEASE: '9' }), ['iscsi-initiator-utils']);
  t.deepEqual(await map({ DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_SKIP_BASE_PACKAGE_INSTALL: '1' }), ['apt-transport-https', 'software-properties-common']);
  t.false((await preseedPackageList(h.build, { ...h.build.env, DIB_SKIP_BASE_PACKAGE_INSTALL: '1' })).includes('open-iscsi'));
});

test('mapPreseed: strict names the map lacks are left out; unmapped requests are words; no DISTRO_NAME maps nothing', async (t) => {
  const els = [resolved(base, plugin('base'))];
  const env: Env = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm' };
  t.deepEqual(await mapPreseed([{ package: 'iscsi_package', element: 'base', strict: true }, { package: 'nope', element: 'base', strict: true }], { env, elements: els }), ['open-iscsi']);
  // non-strict: unknown names pass, as install-packages --missing-ok
  t.deepEqual(await mapPreseed([{ package: 'nope', element: 'base' }], { env, elements: els }), ['nope']);
  // strict against an element that has no map (or is not in the build): nothing
  t.deepEqual(await mapPreseed([{ package: 'x', element: 'not-here', strict: true }], { env, elements: els }), []);
  t.deepEqual(await mapPreseed([{ package: ' a  b ' }, { package: '' }, { package: 'a' }], { env, elements: els }), ['a', 'b']);
  t.deepEqual(await mapPreseed([{ package: 'iscsi_package', element: 'base' }, { package: 'plain' }], { env: {}, elements: els }), ['plain']);
});

const bd = (el: { blockDevice?: unknown }, arch = 'amd64'): unknown => (typeof el.blockDevice === 'function' ? el.blockDevice({ ARCH: arch }) : el.blockDevice);
const layoutOf = (el: { blockDevice?: unknown }, arch = 'amd64'): DiskLayout => planLayout(bd(el, arch), 'test', { arch, fsType: 'ext4' });

test('bootloader: GRUB packages per layout and arch, none when skipped', (t) => {
  const env: Env = {};
  t.deepEqual(bootloaderPackages(env, layoutOf(blockDeviceEfi), 'amd64'), ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub2-common']);
  t.deepEqual(bootloaderPackages(env, layoutOf(blockDeviceGpt), 'amd64'), ['grub-pc-bin', 'grub2-common']);
  t.deepEqual(bootloaderPackages(env, layoutOf(blockDeviceMbr), 'amd64'), ['grub-pc-bin', 'grub2-common']);
  t.deepEqual(bootloaderPackages(env, layoutOf(blockDeviceEfi, 'arm64'), 'arm64'), ['grub-efi-arm64-bin', 'grub2-common']);
  t.deepEqual(bootloaderPackages(env, layoutOf(blockDeviceMbr, 'arm64'), 'arm64'), []);
  t.deepEqual(bootloaderPackages(env, undefined, 'amd64'), []);
  t.deepEqual(bootloaderPackages({ DIB_SKIP_GRUB_PACKAGE_INSTALL: 'True' }, layoutOf(blockDeviceEfi), 'amd64'), []);
  t.deepEqual(bootloaderPackages({ DIB_SKIP_GRUB_PACKAGE_INSTALL: 'False' }, layoutOf(blockDeviceMbr), 'amd64'), ['grub-pc-bin', 'grub2-common']);
  t.deepEqual(bootloaderPackages({ DIB_EXTLINUX: '1' }, layoutOf(blockDeviceEfi), 'amd64'), []);
});

test('bootloader: the layout of the config key blockDevice; an invalid layout preseeds nothing', async (t) => {
  const els = ELEMENTS().filter((e) => e.name !== 'block-device-efi');
  const fsOnly = await createHarness({ elements: els, config: { blockDevice: bd(blockDeviceMbr) as never }, planOnly: true });
  t.deepEqual((await preseedPackageList(fsOnly.build)).filter((p) => p.startsWith('grub')), ['grub-pc-bin', 'grub2-common']);
  const bad = await createHarness({ elements: els, config: { blockDevice: [{ nonsense: {} }] as never }, planOnly: true });
  t.deepEqual((await preseedPackageList(bad.build)).filter((p) => p.startsWith('grub')), []);
});
