/**
 * `pkg-map` for DIB scripts (test/fixtures/dib-elements/legacy-pkg-map), built for real on the
 * busybox root (DISTRO_NAME=busybox, DIB_RELEASE=static): in the chroot through the spool
 * (dib's pkg-map on the host, the image's maps), in a host phase through
 * $TMP_HOOKS_PATH/bin/pkg-map. Output, exit codes (0 mapped, 1 unmapped, 2 no map, --missing-ok)
 * and --pkg-map paths (in the image for chroot scripts) are the same in both places.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';

const ELEMENTS = path.join(FIXTURES, 'dib-elements');
const isRoot = process.getuid?.() === 0;
const root = isRoot ? test : test.skip;

const EXPECTED = [
  'mapped rc=0 out=udhcpc vi ash err=',
  'unmapped rc=1 out=udhcpc err=ERROR:pkg-map:legacy-pkg-map has no valid mapping for package unknown-pkg',
  'missing-ok rc=0 out=udhcpc unknown-pkg err=',
  'prefix rc=0 out=x-vi err=',
  'no-map rc=2 out= err=ERROR:pkg-map:Required pkg-map for no-such-element element does not exist',
  'no-map-ok rc=0 out=foo err=',
  'file rc=0 out=bar err=',
];

root('DIB scripts call pkg-map in the chroot and on the host, with DIB\'s output and exit codes', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'pm', '-t', 'tar', '--work-dir', work, '--elements-path', ELEMENTS, 'busybox-root', 'legacy-pkg-map'], { cwd: dir });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  const tar = path.join(dir, 'pm.tar');
  const list = new Set((await execa('tar', ['-tf', tar])).stdout.split('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout.split('\n');
  // the element's map is in the image, where --element reads it from
  t.true(list.has('./usr/share/pkg-map/legacy-pkg-map'));

  const chroot = await cat('./pkg-map-chroot.log');
  t.is(chroot[0], 'path /tmp/in_target.d/bin/pkg-map');
  const host = await cat('./pkg-map-host.log');
  t.is(host[0], 'path hooks');
  for (const [where, log] of [['chroot', chroot], ['host', host]] as const) {
    const lines = log.slice(1).map((l) => l.replace(/ \(\/.*$/, ''));
    t.deepEqual(lines, EXPECTED, `${where}:\n${log.join('\n')}`);
  }
  // the no-map error names the map file in the image: as the chroot sees it, or below TARGET_ROOT
  t.regex(chroot.join('\n'), /does not exist \(\/usr\/share\/pkg-map\/no-such-element\)\.$/m);
  t.regex(host.join('\n'), /does not exist \(\/.+\/mnt\/usr\/share\/pkg-map\/no-such-element\)\.$/m);

  // the spool and the hooks tree are not left in the image; nothing mounted, work dir empty
  t.false([...list].some((p) => p.startsWith('./tmp/in_target.d/') || p.startsWith('./tmp/.dib-install-packages/') || p.startsWith('./tmp/pkg-map')));
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});
