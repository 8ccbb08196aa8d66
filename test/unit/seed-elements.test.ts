import test from 'ava';
import { lstat, mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import base from '@dib/element-base';
import dpkg from '@dib/element-dpkg';
import manifests, { formatDibEnvironment, bashDeclareQuote } from '@dib/element-manifests';
import pkgMap from '@dib/element-pkg-map';
import packageInstalls from '@dib/element-package-installs';
import { getPackageHooks } from '@dib/core';
import type { PackageRequest } from '@dib/element-package-installs';
import installTypes, { planInstallTypeLinks } from '@dib/element-install-types';
import installBin from '@dib/element-install-bin';
import dibInitSystem, { checkInitSystem } from '@dib/element-dib-init-system';
import sysprep from '@dib/element-sysprep';
import { createHarness, dirElement, resolved } from './seed-harness.js';

const plugin = (name: string) => join(process.cwd(), 'plugins', name);
const SEED = () => [
  resolved(packageInstalls, plugin('package-installs')),
  resolved(installTypes, plugin('install-types')),
  resolved(base, plugin('base')),
  resolved(manifests, plugin('manifests')),
  resolved(pkgMap, plugin('pkg-map')),
  resolved(dpkg, plugin('dpkg')),
  resolved(installBin, plugin('install-bin')),
  resolved(dibInitSystem, plugin('dib-init-system')),
  resolved(sysprep, plugin('sysprep')),
];

test('extra-data taps in DIB order, whatever the element order', async (t) => {
  const expected = [
    '1 copy-apt-keys dpkg',
    '10 create-pkg-map-dir pkg-map',
    '20 manifest-dir manifests',
    '50 store-build-settings base',
    '99 enable-install-types install-types',
    '99 squash-package-install package-installs',
  ];
  const a = await createHarness({ elements: SEED(), planOnly: true });
  const b = await createHarness({ elements: SEED().reverse(), planOnly: true });
  t.deepEqual(a.taps('extraData').map((x) => `${x.stage} ${x.name} ${x.element}`), expected);
  t.deepEqual(b.taps('extraData').map((x) => `${x.stage} ${x.name} ${x.element}`), expected);
  // no two taps of one phase share a name (the core rejects duplicates)
  for (const hook of ['root', 'extraData', 'preInstall', 'install', 'postInstall', 'postRoot', 'finalise', 'cleanup'] as const) {
    const names = a.taps(hook).map((x) => x.name);
    t.is(new Set(names).size, names.length, hook);
  }
  t.deepEqual(a.taps('install').map((x) => `${x.stage} ${x.name}`), [
    '0 baseline-environment',
    '0 up-to-date',
    '1 package-installs',
    '10 cloud-init',
    '20 install-init-scripts',
    '99 package-uninstalls',
    '999 install-extra-packages',
  ]);
});

test('environment defaults as DIB environment.d', (t) => {
  t.deepEqual(base.environment, { DIB_AVOID_PACKAGES_UPDATE: '0', DIB_SKIP_BASE_PACKAGE_INSTALL: '0' });
  t.deepEqual(dpkg.environment, { DIB_ADD_APT_KEYS: '' });
  const m = manifests.environment as (e: Record<string, string>) => Record<string, string>;
  t.deepEqual(m({ IMAGE_NAME: 'img' }), { DIB_MANIFEST_IMAGE_DIR: '/etc/dib-manifests', DIB_MANIFEST_SAVE_DIR: 'img.d/' });
  t.deepEqual(m({ IMAGE_NAME: 'img', DIB_MANIFEST_IMAGE_DIR: '/x' }), { DIB_MANIFEST_IMAGE_DIR: '/x', DIB_MANIFEST_SAVE_DIR: 'img.d/' });
});

test('base: store-build-settings, baseline tools, iscsi, upgrade, cloud-init', async (t) => {
  const requests: PackageRequest[] = [];
  const h = await createHarness({
    elements: SEED(),
    env: { DIB_CLOUD_INIT_ETC_HOSTS: 'localhost', DIB_FOO: 'a "b" $c', DIB_ARGS: '-o image vm debian-minimal' },
  });
  getPackageHooks(h.build).installPackages.tap({ name: 'spy', stage: -1 }, (_c, r) => void requests.push(r));
  await mkdir(join(h.root, 'etc'), { recursive: true });
  await h.runTap('extraData', 'store-build-settings');
  const envText = await readFile(join(h.build.paths.hooksDir, 'dib_environment'), 'utf8');
  t.regex(envText, /^declare -x DIB_FOO="a \\"b\\" \\\$c"$/m);
  t.is(await readFile(join(h.build.paths.hooksDir, 'dib_arguments'), 'utf8'), '-o image vm debian-minimal\n');

  for (const name of ['baseline-tools']) await h.runTap('preInstall', name);
  for (const name of ['baseline-environment', 'up-to-date', 'cloud-init']) await h.runTap('install', name);
  t.deepEqual(h.commands.filter((c) => c.file === 'apt-get').map((c) => c.args.filter((a) => !a.startsWith('Dpkg::') && a !== '-o').join(' ')), [
    '-y update',
    '--assume-yes install apt-transport-https',
    '--assume-yes install software-properties-common',
    '--assume-yes install open-iscsi',
    '--assume-yes dist-upgrade',
  ]);
  t.deepEqual(requests.map((r) => r.action), ['install', 'install', 'install', 'upgrade']);
  t.is(await readFile(join(h.root, 'etc/cloud/cloud.cfg.d/10_etc_hosts.cfg'), 'utf8'), 'manage_etc_hosts: localhost\n');
});

test('base: DIB_AVOID_PACKAGES_UPDATE=1 and DIB_SKIP_BASE_PACKAGE_INSTALL=1 skip; trixie has no software-properties-common', async (t) => {
  const requests: PackageRequest[] = [];
  const h = await createHarness({ elements: SEED(), env: { DIB_AVOID_PACKAGES_UPDATE: '1', DIB_SKIP_BASE_PACKAGE_INSTALL: '1', DIB_RELEASE: 'trixie' } });
  getPackageHooks(h.build).installPackages.tap({ name: 'spy', stage: -1 }, (_c, r) => void requests.push(r));
  for (const name of ['baseline-tools']) await h.runTap('preInstall', name);
  for (const name of ['baseline-environment', 'up-to-date']) await h.runTap('install', name);
  t.deepEqual(requests, [{ action: 'install', packages: ['apt-transport-https'] }]);
});

test('manifests: dir at extra-data; at cleanup the env/args files, the copy next to the image, 0600 in the image', async (t) => {
  const h = await createHarness({
    elements: [resolved(manifests, plugin('manifests'))],
    env: { DIB_MANIFEST_IMAGE_DIR: '/etc/dib-manifests', DIB_X: '1', DIB_ARGS: 'vm debian-minimal' },
  });
  await h.runPhase('extraData');
  t.true((await stat(join(h.root, 'etc/dib-manifests'))).isDirectory());
  await writeFile(join(h.root, 'etc/dib-manifests/dib-manifest-dpkg-image'), '{}');
  await h.runPhase('cleanup');
  const out = join(h.build.paths.outputBase + '.d', 'dib-manifests');
  t.deepEqual((await readdir(out)).sort(), ['dib-manifest-dpkg-image', 'dib_arguments', 'dib_environment']);
  t.is(await readFile(join(out, 'dib_arguments'), 'utf8'), 'vm debian-minimal\n');
  t.regex(await readFile(join(out, 'dib_environment'), 'utf8'), /declare -x DIB_X="1"/);
  for (const f of await readdir(join(h.root, 'etc/dib-manifests'))) {
    const st = await stat(join(h.root, 'etc/dib-manifests', f));
    t.is(st.mode & 0o777, 0o600, f);
    t.is(st.uid, 0);
  }
});

test('manifests: cleanup fails clearly when the dir is gone', async (t) => {
  const h = await createHarness({ elements: [resolved(manifests, plugin('manifests'))], env: { DIB_MANIFEST_IMAGE_DIR: '/etc/dib-manifests' } });
  await t.throwsAsync(h.runPhase('cleanup'), { message: /manifest directory \/etc\/dib-manifests does not exist/ });
});

test('formatDibEnvironment is sorted and quoted as bash export -p', (t) => {
  t.is(formatDibEnvironment({ DIB_B: '2', PATH: '/x', DIB_A: 'x`y', DIB_ENV: 'no', DIB_ARGS: 'no' }), 'declare -x DIB_A="x\\`y"\ndeclare -x DIB_B="2"');
  t.is(bashDeclareQuote('a\\b'), '"a\\\\b"');
});

test('install-types: DIB_INSTALLTYPE_<x> and the default select install.d/<prefix>-<type>-install/* links', async (t) => {
  const h = await createHarness({ elements: [resolved(installTypes, plugin('install-types'))], env: { DIB_INSTALLTYPE_my_el: 'package' } });
  const d = join(h.build.paths.hooksDir, 'install.d');
  for (const [dir, files] of [
    ['my-el-package-install', ['74-my-el']],
    ['my-el-source-install', ['74-my-el', '75-src-only']],
    ['other-source-install', ['50-other']],
    ['other-package-install', ['50-other']],
  ] as const) {
    await mkdir(join(d, dir), { recursive: true });
    for (const f of files) await writeFile(join(d, dir, f), '#!/bin/sh\n');
  }
  t.deepEqual(await planInstallTypeLinks(d, h.build.env, 'source'), [
    { name: '74-my-el', target: 'my-el-package-install/74-my-el' },
    { name: '50-other', target: 'other-source-install/50-other' },
  ]);
  await h.runPhase('extraData');
  t.is(await readlink(join(d, '74-my-el')), 'my-el-package-install/74-my-el');
  t.is(await readlink(join(d, '50-other')), 'other-source-install/50-other');
  t.false(await lstat(join(d, '75-src-only')).then(() => true, () => false));
  t.true(h.logs.some((l) => /install types: install-types=source/.test(l.message)));
});

test('install-bin: element bin/ tools to /usr/local/bin 0755', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bin-el-'));
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'my-tool'), '#!/bin/sh\necho hi\n', { mode: 0o600 });
  const h = await createHarness({ elements: [resolved(installBin, plugin('install-bin')), dirElement('tooly', dir)] });
  await h.runPhase('preInstall');
  const st = await stat(join(h.root, 'usr/local/bin/my-tool'));
  t.is(st.mode & 0o777, 0o755);
});

test('dib-init-system: validation with a clear error; the deprecated tool; init scripts', async (t) => {
  t.is(checkInitSystem({ DIB_INIT_SYSTEM: 'systemd' }), 'systemd');
  t.throws(() => checkInitSystem({}), { message: /DIB_INIT_SYSTEM is not set/ });
  t.throws(() => checkInitSystem({ DIB_INIT_SYSTEM: 'runit' }), { message: /Unrecognised init system: DIB_INIT_SYSTEM=runit/ });
  await t.throwsAsync(createHarness({ elements: [resolved(dibInitSystem, plugin('dib-init-system'))], env: { DIB_INIT_SYSTEM: 'bogus' } }), { message: /Unrecognised init system/ });

  const dir = await mkdtemp(join(tmpdir(), 'init-el-'));
  await mkdir(join(dir, 'init-scripts', 'systemd'), { recursive: true });
  await writeFile(join(dir, 'init-scripts', 'systemd', 'foo.service'), '[Unit]\n');
  const h = await createHarness({ elements: [resolved(dibInitSystem, plugin('dib-init-system')), dirElement('svc', dir)] });
  await h.runPhase('preInstall');
  await h.runPhase('install');
  t.is(await readFile(join(h.root, 'usr/local/bin/dib-init-system'), 'utf8'), '#!/bin/bash\necho systemd\n');
  t.is(await readFile(join(h.root, 'usr/lib/systemd/system/foo.service'), 'utf8'), '[Unit]\n');
});

test('sysprep: machine-id cleared in the chroot first in finalise (upstream 01-clear-machine-id)', async (t) => {
  const h = await createHarness({ elements: [resolved(sysprep, plugin('sysprep'))] });
  t.deepEqual(h.taps('finalise').map((x) => `${x.stage} ${x.name}`), ['1 clear-machine-id']);
  await h.runPhase('finalise');
  t.is(h.commands.length, 1);
  t.regex(h.commands[0]!.args[1]!, /: > \/etc\/machine-id/);
  t.regex(h.commands[0]!.args[1]!, /: > \/var\/lib\/dbus\/machine-id/);
});
