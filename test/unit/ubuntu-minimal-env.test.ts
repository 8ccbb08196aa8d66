import test from 'ava';
import { bootstrapCommand, resolveBootstrapSettings } from '@dib/element-debootstrap';
import ubuntuMinimal, { ubuntuBasePackages, ubuntuEnvironment, ubuntuKernelPackages, ubuntuSourcesLines, ubuntuSourcesList, UBUNTU_PACKAGES } from '@dib/element-ubuntu-minimal';

const env = (e: Record<string, string> = {}): Record<string, string> => ({ ARCH: 'amd64', ...e, ...ubuntuEnvironment({ ARCH: 'amd64', ...e }) });
const both = { mmdebstrap: true, debootstrap: true };

test('element shape', (t) => {
  t.is(ubuntuMinimal.name, 'ubuntu-minimal');
  t.deepEqual(ubuntuMinimal.deps, ['debootstrap', 'package-installs', 'ubuntu-common']);
  t.deepEqual(ubuntuMinimal.provides, ['operating-system']);
});

test('ubuntu-common defaults', (t) => {
  const e = env();
  t.is(e.DISTRO_NAME, 'ubuntu');
  t.is(e.DIB_RELEASE, 'noble');
  t.is(e.DIB_DEBIAN_COMPONENTS, 'main,universe');
  t.is(e.DIB_DISTRIBUTION_MIRROR, 'http://archive.ubuntu.com/ubuntu');
  t.is(e.EFI_BOOT_DIR, 'EFI/ubuntu');
  t.is(e.DIB_INIT_SYSTEM, 'systemd');
  t.is(e.DIB_UBUNTU_KERNEL, 'linux-image-generic');
  t.is(e.DIB_UBUNTU_MIRROR_DISTS, 'updates,security,backports');
  t.is(env({ DIB_RELEASE: 'trusty' }).DIB_INIT_SYSTEM, 'upstart');
  // as upstream's 10-ubuntu-distro-name.bash: DISTRO_NAME=${DISTRO_NAME:-ubuntu}
  t.is(env({ DISTRO_NAME: 'debian' }).DISTRO_NAME, 'debian');
  t.is(env({ DIB_INIT_SYSTEM: 'sysv' }).DIB_INIT_SYSTEM, 'systemd');
});

test('ports mirror for arm64 and other ports architectures; the user\'s mirror wins', (t) => {
  t.is(env({ ARCH: 'arm64' }).DIB_DISTRIBUTION_MIRROR, 'http://ports.ubuntu.com/ubuntu-ports');
  t.is(env({ ARCH: 'aarch64' }).DIB_DISTRIBUTION_MIRROR, 'http://ports.ubuntu.com/ubuntu-ports');
  t.is(env({ ARCH: 'ppc64el' }).DIB_DISTRIBUTION_MIRROR, 'http://ports.ubuntu.com/ubuntu-ports');
  t.is(env({ ARCH: 's390x' }).DIB_DISTRIBUTION_MIRROR, 'http://ports.ubuntu.com/ubuntu-ports');
  t.is(env({ ARCH: 'x86_64' }).DIB_DISTRIBUTION_MIRROR, 'http://archive.ubuntu.com/ubuntu');
  t.is(env({ ARCH: 'arm64', DIB_DISTRIBUTION_MIRROR: 'http://m/ubuntu' }).DIB_DISTRIBUTION_MIRROR, 'http://m/ubuntu');
});

test('sources.list as DIB writes it: release, then each dist from the same mirror', (t) => {
  t.is(
    ubuntuSourcesList(env()),
    [
      'deb http://archive.ubuntu.com/ubuntu noble main universe',
      'deb http://archive.ubuntu.com/ubuntu noble-updates main universe',
      'deb http://archive.ubuntu.com/ubuntu noble-security main universe',
      'deb http://archive.ubuntu.com/ubuntu noble-backports main universe',
      '',
    ].join('\n'),
  );
  t.deepEqual(ubuntuSourcesLines(env({ DIB_UBUNTU_MIRROR_DISTS: '', DIB_RELEASE: 'jammy', DIB_DEBIAN_COMPONENTS: 'main' })), ['deb http://archive.ubuntu.com/ubuntu jammy main']);
  t.deepEqual(ubuntuSourcesLines(env({ ARCH: 'arm64', DIB_UBUNTU_MIRROR_DISTS: 'updates' })), [
    'deb http://ports.ubuntu.com/ubuntu-ports noble main universe',
    'deb http://ports.ubuntu.com/ubuntu-ports noble-updates main universe',
  ]);
});

test('kernel rules', (t) => {
  t.deepEqual(ubuntuKernelPackages(env()), ['linux-image-generic']);
  t.deepEqual(ubuntuKernelPackages(env({ ARCH: 'arm64' })), ['linux-image-generic']);
  t.deepEqual(ubuntuKernelPackages(env({ ARCH: 'arm64', DIB_RELEASE: 'xenial' })), ['linux-generic-hwe-16.04']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-kvm' })), ['linux-image-kvm']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-kvm', ARCH: 'arm64' })), []);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-virtual' })), ['linux-image-virtual']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-hwe' })), ['linux-generic-hwe-24.04']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-hwe', DIB_RELEASE: 'jammy' })), ['linux-generic-hwe-22.04']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-hwe', DIB_RELEASE: 'bionic' })), ['linux-generic-hwe-18.04']);
  t.deepEqual(ubuntuKernelPackages(env({ DIB_UBUNTU_KERNEL: 'linux-image-hwe', DIB_RELEASE: 'oracular' })), []);
  // the declared package-installs carry the same rules
  t.deepEqual(UBUNTU_PACKAGES['linux-generic-hwe-24.04'], { when: ['DIB_UBUNTU_KERNEL = linux-image-hwe', 'DIB_RELEASE = noble'] });
  t.true(Array.isArray(UBUNTU_PACKAGES['linux-image-generic']));
  t.is(UBUNTU_PACKAGES['initramfs-tools'], null);
});

test('base packages: systemd-sysv except trusty/xenial', (t) => {
  t.deepEqual(ubuntuBasePackages(env()), ['systemd-sysv', 'busybox', 'sudo', 'python3']);
  t.false(ubuntuBasePackages(env({ DIB_RELEASE: 'xenial' })).includes('systemd-sysv'));
});

test('Ubuntu bootstrap arguments: Ubuntu keyring, main+universe, sources from the mirror', (t) => {
  const e = env();
  const s = resolveBootstrapSettings({ env: e, include: ubuntuBasePackages(e), preseed: [...ubuntuKernelPackages(e), 'initramfs-tools'], sources: ubuntuSourcesLines(e), available: both });
  const plan = bootstrapCommand(s, '/r');
  t.is(plan.file, 'mmdebstrap');
  t.true(plan.args.includes('--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg'));
  t.true(plan.args.includes('--components=main,universe'));
  t.true(plan.args.includes('--include=busybox,python3,sudo,systemd-sysv,tzdata'));
  t.true(plan.args.includes('--include=?and(?or(?exact-name(initramfs-tools),?exact-name(linux-image-generic)),?version(.))'));
  t.deepEqual(plan.args.slice(-6), ['noble', '/r', ...ubuntuSourcesLines(e)]);
});

test('Ubuntu with debootstrap: mirror alone, arm64 ports', (t) => {
  const e = env({ ARCH: 'arm64', DIB_DEBOOTSTRAP_TOOL: 'debootstrap' });
  const s = resolveBootstrapSettings({ env: e, sources: ubuntuSourcesLines(e), available: both });
  const plan = bootstrapCommand(s, '/r');
  t.is(plan.file, 'debootstrap');
  t.true(plan.args.includes('--arch=arm64'));
  t.deepEqual(plan.args.slice(-3), ['noble', '/r', 'http://ports.ubuntu.com/ubuntu-ports']);
  t.true(plan.args.includes('--force-check-gpg'));
});
