/**
 * `dib doctor` and the build's pre-flight on a real config: a missing host tool stops the
 * build before any work with one E_HOST_TOOL_MISSING; doctor names it and its apt-get line;
 * --fix runs apt-get (a fake one on PATH here); the mirror check against a local HTTP server.
 */
import test from 'ava';
import fs from 'fs-extra';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

/** A project whose element `needs-tool` declares a host tool nobody has. */
async function project(): Promise<string> {
  const dir = await tmpDir('dib-doctor-');
  const def = { contract: 1, name: 'needs-tool', hostTools: [{ command: 'dib-test-missing-tool', package: 'dib-test-tool-pkg', why: 'runs the test tool' }] };
  await writeTree(path.join(dir, 'node_modules', 'dib-element-needs-tool'), {
    'package.json': JSON.stringify({ name: 'dib-element-needs-tool', version: '1.0.0', type: 'module', main: 'index.js', keywords: ['dib-element'] }),
    'index.js': `export default ${JSON.stringify(def)};\n`,
  });
  await writeTree(dir, { 'dib.config.json': '' });
  await fs.remove(path.join(dir, 'dib.config.json'));
  return dir;
}

test('dib build stops before any work when a host tool is missing, naming tool, element and apt-get line', async (t) => {
  const dir = await project();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'img', '-t', 'tar', '--work-dir', work, 'busybox-root', 'needs-tool'], { cwd: dir });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stderr, /^dib: error \[E_HOST_TOOL_MISSING\] missing host tool: dib-test-missing-tool$/m);
  t.regex(r.stderr, /^ {2}\| dib-test-missing-tool \(package dib-test-tool-pkg\) needed by element needs-tool: runs the test tool$/m);
  t.regex(r.stderr, /^ {2}hint: apt-get install -y dib-test-tool-pkg {3}\(or: dib doctor --fix\)$/m);
  t.notRegex(r.stderr, /Running phase/);
  t.false(await fs.pathExists(work), 'no work dir was made');
  t.false(await fs.pathExists(path.join(dir, 'img.tar')));
  t.is(r.stderr.split('\n').filter((l) => l.startsWith('dib: error')).length, 1, 'one error');
});

test('dib doctor lists every tool with who needs it, and the apt-get line; exit 1 when something is missing', async (t) => {
  const dir = await project();
  const r = await dib(['doctor', '--quick', '-t', 'qcow2', 'busybox-root', 'needs-tool'], { cwd: dir });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stdout, /^ {2}MISS {2}dib-test-missing-tool +\(dib-test-tool-pkg\) element needs-tool: runs the test tool$/m);
  t.regex(r.stdout, /^ {2}ok {4}chroot +core: runs the chroot phases/m);
  t.regex(r.stdout, /^ {2}ok {4}busybox +element busybox-root: /m);
  t.regex(r.stdout, /^ {2}ok {4}qemu-img +qcow2 output; dib boot: /m);
  t.regex(r.stdout, /^ {2}ok {4}mke2fs +core: makes ext filesystems/m);
  t.regex(r.stdout, /^ {2}ok {4}running as root$/m);
  t.regex(r.stdout, /^ {2}(ok  |WARN) {2}work dir \S+: [\d.]+ [GMK]iB free/m);
  t.regex(r.stdout, /^ {2}(ok  |WARN) {2}cache dir \S+: [\d.]+ [GMK]iB free/m);
  t.regex(r.stdout, /^ {2}apt-get install -y (\S+ )*dib-test-tool-pkg( \S+)*$/m);
  t.regex(r.stdout, /doctor: not ready \(missing tools\)$/m);

  const j = await dib(['doctor', '--quick', '--json', 'busybox-root', 'needs-tool'], { cwd: dir });
  t.is(j.exitCode, 1);
  const report = JSON.parse(j.stdout);
  t.false(report.ok);
  t.deepEqual(report.elements.includes('needs-tool'), true);
  t.like(report.tools.find((x: { command: string }) => x.command === 'dib-test-missing-tool'), { package: 'dib-test-tool-pkg', neededBy: ['element needs-tool'], purpose: 'build' });
});

test('dib doctor --fix runs the apt-get line, checks again and then a build passes the pre-flight', async (t) => {
  const dir = await project();
  const bin = path.join(dir, 'fakebin');
  await writeTree(bin, {
    'apt-get': {
      text: `#!/bin/sh\necho "$@" >> "${path.join(dir, 'apt-get.args')}"\nprintf '#!/bin/sh\\nexit 0\\n' > "${path.join(bin, 'dib-test-missing-tool')}"\nchmod +x "${path.join(bin, 'dib-test-missing-tool')}"\n`,
      mode: 0o755,
    },
  });
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const r = await dib(['doctor', '--fix', '--quick', '-t', 'tar', 'busybox-root', 'needs-tool'], { cwd: dir, env });
  t.is(r.exitCode, 0, r.all);
  const args = (await fs.readFile(path.join(dir, 'apt-get.args'), 'utf8')).trim();
  t.regex(args, /^install -y (\S+ )*dib-test-tool-pkg( \S+)*$/);
  t.regex(r.stderr, /dib doctor: running apt-get install -y .*dib-test-tool-pkg/);
  t.regex(r.stdout, /after installing:[\s\S]*ok {4}dib-test-missing-tool[\s\S]*doctor: ready to build/);
  const b = await dib(['build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root', 'needs-tool'], { cwd: dir, env });
  t.is(b.exitCode, 0, b.all);
});

test('dib doctor --fix says so when nothing is missing; without a config it checks the core tools', async (t) => {
  const dir = await tmpDir('dib-doctor-');
  const r = await dib(['doctor', '--fix', '--quick'], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  t.regex(r.stdout, /^config: none/m);
  t.regex(r.stdout, /^ {2}ok {4}chroot /m);
  t.regex(r.stdout, /^every host tool is installed\ndoctor: ready to build\nnothing to install$/m);
});

test('mirror check: HEAD <mirror>/dists/<release>/Release answers 200, 404 fails with a hint; skipped without Debian', async (t) => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.statusCode = req.url === '/debian/dists/bookworm/Release' ? 200 : 404;
    res.end();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  try {
    const dir = await tmpDir('dib-doctor-');
    const env = { DIB_DISTRIBUTION_MIRROR: `http://127.0.0.1:${port}/debian`, DIB_RELEASE: 'bookworm', no_proxy: '*', http_proxy: '' };
    const ok = await dib(['doctor', '--json', '-t', 'tar', 'debian-minimal'], { cwd: dir, env });
    const report = JSON.parse(ok.stdout);
    const mirror = report.checks.find((c: { id: string }) => c.id === 'mirror');
    t.is(mirror.level, 'ok', JSON.stringify(mirror));
    t.regex(mirror.message, /dists\/bookworm\/Release: HTTP 200/);
    t.true(seen.includes('HEAD /debian/dists/bookworm/Release'));
    const kvm = report.checks.find((c: { id: string }) => c.id === 'kvm');
    t.true(['ok', 'warn', 'skip'].includes(kvm.level));
    if (kvm.level === 'warn') t.regex(kvm.message, /falls back to TCG/);

    const bad = await dib(['doctor', '--json', '--no-kvm', '-t', 'tar', 'debian-minimal'], { cwd: dir, env: { ...env, DIB_RELEASE: 'nosuch' } });
    t.is(bad.exitCode, 1);
    const m2 = JSON.parse(bad.stdout).checks.find((c: { id: string }) => c.id === 'mirror');
    t.is(m2.level, 'fail');
    t.regex(m2.hint, /no release 'nosuch'/);

    const bb = await dib(['doctor', '--json', '--no-kvm', '-t', 'tar', 'busybox-root'], { cwd: dir, env });
    t.is(JSON.parse(bb.stdout).checks.find((c: { id: string }) => c.id === 'mirror').level, 'skip');
  } finally {
    server.close();
  }
});
