/**
 * DIB's disk-image-create options and environment knobs change the built image as DIB's do:
 * busybox-root builds inspected with dumpe2fs, sfdisk and qemu-img.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const MiB = 1024 ** 2;

async function ext4(file: string): Promise<Record<string, string>> {
  const { stdout } = await execa('dumpe2fs', ['-h', file], { stderr: 'ignore' });
  return Object.fromEntries(stdout.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]));
}

async function build(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = await dib(['build', '-q', '--work-dir', path.join(dir, 'work'), ...args], { cwd: dir, env, extendEnv: true });
  return r;
}

test('--mkfs-options "-m 1", --mkfs-journal-size, --max-online-resize and --image-extra-size reach the root filesystem', async (t) => {
  const dir = await tmpDir();
  const plain = await build(dir, ['-o', 'plain', '-t', 'raw', 'busybox-root']);
  t.is(plain.exitCode, 0, plain.all);
  const tuned = await build(dir, ['-o', 'tuned', '-t', 'raw', '--mkfs-options', '-m 1', '--mkfs-journal-size', '8', '--max-online-resize', '1000000', '--image-extra-size', '200', 'busybox-root']);
  t.is(tuned.exitCode, 0, tuned.all);
  const a = await ext4(path.join(dir, 'plain.raw'));
  const b = await ext4(path.join(dir, 'tuned.raw'));
  t.log(`default: ${a['Block count']} blocks of ${a['Block size']}, reserved ${a['Reserved block count']}, journal ${a['Total journal size']}, reserved GDT ${a['Reserved GDT blocks']}, free ${a['Free blocks']}`);
  t.log(`tuned:   ${b['Block count']} blocks of ${b['Block size']}, reserved ${b['Reserved block count']}, journal ${b['Total journal size']}, reserved GDT ${b['Reserved GDT blocks']}, free ${b['Free blocks']}`);
  // mke2fs -m 1: 1 % reserved instead of 5 %
  t.is(Math.round((Number(b['Reserved block count']) / Number(b['Block count'])) * 100), 1);
  t.is(Math.round((Number(a['Reserved block count']) / Number(a['Block count'])) * 100), 5);
  // -J size=8 instead of DIB's 64
  t.is(b['Total journal size'], '8M');
  t.is(a['Total journal size'], '64M');
  // -E resize=1000000: room in the group descriptor table for 1000000 blocks, far fewer than mke2fs's 1024x default
  t.true(Number(b['Reserved GDT blocks']) < Number(a['Reserved GDT blocks']), `${b['Reserved GDT blocks']} < ${a['Reserved GDT blocks']}`);
  // DIB_IMAGE_EXTRA_SIZE: the content plus 200 MiB free, instead of the default headroom
  const free = Number(b['Free blocks']) * Number(b['Block size']);
  t.true(free >= 200 * MiB && free < 215 * MiB, `free space ${free / MiB} MiB`);
});

test('DIB_IMAGE_SIZE, DIB_JOURNAL_SIZE, QEMU_IMG_OPTIONS and DIB_CHECKSUM from the environment', async (t) => {
  const dir = await tmpDir();
  const r = await build(dir, ['-o', 'env', '-t', 'raw,qcow2', 'busybox-root'], { DIB_IMAGE_SIZE: '0.5', DIB_JOURNAL_SIZE: '16', QEMU_IMG_OPTIONS: 'compat=0.10', DIB_CHECKSUM: '1' });
  t.is(r.exitCode, 0, r.all);
  t.is((await fs.stat(path.join(dir, 'env.raw'))).size, 512 * MiB);
  t.is((await ext4(path.join(dir, 'env.raw')))['Total journal size'], '16M');
  const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', path.join(dir, 'env.qcow2')])).stdout) as { 'format-specific': { data: { compat: string } } };
  t.is(info['format-specific'].data.compat, '0.10');
  for (const f of ['env.raw', 'env.qcow2']) {
    await execa('md5sum', ['-c', `${f}.md5`], { cwd: dir });
    await execa('sha256sum', ['-c', `${f}.sha256`], { cwd: dir });
  }
  t.pass();
  // the command line beats the environment; a bad variable is named, before any work
  const cli = await build(dir, ['-o', 'cli', '-t', 'qcow2', '--qemu-img-options', 'compat=1.1', 'busybox-root'], { QEMU_IMG_OPTIONS: 'compat=0.10' });
  t.is(cli.exitCode, 0, cli.all);
  const info2 = JSON.parse((await execa('qemu-img', ['info', '--output=json', path.join(dir, 'cli.qcow2')])).stdout) as { 'format-specific': { data: { compat: string } } };
  t.is(info2['format-specific'].data.compat, '1.1');
  const bad = await build(dir, ['-o', 'bad', '-t', 'raw', 'busybox-root'], { DIB_IMAGE_SIZE: 'huge' });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /dib: error \[E_CONFIG_VALUE\] environment: DIB_IMAGE_SIZE: 'huge' is not a size.*; fix: export DIB_IMAGE_SIZE=4GiB/);
  t.false(await fs.pathExists(path.join(dir, 'work', 'bad')));
});

test('a partitioned disk: --image-extra-size grows the root partition, DIB_IMAGE_SIZE sizes the disk', async (t) => {
  const dir = await tmpDir();
  const blockDevice = [
    { local_loop: { name: 'image0' } },
    {
      partitioning: {
        base: 'image0',
        label: 'mbr',
        partitions: [{ name: 'root', flags: ['boot', 'primary'], size: '100%', mkfs: { name: 'mkfs_root', mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } } } }],
      },
    },
  ];
  await fs.writeJson(path.join(dir, '.dibrc.json'), { elements: ['busybox-root'], types: ['raw'], blockDevice });
  const sizes = async (name: string) => {
    const j = JSON.parse((await execa('sfdisk', ['-J', path.join(dir, `${name}.raw`)])).stdout) as { partitiontable: { label: string; partitions: Array<{ size: number }> } };
    return { label: j.partitiontable.label, root: j.partitiontable.partitions[0]!.size * 512, disk: (await fs.stat(path.join(dir, `${name}.raw`))).size };
  };
  const plain = await build(dir, ['-o', 'plain']);
  t.is(plain.exitCode, 0, plain.all);
  const extra = await build(dir, ['-o', 'extra', '--image-extra-size', '300']);
  t.is(extra.exitCode, 0, extra.all);
  const fixed = await build(dir, ['-o', 'fixed', '--image-extra-size', '300'], { DIB_IMAGE_SIZE: '1' });
  t.is(fixed.exitCode, 0, fixed.all);
  const [p, e, f] = [await sizes('plain'), await sizes('extra'), await sizes('fixed')];
  t.log(`root partition: default ${p.root / MiB} MiB, --image-extra-size 300: ${e.root / MiB} MiB; DIB_IMAGE_SIZE=1: disk ${f.disk / MiB} MiB`);
  t.is(e.label, 'dos');
  t.true(e.root >= p.root + 200 * MiB, 'the extra size replaces the headroom and is larger than it');
  // content (a few MiB) + 300 MiB free + the 64 MiB journal + inode tables (1/16 with -i 4096)
  t.true(e.root >= 364 * MiB && e.root < 410 * MiB);
  // DIB: an explicit size wins over the extra size
  t.is(f.disk, 1024 * MiB);
});

test('-c: nothing from the caller’s environment reaches the config or any script (DIB’s clear-env, working)', async (t) => {
  const dir = await tmpDir();
  const env = { SITE_VAR: 'site', DIB_SITE_X: 'dib-site', http_proxy: 'http://proxy.invalid:3128', DIB_IMAGE_SIZE: 'not-a-size' };
  const args = ['-t', 'tar', '--elements-path', path.join(FIXTURES, 'dib-elements'), 'busybox-root', 'env-record'];
  // without -c, the environment is read (and this DIB_IMAGE_SIZE is refused)
  const refused = await build(dir, ['-o', 'with', ...args], env);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /environment: DIB_IMAGE_SIZE/);
  const kept = await build(dir, ['-o', 'with', ...args], { ...env, DIB_IMAGE_SIZE: '' });
  t.is(kept.exitCode, 0, kept.all);
  const cleared = await build(dir, ['-c', '-o', 'without', ...args], env);
  t.is(cleared.exitCode, 0, cleared.all);
  const read = async (name: string, file: string) => (await execa('tar', ['-xOf', path.join(dir, `${name}.tar`), `./${file}`])).stdout.split('\n');
  const hostWith = await read('with', 'env-host.txt');
  t.true(hostWith.includes('SITE_VAR=site') && hostWith.includes('DIB_SITE_X=dib-site'));
  for (const file of ['env-host.txt', 'env-chroot.txt']) {
    const lines = await read('without', file);
    t.false(lines.some((l) => /^(SITE_VAR|DIB_SITE_X|http_proxy|DIB_IMAGE_SIZE)=/.test(l)), `${file}: ${lines.join(' ')}`);
    t.true(lines.some((l) => /^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin/.test(l)), file);
    t.true(lines.some((l) => l.startsWith('IMAGE_ELEMENT=')), `${file}: dib's own build variables are still there`);
  }
});
