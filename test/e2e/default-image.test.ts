/**
 * End to end, as a user gets dib: the workspace packages published to a local registry
 * (verdaccio on 127.0.0.1), a fresh project with `npm i -D dib` and the repository's default
 * config (dib.config.ts: vm + block-device-efi + debian-minimal), `npx dib build` there; then
 * the disk is checked without mounting it, built a second time from the warm cache (the same
 * qcow2, byte for byte: SOURCE_DATE_EPOCH and the seed make it reproducible) and booted in QEMU
 * under UEFI and under BIOS to the login prompt. (test/integration/npm-registry.test.ts covers
 * the registry paths in detail.)
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { cleanEnv, packWorkspaces, run, startRegistry } from '../helpers/registry.js';
import { tmpDir } from '../helpers/tmp.js';

const dirP = tmpDir('dib-e2e-');
let built: Promise<{ dir: string; base: string; project: string }> | undefined;
/** Reproducible output: every time clamped to this, the identifiers from the config's seed. */
const SOURCE_DATE_EPOCH = '1700000000';
/** Both builds: the same output path (the image records it, as DIB_MANIFEST_SAVE_DIR). */
const buildArgs = (dir: string, base: string) => ['dib', 'build', '-o', base, '-t', 'qcow2,tar', '--checksum', '--work-dir', path.join(dir, 'work')];
const buildEnv = () => cleanEnv({ SOURCE_DATE_EPOCH });

function buildOnce() {
  built ??= (async () => {
    const dir = await dirP;
    const project = path.join(dir, 'project');
    const reg = await startRegistry();
    try {
      for (const p of await packWorkspaces(REPO, path.join(dir, 'tarballs'), reg.env)) {
        const pub = await run('npm', ['publish', p.file], { cwd: dir, env: reg.env });
        if (pub.exitCode !== 0) throw new Error(`npm publish ${p.name} failed:\n${pub.all}`);
      }
      await fs.ensureDir(project);
      const install = await run('npm', ['i', '-D', 'dib'], { cwd: project, env: reg.env });
      if (install.exitCode !== 0) throw new Error(`npm i -D dib failed:\n${install.all}`);
    } finally {
      await reg.stop();
    }
    await fs.copy(path.join(REPO, 'dib.config.ts'), path.join(project, 'dib.config.ts'));
    const base = path.join(dir, 'debian');
    const r = await run('npx', buildArgs(dir, base), { cwd: project, env: buildEnv(), timeout: 30 * 60 * 1000 });
    if (r.exitCode !== 0) throw new Error(`build failed (${r.exitCode}):\n${r.all.split('\n').slice(-60).join('\n')}`);
    return { dir, base, project };
  })();
  return built;
}

async function tarFile(tar: string, member: string): Promise<string> {
  return (await execa('tar', ['-xOf', tar, member])).stdout;
}

test.serial('the default image builds, and its disk holds what DIB would put there', async (t) => {
  const { dir, base } = await buildOnce();
  t.true(await fs.pathExists(`${base}.qcow2`));
  t.true(await fs.pathExists(`${base}.qcow2.sha256`));
  await execa('sha256sum', ['-c', `${path.basename(base)}.qcow2.sha256`], { cwd: dir });
  t.deepEqual(await mountsUnder(path.join(dir, 'work')), []);
  t.deepEqual(await fs.readdir(path.join(dir, 'work')), []);

  // the partition table and the root filesystem, read from the disk image itself
  const raw = path.join(dir, 'check.raw');
  await execa('qemu-img', ['convert', '-O', 'raw', `${base}.qcow2`, raw]);
  const table = JSON.parse((await execa('sfdisk', ['--json', raw])).stdout) as { partitiontable: { label: string; partitions: Array<{ start: number; size: number; type: string }> } };
  t.is(table.partitiontable.label, 'gpt');
  const types = table.partitiontable.partitions.map((p) => p.type);
  t.true(types.includes('C12A7328-F81F-11D2-BA4B-00A0C93EC93B'), 'an EFI system partition');
  t.true(types.includes('21686148-6449-6E6F-744E-656564454649'), 'a BIOS boot partition');
  const root = table.partitiontable.partitions.find((p) => p.type === '0FC63DAF-8483-4772-8E79-3D69D8477DE4')!;
  const rootFs = path.join(dir, 'root.ext4');
  await execa('dd', [`if=${raw}`, `of=${rootFs}`, 'bs=512', `skip=${root.start}`, `count=${root.size}`, 'conv=sparse', 'status=none']);
  const fstab = (await execa('debugfs', ['-R', 'cat /etc/fstab', rootFs])).stdout;
  t.regex(fstab, /^LABEL=cloudimg-rootfs\s+\/\s+ext4\s+defaults\s+0\s+1$/m);
  t.regex(fstab, /^LABEL=MKFS_ESP\s+\/boot\/efi\s+vfat\s+defaults\s+0\s+2$/m);
  t.is((await execa('debugfs', ['-R', 'cat /etc/hostname', rootFs])).stdout.trim(), 'debian');
  await fs.remove(raw);
  await fs.remove(rootFs);

  // the tree, from the tar output
  const tar = `${base}.tar`;
  const manifest = JSON.parse(await tarFile(tar, './etc/dib-manifests/dib-manifest-dpkg-debian')) as { packages: Array<{ package: string; status: string }> };
  t.true(manifest.packages.some((p) => p.package.startsWith('linux-image-') && p.status.trim() === 'ii')); // DIB's db:Status-Abbrev, 'ii '
  t.true(manifest.packages.some((p) => p.package === 'systemd-sysv'));
  const list = new Set((await execa('tar', ['-tf', tar], { maxBuffer: 256 * 1024 * 1024 })).stdout.split('\n'));
  for (const diversion of [
    './usr/sbin/policy-rc.d',
    './sbin/start-stop-daemon.REAL',
    './usr/sbin/start-stop-daemon.REAL',
    './etc/dpkg/dpkg.cfg.d/02apt-speedup',
    './etc/apt/apt.conf.d/60img-build-proxy',
    './etc/apt/apt.conf.d/no-languages',
    './etc/resolv.conf.ORIG',
  ]) {
    t.false(list.has(diversion), `${diversion} must not ship`);
  }
  // no host data: the build host's resolv.conf and hostname (mmdebstrap copies them) do not ship
  const hostResolv = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (list.has('./etc/resolv.conf')) t.not(await tarFile(tar, './etc/resolv.conf').catch(() => ''), hostResolv.trimEnd(), "the image's resolv.conf is not the build host's");
  t.is((await tarFile(tar, './etc/hostname')).trim(), 'debian');
  t.true(list.has('./boot/efi/EFI/BOOT/BOOTX64.EFI'));
  t.true(list.has('./etc/systemd/system/systemd-networkd-wait-online.service.d/10-dib-any.conf'));
  const ssd = await tarFile(tar, './usr/sbin/start-stop-daemon').catch(() => tarFile(tar, './sbin/start-stop-daemon'));
  t.false(ssd.startsWith('#!'), 'start-stop-daemon is the real binary again');
  // the manifests and the build report next to the image
  t.true(await fs.pathExists(`${base}.d/dib-manifests/dib-manifest-dpkg-debian`));
  const report = await fs.readJson(`${base}.d/build-report.json`);
  // <name>.d holds the build's environment: its owner's only
  t.is((await fs.stat(`${base}.d`)).mode & 0o777, 0o700);
  t.is((await fs.stat(`${base}.d/build-report.json`)).mode & 0o777, 0o600);
  t.is((await fs.stat(`${base}.d/dib-manifests/dib_environment`)).mode & 0o777, 0o600);
  t.true(report.outputs.some((o: { format: string }) => o.format === 'qcow2'));
});

test.serial('built again from the warm cache, the default image is the same qcow2, byte for byte', async (t) => {
  const { dir, base, project } = await buildOnce();
  const first = await fs.readJson(`${base}.d/build-report.json`);
  const sha = (report: { outputs: Array<{ format: string; sha256: string }> }, f: string) => report.outputs.find((o) => o.format === f)!.sha256;
  // the first build's outputs wait aside, for dib diff when the two differ
  const aside = path.join(dir, 'first-build');
  await fs.ensureDir(aside);
  for (const f of [`${base}.qcow2`, `${base}.tar`]) await fs.copy(f, path.join(aside, path.basename(f)));
  // --no-cache: every phase runs again (the first build's checkpoints would otherwise give back
  // its outputs); the cached root and packages are still used
  const r = await run('npx', [...buildArgs(dir, base), '--no-cache'], { cwd: project, env: buildEnv(), timeout: 30 * 60 * 1000 });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  const second = await fs.readJson(`${base}.d/build-report.json`);
  t.true(
    second.phases.every((p: { cached?: boolean }) => !p.cached),
    'the second build ran every phase',
  );
  t.log(`qcow2 sha256: ${sha(first, 'qcow2')} (build 1), ${sha(second, 'qcow2')} (build 2)`);
  t.log(`tar sha256:   ${sha(first, 'tar')} (build 1), ${sha(second, 'tar')} (build 2)`);
  const phases = (rep: { phases: Array<{ phase: string; seconds: number }> }) => rep.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)}`).join(', ');
  t.log(`build 2 (warm): ${second.seconds.toFixed(1)} s: ${phases(second)}`);
  if (sha(first, 'qcow2') !== sha(second, 'qcow2') || sha(first, 'tar') !== sha(second, 'tar')) {
    const d = await run('npx', ['dib', 'diff', '--max', '30', path.join(aside, path.basename(`${base}.tar`)), `${base}.tar`], { cwd: project, env: cleanEnv() });
    t.log(d.all);
  }
  t.is(sha(second, 'tar'), sha(first, 'tar'));
  t.is(sha(second, 'qcow2'), sha(first, 'qcow2'));
  await fs.remove(aside);

  // with nothing changed and checkpoints on (the default), the first build's outputs come back
  const t0 = performance.now();
  const again = await run('npx', buildArgs(dir, base), { cwd: project, env: buildEnv(), timeout: 30 * 60 * 1000 });
  const wall = (performance.now() - t0) / 1000;
  t.is(again.exitCode, 0, again.all.split('\n').slice(-40).join('\n'));
  const third = await fs.readJson(`${base}.d/build-report.json`);
  const notCached = third.phases.filter((p: { phase: string; cached?: boolean }) => p.phase !== 'checkpoints' && !p.cached).map((p: { phase: string }) => p.phase);
  t.deepEqual(notCached, [], 'a no-change rebuild runs no phase');
  t.is(sha(third, 'qcow2'), sha(first, 'qcow2'));
  t.log(`build 3 (no change, checkpoints): ${third.seconds.toFixed(1)} s in the report, ${wall.toFixed(1)} s wall with npx`);
});

for (const firmware of ['uefi', 'bios'] as const) {
  test.serial(`the default image boots to a login prompt under ${firmware}`, async (t) => {
    const { base, project } = await buildOnce();
    const r = await run('npx', ['dib', 'boot', `${base}.qcow2`, '--firmware', firmware, '--timeout', '420', '--quiet'], { cwd: project, env: cleanEnv(), timeout: 10 * 60 * 1000 });
    t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
    t.regex(r.all, /login prompt reached after [\d.]+ s/);
    t.log(r.all.split('\n').filter((l) => l.includes('login prompt')).join('\n'));
  });
}
