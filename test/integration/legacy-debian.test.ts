/**
 * DIB elements on a real Debian bookworm root: an OS element written the DIB way
 * (legacy-debian-root: environment.d, root.d unpacking a cached mmdebstrap minbase tarball,
 * element-deps on the npm dpkg element) and legacy-apt, whose package-installs.yaml and
 * pkg-map are honoured and whose install.d script calls `install-packages` (-m, -e, empty list,
 * a missing package) inside the chroot — served by dib's installer (pkg-map → dpkg → apt-get).
 * The root tarball is shared with seed-debian.test.ts (DIB_TEST_CACHE, default
 * /var/tmp/dib-test-cache); it is made with mmdebstrap when missing. Needs root and either
 * that cache or the Debian mirror.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { MINBASE_TARBALL, TEST_CACHE, TEST_MIRROR, cachedMinbaseRoot } from '../helpers/debian-root.js';

const CACHE = TEST_CACHE;
const MIRROR = TEST_MIRROR;
const TARBALL = MINBASE_TARBALL;
const ELEMENTS = path.join(FIXTURES, 'dib-elements');

async function mirrorReachable(): Promise<boolean> {
  try {
    const res = await fetch(`${MIRROR}/dists/bookworm/Release`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return res.ok;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const canRun = isRoot && (existsSync(TARBALL) || (existsSync('/usr/bin/mmdebstrap') && (await mirrorReachable())));
const run = canRun ? test.serial : test.skip;


run('install-packages and package-installs.yaml of DIB elements on a Debian root', async (t) => {
  t.timeout(30 * 60 * 1000);
  const tarball = await cachedMinbaseRoot();
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const t0 = Date.now();
  const r = await dib(
    ['build', '-n', '-o', 'deb', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(CACHE, 'dib'), 'legacy-debian-root', 'legacy-apt'],
    { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS, DIB_TEST_ROOT_TARBALL: tarball, DIB_AVOID_PACKAGES_UPDATE: '1' } },
  );
  t.log(`build took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.is(r.exitCode, 0, r.all.split('\n').slice(-60).join('\n'));
  const tar = path.join(dir, 'deb.tar');
  const list = new Set((await execa('tar', ['-tf', tar])).stdout.split('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout;
  // package-installs.yaml through the element's pkg-map: hello-alias → hello (install.d), ed (pre-install.d)
  t.true(list.has('./usr/bin/hello'));
  t.true(list.has('./usr/bin/ed') || list.has('./bin/ed'));
  // install-packages in the chroot, DIB's flags
  const log = (await cat('./legacy-apt.log')).split('\n');
  t.deepEqual(log, [
    'tool=/tmp/in_target.d/bin/install-packages',
    'Not running install-packages install with empty packages list',
    'sl installed',
    'sl removed',
    'hello present at install 60',
    'bogus rc=1',
  ]);
  const status = await cat('./var/lib/dpkg/status');
  t.regex(status, /^Package: hello\nStatus: install ok installed/m);
  t.notRegex(status, /^Package: sl\nStatus: install ok installed/m);
  // apt's output is logged under the script
  t.regex(r.stderr, /legacy-apt install\.d\/60-use-install-packages: install-packages -m legacy-apt sl-alias/);
  t.regex(r.stderr, /legacy-apt install\.d\/60-use-install-packages: .*Unpacking sl /);
  // the DIB OS element's environment.d reached the TypeScript elements (DISTRO_NAME for pkg-map/dpkg)
  t.regex(r.stderr, /legacy-debian-root root\.d\/08-unpack-cached-root: unpacked bookworm-minbase-amd64\.tar/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await mountsUnder(dir), []);
});
