import test from 'ava';
import path from 'node:path';
import { REPO, dib, fixtureElement } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

test('dib --help starts fast and lists the commands; --version', async (t) => {
  const t0 = performance.now();
  const r = await dib(['--help']);
  const ms = performance.now() - t0;
  t.is(r.exitCode, 0);
  t.regex(r.stdout, /Usage: dib <command>/);
  for (const c of ['build', 'plan', 'element-info', 'packages', 'pkg-map', 'boot']) t.regex(r.stdout, new RegExp(`^  ${c} `, 'm'));
  // wall time varies with machine load; CPU time (user + sys) of the process does not
  const { execa } = await import('execa');
  const { CLI } = await import('../helpers/cli.js');
  const cpu = await execa('bash', ['-c', `TIMEFORMAT='%U %S'; { time node ${CLI} --help > /dev/null; } 2>&1`]);
  const [u, s] = cpu.stdout.trim().split(' ').map(Number);
  t.log(`dib --help: ${ms.toFixed(0)} ms wall, ${((u! + s!) * 1000).toFixed(0)} ms CPU`);
  t.true(u! + s! < 0.3, `CPU time ${u! + s!} s`);
  const v = await dib(['--version']);
  t.regex(v.stdout, /^dib \d+\.\d+\.\d+/);
  const bad = await dib(['biuld']);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /unknown command 'biuld' \(did you mean 'build'\?\)/);
});

test("dib plan for the repository's dib.config.ts shows the seed taps in DIB's order", async (t) => {
  const r = await dib(['plan'], { cwd: REPO });
  t.is(r.exitCode, 0, r.all);
  const lines = r.stdout.split('\n');
  const extra = lines.slice(lines.indexOf('extra-data') + 1, lines.indexOf('pre-install'));
  const order = ['copy-apt-keys', 'create-pkg-map-dir', 'manifest-dir', 'store-build-settings', 'enable-install-types', 'squash-package-install'];
  const idx = order.map((n) => extra.findIndex((l) => l.trim().split(/\s+/)[1] === n));
  t.false(idx.includes(-1), r.stdout);
  t.deepEqual([...idx].sort((a, b) => a - b), idx);
  t.regex(r.stdout, /^\s+1\s+copy-apt-keys\s+dpkg$/m);
  t.regex(r.stdout, /^\s+99\s+squash-package-install\s+package-installs$/m);
});

test('dib element-info: expands as upstream (no flag needed), DIB errors, --env (DIB format)', async (t) => {
  const dir = await tmpDir();
  const plain = await dib(['element-info', 'vm', 'block-device-mbr', 'debian-minimal'], { cwd: dir });
  t.is(plain.exitCode, 0, plain.all);
  const names = plain.stdout.trim().split(' ');
  for (const n of ['vm', 'block-device-mbr', 'bootloader', 'debian-minimal', 'debootstrap', 'dpkg', 'modprobe', 'pkg-map', 'sysprep']) t.true(names.includes(n), n);
  t.deepEqual([...names].sort(), names);
  // --expand-dependencies (dib's old flag) changes nothing
  const exp = await dib(['element-info', '--expand-dependencies', 'vm', 'block-device-mbr', 'debian-minimal'], { cwd: dir });
  t.is(exp.stdout, plain.stdout);
  // upstream's MissingOSException, and operating-system named by the user is already provided
  const noOs = await dib(['element-info', 'pkg-map'], { cwd: dir });
  t.not(noOs.exitCode, 0, noOs.all);
  t.regex(noOs.stderr, /\[E_NO_OS\] Please include an operating system element/);
  const os = await dib(['element-info', 'debian-minimal', 'operating-system'], { cwd: dir });
  t.not(os.exitCode, 0);
  t.regex(os.stderr, /\[E_ALREADY_PROVIDED\] operating-system : already provided by \[debian-minimal\]/);
  // vm alone: block-device is a virtual name nothing provides (disk-image-create adds block-device-mbr, element-info does not)
  const vm = await dib(['element-info', 'vm', 'debian-minimal'], { cwd: dir });
  t.regex(vm.stderr, /Element 'block-device' \(required by element vm.*\) not found/);
  const env = await dib(['element-info', '--env', 'busybox-root', fixtureElement('probe')], { cwd: dir });
  t.is(env.exitCode, 0, env.all);
  // busybox-root brings manifests, as every DIB operating-system element does
  t.regex(env.stdout, /^export IMAGE_ELEMENT='busybox-root manifests probe'$/m);
  t.regex(env.stdout, /^export IMAGE_ELEMENT_YAML='busybox-root: .*\nmanifests: .*\nprobe: .*fixtures\/elements\/probe\n'$/m);
  t.regex(env.stdout, /^function get_image_element_array \{\n  echo "\[busybox-root\]=\S+ \[manifests\]=\S+ \[probe\]=\S+"\n\};\nexport -f get_image_element_array;$/m);
  // the output is eval-able by bash
  const { execa } = await import('execa');
  const check = await execa('bash', ['-c', `${env.stdout}\neval declare -A a=($(get_image_element_array)); echo "\${a[probe]}"; echo "$IMAGE_ELEMENT"`]);
  t.is(check.stdout.split('\n')[0], path.join(REPO, 'test/fixtures/elements/probe'));
  t.is(check.stdout.split('\n')[1], 'busybox-root manifests probe');
});
