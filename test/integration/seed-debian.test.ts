/**
 * The seed elements (dpkg, package-installs, pkg-map, manifests, install-bin) in a real build
 * of a real Debian bookworm root, through the dib CLI: a test element asks for packages under
 * generic names its pkg-map renames; the renamed ones are installed, an uninstall request and
 * a build-only package are really removed, and no build-time diversion is left in the image.
 * The root is bootstrapped once with mmdebstrap and cached (DIB_TEST_CACHE, default
 * /var/tmp/dib-test-cache). Needs root and the Debian mirror.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { TEST_CACHE, cachedMinbaseRoot } from '../helpers/debian-root.js';
import { checkSbomAgainstManifest } from '../helpers/sbom-schemas.js';

const isRoot = process.getuid?.() === 0;
const haveMmdebstrap = existsSync('/usr/bin/mmdebstrap');
const run = isRoot && haveMmdebstrap ? test.serial : test.skip;

const CACHE = TEST_CACHE;
const ELEMENTS = path.join(FIXTURES, 'pkg-map', 'elements');


run('package-installs through pkg-map and apt in a real Debian root; no diversion ships', async (t) => {
  t.timeout(30 * 60 * 1000);
  const tarball = await cachedMinbaseRoot();
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(
    [
      'build',
      '-n',
      '-o',
      'seed',
      '-t',
      'tar',
      '--work-dir',
      work,
      '--image-cache',
      path.join(CACHE, 'dib'),
      '-p',
      'hello',
      path.join(ELEMENTS, 'seed-debian-root'),
      path.join(ELEMENTS, 'seed-test-pkgs'),
    ],
    { cwd: dir, env: { DIB_TEST_ROOT_TARBALL: tarball, DIB_AVOID_PACKAGES_UPDATE: '1' } },
  );
  t.is(r.exitCode, 0, r.all.split('\n').slice(-60).join('\n'));
  const tar = path.join(dir, 'seed.tar');
  const list = new Set((await execa('tar', ['-tf', tar])).stdout.split('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout;

  // the squashed requests, in DIB's format
  t.true(list.has('./usr/share/pkg-map/seed-test-pkgs'));
  // renamed through the pkg-map: nano installed for good, the extra -p package too
  t.true(list.has('./usr/bin/nano'), 'nano (text-editor) is installed');
  t.true(list.has('./usr/bin/hello'), 'hello (-p) is installed');
  const status = await cat('./var/lib/dpkg/status');
  t.regex(status, /^Package: nano\nStatus: install ok installed/m);
  // less: installed in pre-install, removed in post-install; ed: build-only
  const probe = await cat('./seed-probe-install.txt');
  t.regex(probe, /^less ii/m);
  t.regex(probe, /^ed ii/m);
  t.notRegex(status, /^Package: less\nStatus: install ok installed/m);
  t.notRegex(status, /^Package: ed\nStatus: install ok installed/m);
  t.false(list.has('./usr/bin/less'));
  t.false(list.has('./bin/ed') || list.has('./usr/bin/ed'));

  // no build-time diversion left
  for (const p of ['./usr/sbin/policy-rc.d', './usr/sbin/start-stop-daemon.REAL', './etc/dpkg/dpkg.cfg.d/02apt-speedup', './etc/apt/apt.conf.d/no-languages', './etc/apt/apt.conf.d/60img-build-proxy']) {
    t.false(list.has(p), `${p} must not ship`);
  }
  t.notRegex(await cat('./usr/sbin/start-stop-daemon'), /Fake start-stop-daemon/);
  t.true(list.has('./etc/apt/apt.conf.d/95disable-recommends'));

  // the dpkg manifest, in the image and next to it
  const manifest = JSON.parse(await readFile(path.join(dir, 'seed.d', 'dib-manifests', 'dib-manifest-dpkg-seed'), 'utf8')) as { packages: { package: string; status: string }[] };
  t.true(manifest.packages.some((p) => p.package === 'nano' && p.status.startsWith('ii')));
  t.true(list.has('./etc/dib-manifests/dib-manifest-dpkg-seed'));
  t.true(existsSync(path.join(dir, 'seed.d', 'dib-manifests', 'dib_environment')));

  // the bill of materials: exactly the installed packages of the dpkg manifest, at the same
  // versions, in documents that validate against the SPDX 2.3 and CycloneDX 1.5 schemas
  const sbom = await checkSbomAgainstManifest(t, path.join(dir, 'seed.d'), 'seed', tar);
  t.log(`SBOM: ${sbom.spdxPackages} packages (SPDX), ${sbom.cdxComponents} (CycloneDX); dpkg manifest: ${sbom.manifestInstalled} installed of ${sbom.manifestAll} listed; schema errors: ${sbom.schemaErrors}`);
  t.false(sbom.spdxNames.includes('less'), 'a package removed at post-install is not in the SBOM');

  // the apt archive cache was shared and nothing stays mounted
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await mountsUnder(dir), []);
  await rm(dir, { recursive: true, force: true });
});
