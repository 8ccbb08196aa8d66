import test from 'ava';
import { isDibError } from '@dib/core';
import { resolveBootstrapSettings, normaliseArch, chooseTool, splitWords, splitList } from '@dib/element-debootstrap';

const both = { mmdebstrap: true, debootstrap: true };
const debEnv = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian', ARCH: 'amd64' };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isDibError(e) ? e.code : `not a DibError: ${String(e)}`;
  }
  return undefined;
}

test('splitWords splits like sh, with quotes and escapes', (t) => {
  t.deepEqual(splitWords(''), []);
  t.deepEqual(splitWords('  --a  --b=c '), ['--a', '--b=c']);
  t.deepEqual(splitWords(`--include="a b" 'c d' e\\ f`), ['--include=a b', 'c d', 'e f']);
  t.deepEqual(splitWords(`""`), ['']);
  t.is(code(() => splitWords(`'open`, 'DIB_DEBOOTSTRAP_EXTRA_ARGS')), 'E_CONFIG_VALUE');
  t.deepEqual(splitList('main, contrib non-free'), ['main', 'contrib', 'non-free']);
});

test('normaliseArch maps kernel names to Debian names', (t) => {
  t.is(normaliseArch('x86_64'), 'amd64');
  t.is(normaliseArch('aarch64'), 'arm64');
  t.is(normaliseArch('arm64'), 'arm64');
  t.is(normaliseArch('ppc64le'), 'ppc64el');
  t.is(normaliseArch('i686'), 'i386');
  t.is(normaliseArch('s390x'), 's390x');
});

test('defaults: mmdebstrap, minbase, main, Debian keyring, tzdata included, cache on', (t) => {
  const s = resolveBootstrapSettings({ env: debEnv, available: both });
  t.is(s.tool, 'mmdebstrap');
  t.is(s.variant, 'minbase');
  t.deepEqual(s.components, ['main']);
  t.is(s.keyring, '/usr/share/keyrings/debian-archive-keyring.gpg');
  t.is(s.keyringFrom, 'default');
  t.deepEqual(s.include, ['tzdata']);
  t.deepEqual(s.sources, ['deb http://deb.debian.org/debian bookworm main']);
  t.true(s.cache);
  t.is(s.maxAgeDays, undefined);
});

test('include is unique and sorted; components split on commas', (t) => {
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBIAN_COMPONENTS: 'main,contrib' }, include: ['sudo', 'busybox', 'sudo', ' '], available: both });
  t.deepEqual(s.include, ['busybox', 'sudo', 'tzdata']);
  t.deepEqual(s.components, ['main', 'contrib']);
  t.deepEqual(s.sources, ['deb http://deb.debian.org/debian bookworm main contrib']);
});

test('sources from the OS element are used by mmdebstrap only', (t) => {
  const sources = ['deb http://m/debian bookworm main', 'deb http://m/debian bookworm-updates main'];
  t.deepEqual(resolveBootstrapSettings({ env: debEnv, sources, available: both }).sources, sources);
  const d = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }, sources, available: both });
  t.deepEqual(d.sources, ['deb http://deb.debian.org/debian bookworm main']);
});

test('arm64 and the ARCH spelling', (t) => {
  t.is(resolveBootstrapSettings({ env: { ...debEnv, ARCH: 'aarch64' }, available: both }).arch, 'arm64');
});

test('missing DISTRO_NAME / DIB_RELEASE / mirror / ARCH are config errors naming the variable', (t) => {
  for (const v of ['DISTRO_NAME', 'DIB_RELEASE', 'DIB_DISTRIBUTION_MIRROR', 'ARCH'] as const) {
    const env: Record<string, string> = { ...debEnv };
    delete env[v];
    const err = t.throws(() => resolveBootstrapSettings({ env, available: both }));
    t.true(isDibError(err));
    t.regex(err!.message, new RegExp(v));
  }
});

test('keyring: DIB_APT_KEYRING > DIB_DEBIAN_KEYRING > distro default; must be absolute', (t) => {
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DIB_APT_KEYRING: '/k/a.gpg', DIB_DEBIAN_KEYRING: '/k/b.gpg' }, available: both }).keyring, '/k/a.gpg');
  const legacy = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBIAN_KEYRING: '/k/b.gpg' }, available: both });
  t.is(legacy.keyring, '/k/b.gpg');
  t.is(legacy.keyringFrom, 'DIB_DEBIAN_KEYRING');
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DISTRO_NAME: 'ubuntu' }, available: both }).keyring, '/usr/share/keyrings/ubuntu-archive-keyring.gpg');
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DIB_APT_KEYRING: 'rel.gpg' }, available: both })), 'E_CONFIG_VALUE');
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DISTRO_NAME: 'devuan' }, available: both })), 'E_CONFIG_VALUE');
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DISTRO_NAME: 'devuan', DIB_APT_KEYRING: '/k/devuan.gpg' }, available: both }).keyring, '/k/devuan.gpg');
});

test('a keyring (alone) keeps mmdebstrap; a --keyring in extra args overrides DIB_APT_KEYRING', (t) => {
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DIB_APT_KEYRING: '/k/a.gpg' }, available: both }).tool, 'mmdebstrap');
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_APT_KEYRING: '/k/a.gpg', DIB_DEBOOTSTRAP_EXTRA_ARGS: '--keyring=/k/x.gpg' }, available: both });
  t.is(s.tool, 'debootstrap');
  t.is(s.keyring, '/k/x.gpg');
  t.is(s.keyringFrom, 'DIB_DEBOOTSTRAP_EXTRA_ARGS');
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_EXTRA_ARGS: '--keyring /k/y.gpg' }, available: both }).keyring, '/k/y.gpg');
});

test('extra args or a script → debootstrap (DIB rule); neither tool → host tool error', (t) => {
  const e = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_EXTRA_ARGS: '--no-merged-usr' }, available: both });
  t.is(e.tool, 'debootstrap');
  t.deepEqual(e.extraArgs, ['--no-merged-usr']);
  const s = resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBIAN_DEBOOTSTRAP_SCRIPT: '/usr/share/debootstrap/scripts/sid' }, available: both });
  t.is(s.tool, 'debootstrap');
  t.is(s.script, '/usr/share/debootstrap/scripts/sid');
  t.is(resolveBootstrapSettings({ env: debEnv, available: { mmdebstrap: false, debootstrap: true } }).tool, 'debootstrap');
  t.is(code(() => resolveBootstrapSettings({ env: debEnv, available: { mmdebstrap: false, debootstrap: false } })), 'E_HOST_TOOL_MISSING');
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_EXTRA_ARGS: '--foo' }, available: { mmdebstrap: true, debootstrap: false } })), 'E_HOST_TOOL_MISSING');
});

test('DIB_DEBOOTSTRAP_TOOL forces a tool, checked', (t) => {
  t.is(chooseTool({ DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }, both, undefined), 'debootstrap');
  t.is(code(() => chooseTool({ DIB_DEBOOTSTRAP_TOOL: 'cdebootstrap' }, both, undefined)), 'E_CONFIG_VALUE');
  t.is(code(() => chooseTool({ DIB_DEBOOTSTRAP_TOOL: 'mmdebstrap' }, { mmdebstrap: false, debootstrap: true }, undefined)), 'E_HOST_TOOL_MISSING');
  t.is(code(() => chooseTool({ DIB_DEBOOTSTRAP_TOOL: 'mmdebstrap' }, both, 'DIB_DEBOOTSTRAP_EXTRA_ARGS')), 'E_CONFIG_VALUE');
});

test('signature checks cannot be turned off', (t) => {
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_EXTRA_ARGS: '--no-check-gpg' }, available: both })), 'E_CONFIG_VALUE');
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DIB_MMDEBSTRAP_EXTRA_ARGS: `--aptopt='APT::Get::AllowUnauthenticated "true"'` }, available: both })), 'E_CONFIG_VALUE');
  t.is(code(() => resolveBootstrapSettings({ env: debEnv, sources: ['deb [trusted=yes] http://x/ bookworm main'], available: both })), 'E_CONFIG_VALUE');
});

test('cache switches: DIB_DEBOOTSTRAP_CACHE=0, max age', (t) => {
  t.false(resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_CACHE: '0' }, available: both }).cache);
  t.true(resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_CACHE: '1' }, available: both }).cache);
  t.is(resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '7' }, available: both }).maxAgeDays, 7);
  t.is(code(() => resolveBootstrapSettings({ env: { ...debEnv, DIB_DEBOOTSTRAP_CACHE_MAX_AGE: 'week' }, available: both })), 'E_CONFIG_VALUE');
});
