import test from 'ava';
import { mkdtemp, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineElement, getPackageHooks, isDibError } from '@dib/core';
import packageInstalls, { getPackageInstallsHooks, installPackages, SQUASHED_FILE } from '@dib/element-package-installs';
import type { PackageRequest } from '@dib/element-package-installs';
import pkgMap from '@dib/element-pkg-map';
import dpkg from '@dib/element-dpkg';
import { createHarness, dirElement, resolved } from './seed-harness.js';

const plugin = (name: string) => join(process.cwd(), 'plugins', name);

function testElement() {
  return resolved(
    defineElement({
      name: 'test-el',
      packages: {
        webserver: null,
        'build-tool': { 'build-only': true },
        removed: { uninstall: true },
        early: { phase: 'pre-install.d' },
        gone: null,
        late: { phase: 'post-install.d' },
      },
      pkgMap: { family: { debian: { webserver: 'nginx-light', 'build-tool': 'make', gone: '', removed: 'nano' } } },
    }),
    '/nonexistent',
  );
}

async function harness(extra: { config?: object; env?: Record<string, string> } = {}) {
  const requests: PackageRequest[] = [];
  const h = await createHarness({
    elements: [resolved(packageInstalls, plugin('package-installs')), resolved(pkgMap, plugin('pkg-map')), testElement()],
    ...extra,
  });
  getPackageHooks(h.build).installPackages.tapPromise('fake', async (_ctx, req) => {
    requests.push(req);
    return true;
  });
  return { h, requests };
}

test('taps at DIB points, with distinct names', async (t) => {
  const { h } = await harness();
  const row = (hook: Parameters<typeof h.taps>[0]) => h.taps(hook).map((x) => `${x.stage} ${x.name}`);
  t.deepEqual(row('extraData'), ['10 create-pkg-map-dir', '99 squash-package-install']);
  t.deepEqual(row('preInstall'), ['10 package-installs', '99 package-uninstalls']);
  t.deepEqual(row('install'), ['1 package-installs', '99 package-uninstalls', '999 install-extra-packages']);
  t.deepEqual(row('postInstall'), ['0 package-installs', '95 package-uninstalls']);
});

test('squash writes /tmp/package-installs.json; each phase installs then uninstalls mapped names', async (t) => {
  const { h, requests } = await harness({ config: { packages: ['htop', 'less,tree'] } });
  await h.runPhase('extraData');
  const written = JSON.parse(await readFile(join(h.root, SQUASHED_FILE), 'utf8'));
  t.deepEqual(written['install.d'].install, [
    ['webserver', 'test-el'],
    ['build-tool', 'test-el'],
    ['gone', 'test-el'],
  ]);
  await h.runPhase('preInstall');
  await h.runPhase('install');
  await h.runPhase('postInstall');
  t.deepEqual(requests, [
    { action: 'install', packages: ['early'] },
    { action: 'install', packages: ['make', 'nginx-light'] },
    { action: 'uninstall', packages: ['make', 'nano'] },
    { action: 'install', packages: ['htop', 'less', 'tree'] },
    { action: 'install', packages: ['late'] },
  ]);
  const nothing = h.logs.filter((l) => l.message.startsWith('Nothing to '));
  t.deepEqual(
    nothing.map((l) => l.message),
    ['Nothing to uninstall', 'Nothing to uninstall'],
  );
});

test('"Nothing to install" when a phase has nothing; no request is made', async (t) => {
  const requests: PackageRequest[] = [];
  const h = await createHarness({ elements: [resolved(packageInstalls, plugin('package-installs'))] });
  getPackageHooks(h.build).installPackages.tapPromise('fake', async (_c, r) => (requests.push(r), true));
  await h.runPhase('extraData');
  t.is(await readFile(join(h.root, SQUASHED_FILE), 'utf8'), '{}');
  await h.runPhase('install');
  t.deepEqual(requests, []);
  t.true(h.logs.some((l) => l.message === 'Nothing to install'));
});

test('installPackages maps through the element pkg-map; strict fails on unknown names; no OS element → error naming dpkg', async (t) => {
  const { h, requests } = await harness();
  const ctx = h.ctx('finalise', 'bootloader', 'install-grub');
  await installPackages(ctx, ['webserver', 'other'], { element: 'test-el' });
  await installPackages(ctx, ['removed'], { element: 'test-el', uninstall: true });
  await installPackages(ctx, []);
  t.deepEqual(requests, [
    { action: 'install', packages: ['nginx-light', 'other'] },
    { action: 'uninstall', packages: ['nano'] },
  ]);
  await t.throwsAsync(installPackages(ctx, ['other'], { element: 'test-el', strict: true }), { message: /no valid mapping for package other/ });

  const bare = await createHarness({ elements: [resolved(packageInstalls, plugin('package-installs'))] });
  const e = await t.throwsAsync(installPackages(bare.ctx('install', 'x', 'y'), ['vim']));
  t.true(isDibError(e));
  t.regex(e!.message, /no element installs packages for debian/);
  t.regex((e as { hint?: string }).hint ?? '', /dpkg/);
});

test('with dpkg: apt-get with DIB flags and DEBIAN_FRONTEND=noninteractive', async (t) => {
  const h = await createHarness({
    elements: [resolved(packageInstalls, plugin('package-installs')), resolved(pkgMap, plugin('pkg-map')), resolved(dpkg, plugin('dpkg')), testElement()],
  });
  const ctx = h.ctx('install', 'test-el', 'x');
  await installPackages(ctx, ['webserver'], { element: 'test-el' });
  await installPackages(ctx, ['a', 'b'], { uninstall: true });
  const apt = h.commands.filter((c) => c.file === 'apt-get');
  t.deepEqual(
    apt.map((c) => c.args.join(' ')),
    [
      '-o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef --assume-yes install nginx-light',
      '-o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef --assume-yes remove a b',
    ],
  );
  t.is(apt[0]!.options.env?.DEBIAN_FRONTEND, 'noninteractive');
});

test('deprecated package-installs-<element> files in <phase>.d are installed and uninstalled', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'legacy-'));
  await mkdir(join(dir, 'install.d'));
  await writeFile(join(dir, 'install.d', 'package-installs-legacy'), '# c\nfoo\n-bar\n');
  await writeFile(join(dir, 'pkg-map'), JSON.stringify({ default: { foo: 'foo-real' } }));
  const requests: PackageRequest[] = [];
  const h = await createHarness({ elements: [resolved(packageInstalls, plugin('package-installs')), dirElement('legacy', dir)] });
  getPackageHooks(h.build).installPackages.tapPromise('fake', async (_c, r) => (requests.push(r), true));
  await h.runPhase('extraData');
  await h.runPhase('install');
  t.deepEqual(requests, [
    { action: 'install', packages: ['foo-real', 'bar'] },
    { action: 'uninstall', packages: ['bar'] },
  ]);
});
