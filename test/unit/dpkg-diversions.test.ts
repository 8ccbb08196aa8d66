import test from 'ava';
import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import dpkg, { DIVERSIONS, dpkgManifestName, formatDpkgManifest, parseDpkgQuery, trustedKeyName, aptGetArgs } from '@dib/element-dpkg';
import manifests from '@dib/element-manifests';
import { createHarness, resolved } from './seed-harness.js';

const plugin = (name: string) => join(process.cwd(), 'plugins', name);
const exists = (p: string) => lstat(p).then(() => true, () => false);

/** A tiny Debian-like tree: merged /usr, start-stop-daemon, initctl, apt dirs. */
async function fakeRoot(root: string) {
  for (const d of ['usr/sbin', 'usr/bin', 'etc/apt/apt.conf.d', 'etc/apt/trusted.gpg.d', 'etc/dpkg/dpkg.cfg.d', 'var/lib/apt/lists', 'var/cache/apt/archives', 'tmp']) await mkdir(join(root, d), { recursive: true });
  await symlink('usr/sbin', join(root, 'sbin'));
  await writeFile(join(root, 'usr/sbin/start-stop-daemon'), 'REAL SSD');
  await writeFile(join(root, 'usr/sbin/initctl'), 'REAL INITCTL');
  await writeFile(join(root, 'var/lib/apt/lists/deb.debian.org_dists_bookworm_main_i18n_Translation-en'), 'x');
  await writeFile(join(root, 'var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease'), 'x');
}

test('dib plan order of dpkg taps', async (t) => {
  const h = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))] });
  const row = (hook: Parameters<typeof h.taps>[0]) => h.taps(hook).map((x) => `${x.stage} ${x.name}`);
  t.deepEqual(row('extraData'), ['1 copy-apt-keys']);
  t.deepEqual(row('root'), ['50 block-apt-translations', '50 block-daemons', '50 build-with-http-cache', '50 shared-apt-cache', '50 trim-dpkg']);
  t.deepEqual(row('preInstall'), ['0 disable-apt-recommends', '99 apt-get-update']);
  t.deepEqual(row('postRoot'), ['999 unmount-apt-cache']);
  t.deepEqual(row('finalise'), ['99 clean-up-cache', '99 write-dpkg-manifest']);
  t.deepEqual(row('cleanup'), ['40 unblock-daemons', '50 remove-apt-keys-dir', '50 remove-img-build-proxy', '60 untrim-dpkg']);
});

test('root diversions are made, and cleanup undoes every one', async (t) => {
  const h = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))], env: { DIB_APT_LOCAL_CACHE: '0', http_proxy: 'http://proxy:3128' } });
  await fakeRoot(h.root);
  await h.runPhase('root');
  const r = (p: string) => readFile(join(h.root, p), 'utf8');
  t.regex(await r('usr/sbin/policy-rc.d'), /exit 101/);
  t.is((await stat(join(h.root, 'usr/sbin/policy-rc.d'))).mode & 0o777, 0o755);
  t.is(await r('usr/sbin/start-stop-daemon.REAL'), 'REAL SSD');
  t.regex(await r('usr/sbin/start-stop-daemon'), /Fake start-stop-daemon/);
  t.is(await r('usr/sbin/initctl.REAL'), 'REAL INITCTL');
  t.true((await lstat(join(h.root, 'sbin'))).isSymbolicLink(), 'the /sbin link is untouched');
  t.is(await r(DIVERSIONS.aptSpeedup), 'force-unsafe-io\n');
  t.is(await r(DIVERSIONS.noLanguages), 'Acquire::Languages "none";\n');
  t.is(await r(DIVERSIONS.noTranslations), 'Acquire::Languages "none";\n');
  t.is(await r(DIVERSIONS.proxy), 'Acquire::http::Proxy "http://proxy:3128";\n');
  t.deepEqual(await readdir(join(h.root, 'var/lib/apt/lists')), ['deb.debian.org_dists_bookworm_InRelease']);

  await h.runPhase('preInstall');
  t.regex(await r(DIVERSIONS.disableRecommends), /APT::Install-Recommends "0";/);
  t.deepEqual(h.commands.map((c) => `${c.file} ${c.args.join(' ')}`), ['apt-get -y update']);

  await h.runPhase('cleanup');
  t.is(await r('usr/sbin/start-stop-daemon'), 'REAL SSD');
  t.is(await r('usr/sbin/initctl'), 'REAL INITCTL');
  for (const p of ['usr/sbin/policy-rc.d', 'usr/sbin/start-stop-daemon.REAL', 'usr/sbin/initctl.REAL', DIVERSIONS.aptSpeedup, DIVERSIONS.noLanguages, DIVERSIONS.proxy]) {
    t.false(await exists(join(h.root, p)), p);
  }
  // DIB keeps these two
  t.true(await exists(join(h.root, DIVERSIONS.noTranslations)));
  t.true(await exists(join(h.root, DIVERSIONS.disableRecommends)));
});

test('an absolute symlink in the image is resolved inside the image, never on the host', async (t) => {
  const h = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))], env: { DIB_APT_LOCAL_CACHE: '0' } });
  await fakeRoot(h.root);
  await mkdir(join(h.root, 'etc/dpkg/real.d'), { recursive: true });
  const { rm } = await import('node:fs/promises');
  await rm(join(h.root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  await symlink('/etc/dpkg/real.d', join(h.root, 'etc/dpkg/dpkg.cfg.d'));
  await h.runPhase('root');
  t.is(await readFile(join(h.root, 'etc/dpkg/real.d/02apt-speedup'), 'utf8'), 'force-unsafe-io\n');
});

test('copy-apt-keys: unset → a log line; set → tmp/apt_keys and trusted.gpg.d; cleanup drops the temp dir', async (t) => {
  const unset = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))] });
  await unset.runPhase('extraData');
  t.true(unset.logs.some((l) => /DIB_ADD_APT_KEYS is not set/.test(l.message)));
  t.false(await exists(join(unset.root, 'tmp/apt_keys')));

  const keys = await mkdtemp(join(tmpdir(), 'keys-'));
  await writeFile(join(keys, 'repo.asc'), '-----BEGIN PGP PUBLIC KEY BLOCK-----\n...');
  await writeFile(join(keys, 'other-key'), Buffer.from([0x99, 0x01, 0x0d]));
  const h = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))], env: { DIB_ADD_APT_KEYS: keys } });
  await fakeRoot(h.root);
  await h.runPhase('extraData');
  t.deepEqual((await readdir(join(h.root, 'tmp/apt_keys'))).sort(), ['other-key', 'repo.asc']);
  t.deepEqual((await readdir(join(h.root, 'etc/apt/trusted.gpg.d'))).sort(), ['other-key.gpg', 'repo.asc']);
  await h.runPhase('cleanup');
  t.false(await exists(join(h.root, 'tmp/apt_keys')));
  t.true(await exists(join(h.root, 'etc/apt/trusted.gpg.d/repo.asc')));

  const bad = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))], env: { DIB_ADD_APT_KEYS: join(keys, 'nope') } });
  await t.throwsAsync(bad.runPhase('extraData'), { message: /DIB_ADD_APT_KEYS=.*nope is not a directory/ });
});

test('finalise: apt-get clean (unless DIB_DISABLE_APT_CLEANUP=1) and the dpkg manifest', async (t) => {
  const out = 'adduser\tall\t3.134\tii \nlibc6:amd64\tamd64\t2.36-9+deb12u4\tii \n';
  const h = await createHarness({
    elements: [resolved(dpkg, plugin('dpkg')), resolved(manifests, plugin('manifests'))],
    env: { DIB_MANIFEST_IMAGE_DIR: '/etc/dib-manifests', IMAGE_NAME: '/out/dir/my-image' },
    respond: (file) => (file === 'dpkg-query' ? { stdout: out } : undefined),
  });
  await h.runPhase('finalise');
  t.deepEqual(h.commands.map((c) => c.file), ['apt-get', 'dpkg-query']);
  const manifest = await readFile(join(h.root, 'etc/dib-manifests/dib-manifest-dpkg-my-image'), 'utf8');
  t.deepEqual(JSON.parse(manifest), {
    packages: [
      { package: 'adduser', arch: 'all', version: '3.134', status: 'ii ' },
      { package: 'libc6:amd64', arch: 'amd64', version: '2.36-9+deb12u4', status: 'ii ' },
    ],
  });
  t.is(manifest.split('\n')[0], '{"packages": [');

  const off = await createHarness({ elements: [resolved(dpkg, plugin('dpkg'))], env: { DIB_DISABLE_APT_CLEANUP: '1' } });
  await off.runPhase('finalise');
  t.deepEqual(off.commands.map((c) => c.file), ['dpkg-query']);
});

test('pure helpers', (t) => {
  t.is(dpkgManifestName('/a/b/ubuntu.qcow2'), 'dib-manifest-dpkg-ubuntu.qcow2');
  t.is(dpkgManifestName('image'), 'dib-manifest-dpkg-image');
  t.deepEqual(parseDpkgQuery(''), []);
  t.is(formatDpkgManifest([]), '{"packages": [\n]}\n');
  t.is(trustedKeyName('k.gpg', Buffer.from('x')), 'k.gpg');
  t.is(trustedKeyName('k', Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----')), 'k.asc');
  t.deepEqual(aptGetArgs('upgrade', ['ignored']), ['-o', 'Dpkg::Options::=--force-confold', '-o', 'Dpkg::Options::=--force-confdef', '--assume-yes', 'dist-upgrade']);
});
