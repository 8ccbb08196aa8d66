/**
 * DIB parity on the busybox root (seconds), with fixture elements written in DIB's element format
 * (test/fixtures/parity): environment.d sourced once per phase, the caller's environment in
 * chroot scripts, modprobe.d files and DIB_MODPROBE_BLACKLIST.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { gitRepo } from '../helpers/git.js';

const ELEMENTS = path.join(FIXTURES, 'parity');
const isRoot = process.getuid?.() === 0;
const root = isRoot ? test : test.skip;

root('environment.d once per phase, the caller environment in chroot scripts, modprobe', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const callerTmp = path.join(dir, 'caller-tmp');
  await fs.ensureDir(callerTmp);
  const r = await dib(['build', '-o', 'p', '-t', 'tar', '--work-dir', work, 'busybox-root', 'parity-envd', 'parity-proxy', 'parity-modprobe'], {
    cwd: dir,
    env: {
      ELEMENTS_PATH: ELEMENTS,
      http_proxy: 'http://proxy.invalid:3128',
      no_proxy: 'localhost,.example',
      PARITY_SITE_VAR: 'site-value',
      TMPDIR: callerTmp,
      VIRTUAL_ENV: '/opt/venv',
      DIB_MODPROBE_BLACKLIST: 'floppy pcspkr',
    },
  });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  const tar = path.join(dir, 'p.tar');
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout;

  // 2: one $(mktemp) per phase, the same file in every script of it; the fragment sourced once
  const log = (await cat('./parity-envd.log')).split('\n');
  const field = (line: string, k: string) => new RegExp(`${k}=(\\S*)`).exec(line)?.[1];
  const at = (prefix: string) => log.find((l) => l.startsWith(prefix))!;
  t.is(field(at('extra-data 10'), 'tmp'), field(at('extra-data 20'), 'tmp'));
  t.is(field(at('extra-data 20'), 'content'), 'phase-data');
  t.is(field(at('install 10'), 'tmp'), field(at('install 20'), 'tmp'));
  t.is(field(at('install 20'), 'content'), 'install-data');
  t.not(field(at('extra-data 10'), 'tmp'), field(at('install 10'), 'tmp'));
  for (const l of log) if (l.includes('sourced=')) t.is(field(l, 'sourced'), 'x', l);
  // host phases: the temporary files were in the build's directory, which is gone
  const hostTmp = field(at('extra-data 10'), 'tmp')!;
  t.true(hostTmp.startsWith(path.join(work, 'dib_build.')), hostTmp);
  t.is(field(at('post-root'), 'tmpdir'), path.dirname(field(at('post-root'), 'tmp')!));
  t.false(await fs.pathExists(hostTmp));
  t.deepEqual(await fs.readdir(callerTmp), []);
  // chroot phase: in the image's /tmp, emptied when the image is finished
  t.regex(field(at('install 10'), 'tmp')!, /^\/tmp\//);
  t.false((await execa('tar', ['-tf', tar])).stdout.split('\n').some((p) => p.startsWith('./tmp/') && p !== './tmp/'));

  // 3: sudo -E chroot: the caller's proxy and site variables; no TMPDIR, no VIRTUAL_ENV; DIB's PATH
  const env = Object.fromEntries((await cat('./parity-proxy.log')).split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  t.is(env.http_proxy, 'http://proxy.invalid:3128');
  t.is(env.no_proxy, 'localhost,.example');
  t.is(env.PARITY_SITE_VAR, 'site-value');
  t.is(env.TMPDIR, 'unset');
  t.is(env.VIRTUAL_ENV, 'unset');
  t.is(env.HOME, '/root');
  t.true(env.PATH!.startsWith('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), env.PATH);

  // 4: modprobe: the element's modprobe.d file and the blacklist
  t.is(await cat('./etc/modprobe.d/parity.conf'), 'options parity_dummy answer=42');
  t.is(await cat('./etc/modprobe.d/blacklist.conf'), 'blacklist floppy\nblacklist pcspkr');

  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

root("run_functests.sh's harness without a terminal: break=after-error break_outside_target=1 break_cmd copies the sentinel", async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const dest = path.join(dir, 'dest');
  await fs.ensureDir(dest);
  // the exact variables upstream's tests/run_functests.sh sets (stdin and stdout are not a terminal here)
  const env = {
    ELEMENTS_PATH: ELEMENTS,
    break: 'after-error',
    break_outside_target: '1',
    break_cmd: `cp -v $TMP_MOUNT_PATH/tmp/dib-test-should-fail ${dest} || true`,
  };
  const r = await dib(['build', '-o', 'f', '-t', 'tar', '--work-dir', work, 'busybox-root', 'parity-should-fail'], { cwd: dir, env });
  t.is(r.exitCode, 1, r.all.split('\n').slice(-20).join('\n'));
  t.regex(r.stderr, /break: after-error: running break_cmd on the host: cp -v \$TMP_MOUNT_PATH\/tmp\/dib-test-should-fail/);
  t.true(await fs.pathExists(path.join(dest, 'dib-test-should-fail')), 'the sentinel was copied out before cleanup');
  t.regex(r.stderr, /pre-install phase, element parity-should-fail, tap 50-should-fail: script pre-install\.d\/50-should-fail exited with status 1/);
  t.false(await fs.pathExists(path.join(dir, 'f.tar')));
  t.deepEqual(await mountsUnder(work), []);
  // a passing build never runs it; break_cmd failing at after-error is only a warning
  const ok = await dib(['build', '-o', 'g', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env });
  t.is(ok.exitCode, 0, ok.all.split('\n').slice(-20).join('\n'));
  t.notRegex(ok.stderr, /break_cmd/);
  const failing = await dib(['build', '-o', 'h', '-t', 'tar', '--work-dir', work, 'busybox-root', 'parity-should-fail'], { cwd: dir, env: { ...env, break_cmd: 'false' } });
  t.is(failing.exitCode, 1);
  t.regex(failing.stderr, /break: after-error: break_cmd exited with status 1/);
  // break_cmd does not make interactive points work without a terminal
  const shell = await dib(['build', '-o', 'k', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { ...env, break: 'after-error,before-install' } });
  t.is(shell.exitCode, 2);
  t.regex(shell.stderr, /\[E_BREAK\] break=before-install needs an interactive terminal/);
  // before-<host phase> runs break_cmd too, and a failing one stops the build (DIB's set -e)
  const before = await dib(['build', '-o', 'm', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { ...env, break: 'before-root', break_cmd: `echo at-root > ${dest}/before-root` } });
  t.is(before.exitCode, 0, before.all.split('\n').slice(-20).join('\n'));
  t.is(await fs.readFile(path.join(dest, 'before-root'), 'utf8'), 'at-root\n');
  const stop = await dib(['build', '-o', 'n', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { ...env, break: 'before-root', break_cmd: 'exit 3' } });
  t.is(stop.exitCode, 1);
  t.regex(stop.stderr, /\[E_BREAK\] break: before-root: break_cmd exited with status 3/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

root('$_LIB: upstream-style scripts source die, common-functions and img-functions and use them', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'l', '-t', 'tar', '--work-dir', work, 'busybox-root', 'parity-lib'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  const log = (await execa('tar', ['-xOf', path.join(dir, 'l.tar'), './parity-lib.log'])).stdout.split('\n');
  t.deepEqual(log, ['kernel=vmlinuz-2.0-parity ramdisk=initrd.img-2.0-parity bootdir=/boot', 'run_in_target=in-target-/root', 'die=1 parity die message', 'list=1', 'tmpfs=no']);
  // the kernel and initrd next to the image, as upstream's baremetal puts them
  t.is(await fs.readFile(path.join(dir, 'l.parity-vmlinuz'), 'utf8'), 'parity-kernel-2\n');
  t.is(await fs.readFile(path.join(dir, 'l.parity-initrd'), 'utf8'), 'parity-initrd-2\n');
  // functions of DIB's own driver stop with a message saying so
  const lib = (await execa('node', ['-e', "import('#core/dib-elements/env.js').then(m => console.log(m.DIB_LIB_DIR))"])).stdout.trim();
  const unmount = await execa('bash', ['-c', `source ${lib}/img-functions; unmount_image`], { reject: false });
  t.is(unmount.exitCode, 1);
  t.regex(unmount.stdout, /unmount_image: dib makes the disk from files after the phases \(no loop device, no image mount\)/);
  t.deepEqual(await mountsUnder(work), []);
});

root('an ELEMENTS_PATH element shadowing a loopless built-in (upstream bootloader) is warned about before any work', async (t) => {
  const dir = await tmpDir();
  // upstream's bootloader, as a DIB element directory: GRUB onto DIB's loop device
  await fs.outputFile(path.join(dir, 'els', 'bootloader', 'finalise.d', '50-bootloader'), '#!/bin/bash\ngrub-install $IMAGE_BLOCK_DEVICE\n', { mode: 0o755 });
  const plan = await dib(['plan', 'busybox-root', 'bootloader'], { cwd: dir, env: { ELEMENTS_PATH: path.join(dir, 'els') } });
  t.is(plan.exitCode, 0, plan.all);
  t.regex(plan.stderr, /warning: .*element bootloader from .*els\/bootloader \(elementsPath\/ELEMENTS_PATH\) replaces dib's built-in bootloader \(dib's loopless version of DIB's bootloader\); finalise\.d\/50-bootloader uses DIB's loop device \(IMAGE_BLOCK_DEVICE…\), which dib never makes/);
  const build = await dib(['build', '-o', 'w', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root', 'bootloader'], { cwd: dir, env: { ELEMENTS_PATH: path.join(dir, 'els') } });
  const warnAt = build.stderr.indexOf("replaces dib's built-in bootloader");
  const firstPhase = build.stderr.indexOf('Running phase root');
  t.true(warnAt >= 0 && firstPhase > warnAt, 'the warning comes before the first phase');
});

root("block-device configs as upstream writes them: graph form, names with spaces, a logical root in an extended partition to the disk end, LVM for trees, xfs", async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  // upstream's graph form (base on partitions), a partition name with a space, a logical root
  const graph = [
    '- local_loop:',
    '    name: image0',
    '- partitioning:',
    '    base: image0',
    '    name: mbr',
    '    label: mbr',
    '    partitions:',
    '      - name: Root Part',
    '        base: image0',
    '        flags: [boot]',
    '        size: 200MiB',
    '- mkfs:',
    '    base: Root Part',
    '    name: mkfs_root',
    '    type: ext4',
    '- mount:',
    '    base: mkfs_root',
    '    name: mount_mkfs_root',
    '    mount_point: /',
    '- fstab:',
    '    base: mount_mkfs_root',
    '    name: fstab_mount_mkfs_root',
    '    fsck-passno: 1',
    '    options: defaults',
  ].join('\n');
  const r = await dib(['build', '-o', 'g', '-t', 'raw', '--image-size', '1', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: graph } });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));
  const parts = (await execa('partx', ['--raw', '--output', 'NR,START,END,TYPE,FLAGS,SCHEME', '-g', '-b', '-', path.join(dir, 'g.raw')])).stdout;
  t.is(parts, '1 2048 2097151 0xf 0x0 dos\n5 4096 413695 0x83 0x80 dos');
  const p5 = await execa('blkid', ['-p', '-o', 'value', '-s', 'LABEL', '--offset', String(4096 * 512), path.join(dir, 'g.raw')], { reject: false });
  t.is(p5.stdout.trim(), 'cloudimg-rootfs');

  // LVM (upstream's lvm_graph shape): a tar of it builds; a disk is refused before any work
  const lvm = [
    '- local_loop: {name: image0}',
    '- partitioning: {base: image0, name: mbr, label: mbr, partitions: [{name: root, base: image0, flags: [boot, primary], size: 3G}]}',
    '- lvm: {base: mbr, name: lvm_mbr, pvs: [{name: pv, base: root, options: ["--force"]}], vgs: [{name: vg, base: ["pv"]}], lvs: [{name: lv_root, base: vg, size: 1800M}]}',
    '- mkfs: {name: fs_root, base: lv_root, label: img-rootfs, type: xfs, mount: {mount_point: /, fstab: {options: "rw,relatime", fsck-passno: 1}}}',
  ].join('\n');
  const tar = await dib(['build', '-o', 'lv', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: lvm } });
  t.is(tar.exitCode, 0, tar.all.split('\n').slice(-30).join('\n'));
  t.is((await execa('tar', ['-xOf', path.join(dir, 'lv.tar'), './etc/fstab'])).stdout, 'LABEL=img-rootfs / xfs rw,relatime 0 1');
  const disk = await dib(['build', '-o', 'lv', '-t', 'qcow2', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: lvm } });
  t.is(disk.exitCode, 1);
  t.regex(disk.stderr, /\[E_DISK\] DIB_BLOCK_DEVICE_CONFIG: blockDevice\[2\]\.lvm: dib cannot build LVM volumes into a disk image/);
  t.notRegex(disk.stderr, /Running phase root/);
  // dib plan shows it; dib doctor refuses the disk as dib build does
  t.is((await dib(['plan', 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: lvm } })).exitCode, 0);
  const doctor = await dib(['doctor', '--quick', '-t', 'qcow2', 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: lvm } });
  t.not(doctor.exitCode, 0);
  t.regex(doctor.stderr, /dib cannot build LVM volumes into a disk image/);
  // a config dib build rejects, dib plan rejects too
  const broken = await dib(['plan', 'busybox-root'], { cwd: dir, env: { DIB_BLOCK_DEVICE_CONFIG: '- mkfs: {name: x, base: nowhere, type: ext4}' } });
  t.is(broken.exitCode, 2); // as dib build's exit for the same config (a config error)
  t.regex(broken.stderr, /\[E_BLOCK_DEVICE_CONFIG\] DIB_BLOCK_DEVICE_CONFIG: blockDevice\[0\]\.mkfs\.base: base 'nowhere' is not a partition/);

  // FS_TYPE=xfs: a tar that makes no filesystem builds; a disk gets an xfs root made from the tree
  const xtar = await dib(['build', '-o', 'xt', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { FS_TYPE: 'xfs' } });
  t.is(xtar.exitCode, 0, xtar.all.split('\n').slice(-20).join('\n'));
  const xfs = await dib(['build', '-o', 'x', '-t', 'raw', '--work-dir', work, 'busybox-root', 'block-device-mbr'], { cwd: dir, env: { FS_TYPE: 'xfs' } });
  if (xfs.exitCode !== 0 && /mkfs\.xfs/.test(xfs.stderr)) {
    t.regex(xfs.stderr, /\[E_(HOST_TOOL_MISSING|DISK)\].*mkfs\.xfs/, 'refused with a hint when this host cannot make xfs from a directory');
  } else {
    t.is(xfs.exitCode, 0, xfs.all.split('\n').slice(-20).join('\n'));
    const rootFs = path.join(dir, 'root.xfs');
    await execa('dd', [`if=${path.join(dir, 'x.raw')}`, `of=${rootFs}`, 'bs=512', 'skip=2048', 'conv=sparse', 'status=none']);
    const sb = (await execa('xfs_db', ['-r', '-c', 'sb 0', '-c', 'print fname', rootFs])).stdout;
    t.regex(sb, /fname = "img-rootfs/);
    const modes = (await execa('xfs_db', ['-r', '-c', 'path /tmp', '-c', 'print core.mode', '-c', 'path /bin/busybox', '-c', 'print core.mode', rootFs])).stdout;
    t.is(modes, 'core.mode = 041777\ncore.mode = 0100755', 'the sticky bit a protofile cannot carry is set');
    t.regex(xfs.stderr, /making xfs filesystem img-rootfs for \//);
  }
  t.deepEqual(await mountsUnder(work), []);
});

root('source-repositories: DIB_GITREPOBASE rebases git locations, NO_SOURCE_REPOSITORIES fetches nothing', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const git = await gitRepo(path.join(dir, 'mirror', 'parity-src.git'));
  await fs.writeFile(path.join(dir, 'mirror', 'parity-src.git', 'README'), 'rebased\n');
  await git('add', '.');
  await git('commit', '-qm', 'one');
  const env = { ELEMENTS_PATH: ELEMENTS, DIB_PARITY_GIT_REPO: 'https://git.example.invalid/~someone/parity-src.git', DIB_GITREPOBASE: `file://${path.join(dir, 'mirror')}` };
  const r = await dib(['build', '-o', 's', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'parity-repos'], { cwd: dir, env });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', path.join(dir, 's.tar'), p])).stdout;
  t.is(await cat('./opt/parity-git/README'), 'rebased');
  // DIB's sed keeps the slash after ~user: base + '/parity-src.git'
  t.regex(await cat('./etc/dib-manifests/dib-manifest-git-s'), new RegExp(`^parity-git git /opt/parity-git file://${path.join(dir, 'mirror')}/parity-src\\.git [0-9a-f]{40}$`));
  const none = await dib(['build', '-o', 'n', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'parity-repos'], { cwd: dir, env: { ...env, NO_SOURCE_REPOSITORIES: '1' } });
  t.is(none.exitCode, 0, none.all.split('\n').slice(-30).join('\n'));
  const list = (await execa('tar', ['-tf', path.join(dir, 'n.tar')])).stdout.split('\n');
  t.false(list.some((p) => p.startsWith('./opt/parity-git')));
  t.false(list.includes('./etc/dib-source-repositories'));
  t.regex(none.stderr, /NO_SOURCE_REPOSITORIES is set: no source repositories fetched/);
});
