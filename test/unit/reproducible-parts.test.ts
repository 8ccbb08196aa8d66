/**
 * The pure parts of reproducible output: identifiers from a seed, the default seed's inputs,
 * the VHD footer, CRC32C as ext4 uses it, the mke2fs/mkfs.vfat arguments, and the tree's
 * build-time noise.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { defineElement, type ResolvedConfig, type ResolvedElement } from '@dib/core';
import { seededIds } from '#core/disk/ids.js';
import { crc32c } from '#core/disk/ext-times.js';
import { mke2fsArgs, mkfsVfatArgs } from '#core/disk/mkfs.js';
import { patchVhdFooter, vhdChecksum, VHD_EPOCH } from '#core/output/vhd.js';
import { defaultSeed } from '#core/pipeline/seed.js';
import { clampShadow, removeBuildNoise, seedFirstBootNames } from '#core/pipeline/normalise-tree.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

test('ids: one seed and purpose give one id; UUIDs are version 4, volume ids 8 hex digits', (t) => {
  const a = seededIds('s');
  t.is(a.uuid('filesystem:mkfs_root'), seededIds('s').uuid('filesystem:mkfs_root'));
  t.not(a.uuid('filesystem:mkfs_root'), a.uuid('filesystem:mkfs_esp'));
  t.not(a.uuid('filesystem:mkfs_root'), seededIds('t').uuid('filesystem:mkfs_root'));
  t.regex(a.uuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.regex(a.volumeId('x'), /^[0-9A-F]{4}-[0-9A-F]{4}$/);
  t.true(Number.isInteger(a.u32('x')) && a.u32('x') >= 0 && a.u32('x') < 2 ** 32);
});

function config(over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return { arch: 'amd64', env: {}, packages: [], fsType: 'ext4', installType: 'source', skipBase: false, name: '/out/a', workDir: '/w', types: ['qcow2'], ...over } as ResolvedConfig;
}

test('the default seed: the config keys that shape the image and the elements, not paths, names, types or secrets', async (t) => {
  const dir = await tmpDir();
  await writeTree(dir, { 'el/install.d/10-x': 'echo one\n' });
  const els: ResolvedElement[] = [
    { name: 'vm', element: defineElement({ name: 'vm' }), packageName: '@dib/element-vm', dir: path.join(dir, 'none'), kind: 'package' },
    { name: 'el', element: defineElement({ name: 'el' }), dir: path.join(dir, 'el'), kind: 'directory' },
  ];
  const seed = (c: Partial<ResolvedConfig>) => defaultSeed({ config: config(c), elements: els });
  const base = await seed({});
  t.regex(base, /^[0-9a-f]{64}$/);
  t.is(await seed({ name: '/elsewhere/b', workDir: '/tmp/x', types: ['tar'], env: { DIB_DEV_USER_PASSWORD: 'hunter2' } }), base);
  t.not(await seed({ env: { DIB_RELEASE: 'trixie' } }), base);
  t.not(await seed({ arch: 'arm64' }), base);
  t.not(await seed({ imageSize: 4 * 1024 ** 3 }), base);
  // a DIB element directory is versioned by its files
  await fs.writeFile(path.join(dir, 'el/install.d/10-x'), 'echo two\n');
  t.not(await seed({}), base);
});

test('VHD footer: seeded unique id, the epoch as VHD time, a valid checksum', (t) => {
  const footer = Buffer.alloc(512);
  footer.write('conectix', 0, 'latin1');
  footer.writeUInt32BE(0x12345678, 24);
  const uuid = '0b6c4a3e-9d6f-4c55-8a43-2f1ad9f0d1e2';
  patchVhdFooter(footer, { uuid, sourceDateEpoch: 1700000000 });
  t.is(footer.readUInt32BE(24), 1700000000 - VHD_EPOCH);
  t.is(footer.subarray(68, 84).toString('hex'), uuid.replace(/-/g, ''));
  t.is(footer.readUInt32BE(64), vhdChecksum(footer));
  // without an epoch the time stays qemu-img's
  footer.writeUInt32BE(42, 24);
  patchVhdFooter(footer, { uuid });
  t.is(footer.readUInt32BE(24), 42);
  t.throws(() => patchVhdFooter(Buffer.alloc(512), { uuid }), { message: /not a VHD footer/ });
});

test('crc32c is the Castagnoli CRC (raw, as ext2fs_crc32c_le)', (t) => {
  // the standard check value of CRC-32C is 0xE3069283: ~crc(~0, "123456789")
  t.is(~crc32c(0xffffffff, Buffer.from('123456789')) >>> 0, 0xe3069283);
});

test('mke2fs: one -E with the hash seed, the offset and the user extended options; vfat in place with --offset', (t) => {
  const fs0 = { name: 'mkfs_root', type: 'ext4' as const, label: 'root', uuid: 'u-1', opts: ['-E', 'resize=100', '-i', '4096', '-Elazy_itable_init=0'], hashSeed: 'h-1', path: '' };
  t.deepEqual(mke2fsArgs(fs0, '/d.raw', 8 * 1024 ** 2, { sourceDir: '/t', offset: 1048576 }), [
    '-t',
    'ext4',
    '-F',
    '-q',
    '-L',
    'root',
    '-U',
    'u-1',
    '-i',
    '4096',
    '-E',
    'resize=100,lazy_itable_init=0,hash_seed=h-1,offset=1048576',
    '-d',
    '/t',
    '/d.raw',
    '8192k',
  ]);
  // the user's hash seed wins
  t.regex(mke2fsArgs({ ...fs0, opts: ['-E', 'hash_seed=mine'] }, '/f', 4096).join(' '), /-E hash_seed=mine \/f/);
  const esp = { name: 'mkfs_esp', type: 'vfat' as const, label: 'ESP', uuid: '1A2B-3C4D', opts: [], path: '' };
  t.deepEqual(mkfsVfatArgs(esp, '/d.raw', 16 * 1024 ** 2, { offset: 1048576, invariant: true }), ['--offset=2048', '--invariant', '-n', 'ESP', '-i', '1A2B3C4D', '/d.raw', '16384']);
  t.deepEqual(mkfsVfatArgs(esp, '/esp.img', 16 * 1024 ** 2), ['-C', '-n', 'ESP', '-i', '1A2B3C4D', '/esp.img', '16384']);
});

test('shadow: last-change days after the epoch are clamped to its day', (t) => {
  const text = 'root:*:19700:0:99999:7:::\n_apt:*:20500:0:99999:7:::\nold:!:10000::::::\nbad line\n';
  t.is(clampShadow(text, 20000), 'root:*:19700:0:99999:7:::\n_apt:*:20000:0:99999:7:::\nold:!:10000::::::\nbad line\n');
});

test('build-time noise is removed; the rest of the tree, and what links point at, stays', async (t) => {
  const root = await tmpDir();
  await writeTree(root, {
    'var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease': 'x',
    'var/lib/apt/lists/lock': '',
    'var/lib/apt/lists/partial/.keep': '',
    'var/cache/apt/pkgcache.bin': 'x',
    'var/cache/apt/archives/kept.deb': 'x',
    'var/cache/ldconfig/aux-cache': 'x',
    'var/cache/debconf/config.dat': 'keep',
    'var/cache/debconf/config.dat-old': 'x',
    'var/lib/systemd/random-seed': 'x',
    'var/log/journal/abc/system.journal': 'x',
    'usr/lib/python3/dist-packages/foo/__init__.py': '',
    'usr/lib/python3/dist-packages/foo/__pycache__/__init__.cpython-311.pyc': 'x',
    'etc/machine-id': 'uninitialized\n',
    'etc/shadow': 'root:*:30000:0:99999:7:::\n',
    'etc/ssh/sshd_config': 'x',
    'etc/ssh/ssh_host_ed25519_key': 'secret',
    'etc/ssh/ssh_host_ed25519_key.pub': 'pub',
    'lib/systemd/systemd': '',
    'usr/bin/ssh-keygen': '',
  });
  await fs.ensureDir(path.join(root, 'var/lib/dbus'));
  await fs.symlink('/etc/machine-id', path.join(root, 'var/lib/dbus/machine-id'));
  const r = await removeBuildNoise(root, 20000 * 86400 + 5);
  t.deepEqual(r.removed, [
    '/etc/ssh/ssh_host_ed25519_key',
    '/etc/ssh/ssh_host_ed25519_key.pub',
    '/usr/lib/python3/dist-packages/foo/__pycache__',
    '/var/cache/apt/pkgcache.bin',
    '/var/cache/debconf/config.dat-old',
    '/var/cache/ldconfig/aux-cache',
    '/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease',
    '/var/lib/systemd/random-seed',
    '/var/log/journal/abc',
  ]);
  for (const kept of ['var/lib/apt/lists/lock', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/kept.deb', 'var/cache/debconf/config.dat', 'etc/ssh/sshd_config', 'usr/lib/python3/dist-packages/foo/__init__.py']) {
    t.true(await fs.pathExists(path.join(root, kept)), kept);
  }
  // the dbus id links to /etc/machine-id: sysprep's 'uninitialized' is left alone
  t.is(await fs.readFile(path.join(root, 'etc/machine-id'), 'utf8'), 'uninitialized\n');
  t.is(await fs.readFile(path.join(root, 'etc/shadow'), 'utf8'), 'root:*:20000:0:99999:7:::\n');
  // the host keys are made on first boot
  const unit = await fs.readFile(path.join(root, 'etc/systemd/system/dib-ssh-host-keys.service'), 'utf8');
  t.regex(unit, /ExecStart=\/usr\/bin\/ssh-keygen -A/);
  t.regex(unit, /Before=ssh\.service/);
  t.is(await fs.readlink(path.join(root, 'etc/systemd/system/multi-user.target.wants/dib-ssh-host-keys.service')), '../dib-ssh-host-keys.service');
  t.true(r.changed.includes('/etc/shadow'));

  // without systemd to make new ones, the host keys stay (sshd would not start otherwise)
  const bare = await tmpDir();
  await writeTree(bare, { 'etc/ssh/ssh_host_rsa_key': 'k', 'usr/bin/ssh-keygen': '' });
  t.deepEqual((await removeBuildNoise(bare, 0)).removed, []);
  t.true(await fs.pathExists(path.join(bare, 'etc/ssh/ssh_host_rsa_key')));
});

test("open-iscsi's initiator name: dib's GenerateName=yes placeholder before install (never over a file that is there), dropped when open-iscsi did not come", async (t) => {
  const root = await tmpDir();
  t.deepEqual(await seedFirstBootNames(root), ['/etc/iscsi/initiatorname.iscsi']);
  const file = path.join(root, 'etc/iscsi/initiatorname.iscsi');
  t.regex(await fs.readFile(file, 'utf8'), /^GenerateName=yes$/m);
  // the package came: its postinst left the file alone (it exists), and the reader is there
  await writeTree(root, { 'usr/lib/open-iscsi/startup-checks.sh': 'grep -q "^GenerateName=yes"' });
  t.false((await removeBuildNoise(root, 0)).removed.includes('/etc/iscsi/initiatorname.iscsi'));
  t.true(await fs.pathExists(file));
  // a name already there (a cached root, an element) is not replaced
  await fs.writeFile(file, 'InitiatorName=iqn.1993-08.org.debian:01:given\n');
  t.deepEqual(await seedFirstBootNames(root), []);
  t.is(await fs.readFile(file, 'utf8'), 'InitiatorName=iqn.1993-08.org.debian:01:given\n');
  // no open-iscsi in the end: the placeholder and the directory made for it go
  const bare = await tmpDir();
  await seedFirstBootNames(bare);
  t.deepEqual((await removeBuildNoise(bare, 0)).removed, ['/etc/iscsi/initiatorname.iscsi']);
  t.false(await fs.pathExists(path.join(bare, 'etc/iscsi')));
});
