/**
 * DIB parity on a real Debian bookworm image (debian-minimal, bootstrapped once and cached in
 * DIB_TEST_CACHE): fixture elements in DIB's format (test/fixtures/parity) and upstream's own
 * baremetal element (from python3-diskimage-builder, when installed):
 *  - debconf answers in pre-install.d reach postfix, installed by package-installs in install.d
 *    (the bootstrapped root holds only DIB's root.d packages);
 *  - debootstrap depends on modprobe: DIB_MODPROBE_BLACKLIST works in a plain debian-minimal;
 *  - install-static's rsync -lCr (rsync installed, CVS-ignored names skipped);
 *  - source-repositories: the git checkout, git in the image, /etc/dib-source-repositories and
 *    dib-manifest-git-<image>;
 *  - $_LIB: upstream's baremetal puts the kernel and initrd next to the image.
 * Needs root, mmdebstrap and the Debian mirror (or the cached root).
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { gitRepo } from '../helpers/git.js';
import { TEST_CACHE, TEST_MIRROR } from '../helpers/debian-root.js';
import { HAVE_UPSTREAM, UPSTREAM_ELEMENTS } from '../helpers/upstream.js';

async function mirrorReachable(): Promise<boolean> {
  try {
    return (await fetch(`${TEST_MIRROR}/dists/bookworm/Release`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/mmdebstrap') && (await mirrorReachable());
const run = canRun ? test.serial : test.skip;

run('debian-minimal with DIB fixture elements gives DIB content: debconf before install, modprobe, rsync static, source repositories, baremetal', async (t) => {
  t.timeout(40 * 60 * 1000);
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  // a git repository for source-repositories
  const repo = path.join(dir, 'repo');
  const git = await gitRepo(repo);
  await fs.writeFile(path.join(repo, 'README'), 'parity\n');
  await git('add', '.');
  await git('commit', '-qm', 'one');
  const sha = (await git('rev-parse', 'HEAD')).trim();
  // upstream's baremetal, alone on ELEMENTS_PATH (the rest of upstream's elements would replace dib's)
  const upstream = path.join(dir, 'upstream');
  await fs.ensureDir(upstream);
  const elements = ['debian-minimal', 'parity-postfix', 'parity-static', 'parity-repos'];
  if (HAVE_UPSTREAM) {
    await fs.symlink(path.join(UPSTREAM_ELEMENTS, 'baremetal'), path.join(upstream, 'baremetal'));
    elements.push('baremetal');
  }
  const t0 = Date.now();
  const r = await dib(['build', '-n', '-o', 'deb', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(TEST_CACHE, 'dib'), ...elements], {
    cwd: dir,
    timeout: 40 * 60 * 1000,
    env: {
      ELEMENTS_PATH: `${path.join(FIXTURES, 'parity')}:${upstream}`,
      DIB_RELEASE: 'bookworm',
      DIB_DISTRIBUTION_MIRROR: TEST_MIRROR,
      DIB_MODPROBE_BLACKLIST: 'floppy pcspkr',
      DIB_PARITY_GIT_REPO: repo,
    },
  });
  t.log(`build took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  t.is(r.exitCode, 0, r.all.split('\n').slice(-60).join('\n'));
  const tar = path.join(dir, 'deb.tar');
  const list = new Set((await execa('tar', ['-tf', tar])).stdout.split('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout;

  // 1: postfix configured with the pre-install.d answers
  t.regex(await cat('./etc/postfix/main.cf'), /^inet_interfaces = loopback-only$/m);
  t.is(await cat('./etc/mailname'), 'parity.example.org');
  t.notRegex(r.stderr, /DIB_DEBOOTSTRAP_PRESEED=1/);
  // 4: debootstrap → modprobe
  t.is(await cat('./etc/modprobe.d/blacklist.conf'), 'blacklist floppy\nblacklist pcspkr');
  // install-static with rsync -lCr: rsync installed by its package-installs, CVS names skipped
  t.true(list.has('./usr/bin/rsync'));
  t.is(await cat('./etc/parity/kept.conf'), 'kept');
  t.false(list.has('./etc/parity/core'));
  t.false(list.has('./etc/parity/kept.conf~'));
  // source-repositories: checkout, git in the image, DIB's two records
  t.is(await cat('./opt/parity-git/README'), 'parity');
  t.true(list.has('./usr/bin/git'));
  t.is(await cat('./etc/dib-source-repositories'), '/opt/parity-git');
  t.is(await cat('./etc/dib-manifests/dib-manifest-git-deb'), `parity-git git /opt/parity-git ${repo} ${sha}`);
  t.true(await fs.pathExists(path.join(dir, 'deb.d', 'dib-manifests', 'dib-manifest-git-deb')));
  // dib_environment: the caller's DIB_* only
  const recorded = await fs.readFile(path.join(dir, 'deb.d', 'dib-manifests', 'dib_environment'), 'utf8');
  t.regex(recorded, /^declare -x DIB_MODPROBE_BLACKLIST="floppy pcspkr"$/m);
  t.notRegex(recorded, /DIB_DEBOOTSTRAP_DEFAULT_LOCALE|DIB_MANIFEST_IMAGE_DIR|DIB_APT_SOURCES_CONF/);
  // 6: upstream's baremetal ($_LIB/img-functions) put the kernel and initrd next to the image
  if (HAVE_UPSTREAM) {
    const kernel = (await execa('tar', ['-tf', tar])).stdout.split('\n').find((p) => /^\.\/boot\/vmlinuz-/.test(p))!;
    t.truthy(kernel);
    const sha = async (cmd: string) => (await execa('bash', ['-c', `${cmd} | sha256sum`])).stdout;
    t.is(await sha(`cat ${path.join(dir, 'deb.vmlinuz')}`), await sha(`tar -xOf ${tar} ${kernel}`), 'deb.vmlinuz is the image kernel');
    t.true((await fs.stat(path.join(dir, 'deb.initrd'))).size > 1024 * 1024);
  }
  t.deepEqual(await mountsUnder(work), []);
});
