import test from 'ava';
import { bootstrapCommand, resolveBootstrapSettings } from '@dib/element-debootstrap';

const both = { mmdebstrap: true, debootstrap: true };
const debEnv = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian', ARCH: 'amd64' };
const K = '/usr/share/keyrings/debian-archive-keyring.gpg';

test('mmdebstrap: minbase, arch, components, include, keyring, release, target, sources', (t) => {
  const s = resolveBootstrapSettings({
    env: { ...debEnv, DIB_DEBIAN_COMPONENTS: 'main,contrib' },
    include: ['sudo', 'python3'],
    sources: ['deb http://deb.debian.org/debian bookworm main contrib', 'deb http://deb.debian.org/debian bookworm-updates main contrib'],
    available: both,
  });
  const plan = bootstrapCommand(s, '/w/root');
  t.is(plan.file, 'mmdebstrap');
  t.deepEqual(plan.args, [
    '--verbose',
    '--variant=minbase',
    '--architectures=amd64',
    '--components=main,contrib',
    '--include=python3,sudo,tzdata',
    `--keyring=${K}`,
    '--skip=cleanup/apt/lists',
    'bookworm',
    '/w/root',
    'deb http://deb.debian.org/debian bookworm main contrib',
    'deb http://deb.debian.org/debian bookworm-updates main contrib',
  ]);
  t.false(plan.args.some((a) => /no-check|trusted=yes|AllowUnauth/i.test(a)));
});

test('mmdebstrap: shared apt archive hooks and DIB_MMDEBSTRAP_EXTRA_ARGS before the release', (t) => {
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_MMDEBSTRAP_EXTRA_ARGS: `--aptopt='Acquire::Retries "3"'` }, available: both });
  const plan = bootstrapCommand(s, '/w/root', { aptArchiveDir: "/c/apt/debian" });
  const i = plan.args.indexOf('bookworm');
  t.true(plan.args.includes('--skip=essential/unlink'));
  const setup = plan.args.find((a) => a.startsWith('--setup-hook='))!;
  const custom = plan.args.find((a) => a.startsWith('--customize-hook='))!;
  t.regex(setup, /'\/c\/apt\/debian'\/\*\.deb/);
  t.regex(setup, /"\$1"\/var\/cache\/apt\/archives/);
  t.regex(custom, /mv -f '\/c\/apt\/debian'/);
  t.is(plan.args[i - 1], 'Acquire::Retries "3"'.replace(/^/, '--aptopt='));
  t.true(plan.args.indexOf(setup) < i);
});

test('debootstrap: DIB argument order, keyring, never unauthenticated, cache dir', (t) => {
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }, include: ['sudo'], available: both });
  const plan = bootstrapCommand(s, '/w/root', { aptArchiveDir: '/c/apt/debian' });
  t.is(plan.file, 'debootstrap');
  t.deepEqual(plan.args, [
    '--verbose',
    '--variant=minbase',
    '--components=main',
    '--arch=amd64',
    `--keyring=${K}`,
    '--force-check-gpg',
    '--include=sudo,tzdata',
    '--cache-dir=/c/apt/debian',
    'bookworm',
    '/w/root',
    'http://deb.debian.org/debian',
  ]);
});

test('debootstrap: extra args and script are passed through; --keyring in extra args replaces ours', (t) => {
  const s = resolveBootstrapSettings({
    env: { ...debEnv, DIB_APT_KEYRING: '/k/mine.gpg', DIB_DEBOOTSTRAP_EXTRA_ARGS: '--no-merged-usr --keyring=/k/extra.gpg', DIB_DEBIAN_DEBOOTSTRAP_SCRIPT: '/s/bookworm' },
    available: both,
  });
  const plan = bootstrapCommand(s, '/w/root');
  t.is(plan.file, 'debootstrap');
  t.deepEqual(plan.args.filter((a) => a.startsWith('--keyring')), ['--keyring=/k/extra.gpg']);
  t.deepEqual(plan.args.slice(-6), ['--no-merged-usr', '--keyring=/k/extra.gpg', 'bookworm', '/w/root', 'http://deb.debian.org/debian', '/s/bookworm']);
  t.true(plan.args.includes('--force-check-gpg'));
});

test('arm64 and testing', (t) => {
  const s = resolveBootstrapSettings({ env: { ...debEnv, ARCH: 'arm64', DIB_RELEASE: 'testing' }, available: both });
  const plan = bootstrapCommand(s, '/r');
  t.true(plan.args.includes('--architectures=arm64'));
  t.deepEqual(plan.args.slice(-3), ['testing', '/r', 'deb http://deb.debian.org/debian testing main']);
  const d = bootstrapCommand(resolveBootstrapSettings({ env: { ...debEnv, ARCH: 'arm64', DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }, available: both }), '/r');
  t.true(d.args.includes('--arch=arm64'));
});

test('a custom keyring goes to mmdebstrap', (t) => {
  const plan = bootstrapCommand(resolveBootstrapSettings({ env: { ...debEnv, DIB_APT_KEYRING: '/k/mine.gpg' }, available: both }), '/r');
  t.is(plan.file, 'mmdebstrap');
  t.true(plan.args.includes('--keyring=/k/mine.gpg'));
});
