import test from 'ava';
import { bootstrapCommand, resolveBootstrapSettings } from '@dib/element-debootstrap';
import debianMinimal, { DEBIAN_BASE_PACKAGES, debianBootstrapSources, debianEnvironment, defaultSourcesConf, securitySubpath } from '@dib/element-debian-minimal';

const env = (e: Record<string, string> = {}) => debianEnvironment({ ARCH: 'amd64', ...e });

test('element shape', (t) => {
  t.is(debianMinimal.name, 'debian-minimal');
  t.deepEqual(debianMinimal.deps, ['debootstrap', 'pkg-map']);
  t.deepEqual(debianMinimal.provides, ['operating-system']);
  t.deepEqual(Object.keys(debianMinimal.packages ?? {}).sort(), ['initramfs-tools', 'linux-image-686', 'linux-image-amd64', 'linux-image-arm64', 'netbase']);
});

test('DIB defaults: stable, systemd, EFI/debian, deb.debian.org, main', (t) => {
  const e = env();
  t.is(e.DISTRO_NAME, 'debian');
  t.is(e.DIB_RELEASE, 'stable');
  t.is(e.DIB_INIT_SYSTEM, 'systemd');
  t.is(e.EFI_BOOT_DIR, 'EFI/debian');
  t.is(e.DIB_DISTRIBUTION_MIRROR, 'http://deb.debian.org/debian');
  t.is(e.DIB_DEBIAN_COMPONENTS, 'main');
  t.is(
    e.DIB_APT_SOURCES_CONF,
    [
      'default:deb http://deb.debian.org/debian stable main',
      'updates:deb http://deb.debian.org/debian stable-updates main',
      'security:deb http://security.debian.org/debian-security stable-security main',
    ].join('\n'),
  );
});

test('DISTRO_NAME is forced; the release is the user\'s', (t) => {
  const e = env({ DISTRO_NAME: 'ubuntu', DIB_RELEASE: 'bookworm' });
  t.is(e.DISTRO_NAME, 'debian');
  t.is(e.DIB_RELEASE, 'bookworm');
});

test('mirror precedence: DIB_DEBIAN_DISTRIBUTION_MIRROR > DIB_DISTRIBUTION_MIRROR > default', (t) => {
  t.is(env({ DIB_DISTRIBUTION_MIRROR: 'http://b/debian' }).DIB_DISTRIBUTION_MIRROR, 'http://b/debian');
  t.is(env({ DIB_DISTRIBUTION_MIRROR: 'http://b/debian', DIB_DEBIAN_DISTRIBUTION_MIRROR: 'http://a/debian' }).DIB_DISTRIBUTION_MIRROR, 'http://a/debian');
  const e = env({ DIB_DEBIAN_DISTRIBUTION_MIRROR: 'http://a/debian', DIB_RELEASE: 'bookworm' });
  t.regex(e.DIB_APT_SOURCES_CONF!, /^default:deb http:\/\/a\/debian bookworm main$/m);
  t.regex(e.DIB_APT_SOURCES_CONF!, /^updates:deb http:\/\/a\/debian bookworm-updates main$/m);
});

test('security mirror and suite', (t) => {
  const e = env({ DIB_RELEASE: 'bookworm', DIB_DEBIAN_SECURITY_MIRROR: 'http://sec.example/debian-security', DIB_DEBIAN_COMPONENTS: 'main,contrib' });
  t.regex(e.DIB_APT_SOURCES_CONF!, /^security:deb http:\/\/sec\.example\/debian-security bookworm-security main contrib$/m);
  t.is(e.DIB_DEBIAN_COMPONENTS_WS, 'main contrib');
  t.is(securitySubpath({}, 'buster'), '/updates');
  t.is(securitySubpath({}, 'bookworm'), '-security');
  t.is(securitySubpath({ DIB_DEBIAN_SECURITY_SUBPATH: '/updates' }, 'bookworm'), '/updates');
  t.regex(env({ DIB_RELEASE: 'buster' }).DIB_APT_SOURCES_CONF!, / buster\/updates main$/m);
});

test('testing and unstable get the default source only', (t) => {
  t.is(env({ DIB_RELEASE: 'testing' }).DIB_APT_SOURCES_CONF, 'default:deb http://deb.debian.org/debian testing main');
  t.is(env({ DIB_RELEASE: 'unstable' }).DIB_APT_SOURCES_CONF, 'default:deb http://deb.debian.org/debian unstable main');
});

test('a DIB_APT_SOURCES_CONF of the user\'s is kept, and then the bootstrap uses the mirror alone', (t) => {
  const mine = 'default:deb http://m/debian bookworm main\nextra:deb http://vendor/ bookworm stable';
  const e = env({ DIB_APT_SOURCES_CONF: mine, DIB_RELEASE: 'bookworm' });
  t.is(e.DIB_APT_SOURCES_CONF, mine);
  t.deepEqual(debianBootstrapSources(e), []);
  const d = env({ DIB_RELEASE: 'bookworm' });
  t.deepEqual(debianBootstrapSources(d), [
    'deb http://deb.debian.org/debian bookworm main',
    'deb http://deb.debian.org/debian bookworm-updates main',
    'deb http://security.debian.org/debian-security bookworm-security main',
  ]);
  t.is(defaultSourcesConf(d), d.DIB_APT_SOURCES_CONF);
});

test('bootstrap packages: the base install (kernel, netbase, initramfs-tools are preseeded through package-installs)', (t) => {
  t.deepEqual([...DEBIAN_BASE_PACKAGES], ['systemd-sysv', 'busybox', 'sudo', 'gnupg2', 'python3']);
});

test('Debian bookworm arm64 bootstrap command', (t) => {
  const e = { ...env({ DIB_RELEASE: 'bookworm', ARCH: 'arm64' }), ARCH: 'arm64' };
  const s = resolveBootstrapSettings({ env: e, include: DEBIAN_BASE_PACKAGES, preseed: ['linux-image-arm64'], sources: debianBootstrapSources(e), available: { mmdebstrap: true, debootstrap: true } });
  const plan = bootstrapCommand(s, '/r');
  t.true(plan.args.includes('--architectures=arm64'));
  t.true(plan.args.includes('--keyring=/usr/share/keyrings/debian-archive-keyring.gpg'));
  t.true(plan.args.includes('--include=busybox,gnupg2,python3,sudo,systemd-sysv,tzdata'));
  t.true(plan.args.includes('--include=?and(?or(?exact-name(linux-image-arm64)),?version(.))'));
  t.deepEqual(plan.args.slice(-5), ['bookworm', '/r', ...debianBootstrapSources(e)]);
});
