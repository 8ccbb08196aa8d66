import test from 'ava';
import { DibError } from '@dib/core';
import { planLayout, layoutEnv, fstab, FALLBACK_BLOCK_DEVICE_CONFIG, type LayoutParams } from '#core/disk/layout.js';
import { parseBlockDeviceConfig } from '#core/disk/config.js';
import { loadBlockDeviceConfigText } from '#core/disk/source.js';
import { EFI_LAYOUT } from '@dib/element-block-device-efi';
import { GPT_LAYOUT, GPT_PPC64EL_LAYOUT } from '@dib/element-block-device-gpt';
import { MBR_LAYOUT, MBR_PPC64EL_LAYOUT } from '@dib/element-block-device-mbr';
import mbr from '@dib/element-block-device-mbr';
import gpt from '@dib/element-block-device-gpt';
import efi from '@dib/element-block-device-efi';

const P: LayoutParams = { fsType: 'ext4', arch: 'amd64' };
const SRC = 'config key blockDevice';

/** Accepted, with `path` named in a warning (DIB ignores it) or in a disk problem (refused when a disk is made). */
function accepted(t: import('ava').ExecutionContext, config: unknown, path: string, re: RegExp, where: 'warning' | 'disk') {
  const l = planLayout(config, SRC, P);
  const said = where === 'warning' ? l.warnings : l.diskProblems.map((d) => `${SRC}: ${d.path}: ${d.problem}`);
  t.true(said.some((w) => new RegExp(`^${SRC}: ${path}: `).test(w) && re.test(w)), `${where}s: ${JSON.stringify(said)}`);
}

function bad(t: import('ava').ExecutionContext, config: unknown, path: string, re: RegExp, params: LayoutParams = P) {
  const e = t.throws(() => planLayout(config, SRC, params));
  t.true(e instanceof DibError, String(e));
  const d = e as DibError;
  t.is(d.code, 'E_BLOCK_DEVICE_CONFIG');
  t.regex(d.message, new RegExp(`^${SRC}: ${path}: `));
  t.regex(d.message, re);
  t.false(d.message.includes('\n'));
  t.truthy(d.hint);
}

const part = (partitions: unknown[], label = 'gpt', extra: Record<string, unknown> = {}) => [
  { local_loop: { name: 'image0' } },
  { partitioning: { base: 'image0', label, partitions, ...extra } },
];
const rootPart = { name: 'root', size: '100%', mkfs: { type: 'ext4', mount: { mount_point: '/', fstab: { 'fsck-passno': 1 } } } };

test('efi default: names, labels, types, fstab, env', (t) => {
  const l = planLayout(EFI_LAYOUT, 'element block-device-efi', P);
  t.is(l.table, 'gpt');
  t.deepEqual(
    l.partitions.map((p) => [p.name, p.number, p.typeCode, p.esp, p.biosBoot]),
    [
      ['ESP', 1, 'EF00', true, false],
      ['BSP', 2, 'EF02', false, true],
      ['root', 3, '8300', false, false],
    ],
  );
  t.deepEqual(
    l.filesystems.map((f) => [f.name, f.type, f.label, f.mountPoint, f.partition]),
    [
      ['mkfs_ESP', 'vfat', 'MKFS_ESP', '/boot/efi', 'ESP'],
      ['mkfs_root', 'ext4', 'cloudimg-rootfs', '/', 'root'],
    ],
  );
  t.deepEqual(l.filesystems[1]!.opts, ['-i', '4096', '-J', 'size=64']);
  t.regex(l.filesystems[1]!.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.regex(l.filesystems[0]!.uuid, /^[0-9A-F]{4}-[0-9A-F]{4}$/);
  t.is(l.rootUuid, l.filesystems[1]!.uuid);
  t.is(fstab(l), 'LABEL=cloudimg-rootfs / ext4 defaults 0 1\nLABEL=MKFS_ESP /boot/efi vfat defaults 0 2\n');
  t.deepEqual(layoutEnv(l), { DIB_ROOT_LABEL: 'cloudimg-rootfs', DIB_ROOT_FSTYPE: 'ext4', DIB_BOOT_LABEL: '', DIB_MOUNTPOINTS: '/|/boot/efi' });
  t.notThrows(() => JSON.parse(JSON.stringify(l)));
});

test('mbr default: mkfs_root inherits FS_TYPE, root label and mkfs options', (t) => {
  const l = planLayout(MBR_LAYOUT, 'element block-device-mbr', { fsType: 'ext3', rootLabel: 'myroot', mkfsOptions: '-O ^metadata_csum  -m 1', arch: 'amd64' });
  t.is(l.table, 'mbr');
  t.deepEqual(l.partitions.map((p) => [p.name, p.number, p.type, p.flags.boot, p.flags.primary, p.logical]), [['root', 1, '83', true, true, false]]);
  const root = l.filesystems[0]!;
  t.is(root.name, 'mkfs_root');
  t.is(root.type, 'ext3');
  t.is(root.label, 'myroot');
  t.deepEqual(root.opts, ['-O', '^metadata_csum', '-m', '1']); // journal/inode options only for ext4
  t.is(fstab(l), 'LABEL=myroot / ext3 defaults 0 1\n');
});

test('gpt default hard-codes ext4 and ppc64el variants', (t) => {
  const l = planLayout(GPT_LAYOUT, 'x', { fsType: 'ext3', arch: 'amd64' });
  t.is(l.rootFsType, 'ext4');
  t.deepEqual(l.partitions.map((p) => p.name), ['BSP', 'root']);
  const ppc = planLayout(GPT_PPC64EL_LAYOUT, 'x', P);
  t.is(ppc.partitions[0]!.typeCode, '4100');
  const mppc = planLayout(MBR_PPC64EL_LAYOUT, 'x', P);
  t.deepEqual(mppc.partitions.map((p) => [p.name, p.type]), [['boot', '41'], ['root', '83']]);
});

test('fallback: plain filesystem, no table; undefined config means the fallback', (t) => {
  const l = planLayout(FALLBACK_BLOCK_DEVICE_CONFIG, 'default layout', P);
  t.is(l.table, 'none');
  t.is(l.filesystems[0]!.partition, undefined);
  t.is(l.rootLabel, 'cloudimg-rootfs');
  const u = planLayout(undefined, 'default layout', { fsType: 'ext4', arch: 'amd64' });
  t.is(u.table, 'none');
});

test('tree form default names: mkfs_<base>, mount_<mkfs>, fstab_<mount>', (t) => {
  const p = parseBlockDeviceConfig(part([rootPart]), SRC);
  t.deepEqual(
    p.nodes.map((n) => [n.plugin, n.name, n.base]),
    [
      ['local_loop', 'image0', undefined],
      ['partitioning', 'partitioning_image0', 'image0'],
      ['mkfs', 'mkfs_root', 'root'],
      ['mount', 'mount_mkfs_root', 'mkfs_root'],
      ['fstab', 'fstab_mount_mkfs_root', 'mount_mkfs_root'],
    ],
  );
});

test('flat form and mixed form give the same layout', (t) => {
  const flat = [
    { local_loop: { name: 'image0' } },
    { partitioning: { base: 'image0', label: 'mbr', partitions: [{ name: 'root', flags: ['boot', 'primary'], size: '100%' }] } },
    { mkfs: { name: 'mkfs_root', base: 'root', type: 'ext4', label: 'r' } },
    { mount: { name: 'mount_root', base: 'mkfs_root', mount_point: '/' } },
    { fstab: { name: 'fstab_root', base: 'mount_root', options: 'noatime', 'fsck-passno': 1, 'dump-freq': 1 } },
  ];
  const l = planLayout(flat, SRC, P);
  t.is(fstab(l), 'LABEL=r / ext4 noatime 1 1\n');
  const mixed = [
    { local_loop: { name: 'image0' } },
    { partitioning: { base: 'image0', label: 'mbr', partitions: [{ name: 'root', flags: ['boot', 'primary'], size: '100%', mkfs: { type: 'ext4', label: 'r' } }] } },
    { mount: { base: 'mkfs_root', mount_point: '/', fstab: { options: 'noatime', 'fsck-passno': 1, 'dump-freq': 1 } } },
  ];
  t.is(fstab(planLayout(mixed, SRC, P)), 'LABEL=r / ext4 noatime 1 1\n');
});

test('YAML text (DIB_BLOCK_DEVICE_CONFIG) parses into the same config', (t) => {
  const yaml = `
- local_loop:
    name: image0
- partitioning:
    base: image0
    label: gpt
    partitions:
      - name: ESP
        type: 'EF00'
        size: 16MiB
        mkfs:
          type: vfat
          mount:
            mount_point: /boot/efi
            fstab:
              options: "defaults"
              fsck-passno: 2
      - name: root
        size: 100%
        mkfs:
          type: ext4
          mount:
            mount_point: /
            fstab:
              options: "defaults"
              fsck-passno: 1
      - name: swap
        type: '8200'
        size: 64MiB
        mkfs:
          type: swap
          mount:
            mount_point: none
            fstab: {}
`;
  const l = planLayout(loadBlockDeviceConfigText(yaml, 'bd.yaml'), 'bd.yaml', P);
  t.is(fstab(l), 'LABEL=cloudimg-rootfs / ext4 defaults 0 1\nLABEL=MKFS_ESP /boot/efi vfat defaults 0 2\nLABEL=mkfs_swap none swap sw 0 0\n');
  t.deepEqual(l.mountPoints, ['/', '/boot/efi']);
  const e = t.throws(() => loadBlockDeviceConfigText('- a: [', 'bd.yaml')) as DibError;
  t.is(e.code, 'E_BLOCK_DEVICE_CONFIG');
});

test('/boot label, mount point order, DIB_MOUNTPOINTS', (t) => {
  const l = planLayout(
    part([
      { name: 'boot', size: '256MiB', mkfs: { type: 'ext4', label: 'BOOT', mount: { mount_point: '/boot', fstab: {} } } },
      { name: 'var', size: '1GiB', mkfs: { type: 'ext4', mount: { mount_point: '/var' } } },
      rootPart,
    ]),
    SRC,
    P,
  );
  t.is(l.bootLabel, 'BOOT');
  t.deepEqual(layoutEnv(l).DIB_MOUNTPOINTS, '/|/boot|/var');
  t.is(fstab(l), 'LABEL=cloudimg-rootfs / ext4 defaults 0 1\nLABEL=BOOT /boot ext4 defaults 0 2\n');
});

test('MBR logical partitions number from 5 and primaries come first', (t) => {
  const l = planLayout(
    part(
      [
        { name: 'root', flags: ['boot', 'primary'], size: '50%', mkfs: { type: 'ext4', mount: { mount_point: '/' } } },
        { name: 'data', size: '50%', mkfs: { type: 'ext4', mount: { mount_point: '/data' } } },
        { name: 'more', size: '100%' },
      ],
      'mbr',
    ),
    SRC,
    P,
  );
  t.deepEqual(l.partitions.map((p) => [p.name, p.number, p.logical]), [
    ['root', 1, false],
    ['data', 5, true],
    ['more', 6, true],
  ]);
});

// ---- every schema error ----

test('errors: shape of the list', (t) => {
  bad(t, {}, 'blockDevice', /must be a list/);
  bad(t, [], 'blockDevice', /empty list/);
  bad(t, ['x'], 'blockDevice\\[0\\]', /not a map/);
  bad(t, [{ local_loop: { name: 'a' }, mkfs: {} }], 'blockDevice\\[0\\]', /single-key map/);
  bad(t, [{ partitionning: {} }], 'blockDevice\\[0\\]\\.partitionning', /not a block-device plugin \(did you mean 'partitioning'\?\)/);
  bad(t, [{ local_loop: 'x' }], 'blockDevice\\[0\\]\\.local_loop', /must be a map/);
});

test('lvm is planned (pvs on partitions, vgs, lvs holding filesystems) and is a disk problem', (t) => {
  const lvm = [
    ...part([{ name: 'boot', size: '1GiB', mkfs: { type: 'ext4', mount: { mount_point: '/boot' } } }, { name: 'pvpart', size: '100%' }], 'mbr'),
    { lvm: { name: 'lvm', base: ['pvpart'], pvs: [{ name: 'pv', base: 'pvpart', options: ['--force'] }], vgs: [{ name: 'vg', base: ['pv'] }], lvs: [{ name: 'lv_root', base: 'vg', size: '1800M' }, { name: 'lv_var', base: 'vg', extents: '40%VG' }] } },
    { mkfs: { name: 'mkfs_root', base: 'lv_root', type: 'xfs', mount: { mount_point: '/' } } },
    { mkfs: { name: 'fs_var', base: 'lv_var', type: 'ext4', mount: { mount_point: '/var' } } },
  ];
  const l = planLayout(lvm, SRC, P);
  t.deepEqual(l.lvm!.pvs.map((p) => [p.name, p.partition]), [['pv', 'pvpart']]);
  t.deepEqual(l.lvm!.vgs.map((v) => [v.name, v.pvs]), [['vg', ['pv']]]);
  t.deepEqual(l.lvm!.lvs.map((v) => [v.name, v.vg, v.size?.kind === 'bytes' ? v.size.bytes : v.extents]), [['lv_root', 'vg', 1800 * 1000 ** 2], ['lv_var', 'vg', '40%VG']]);
  t.like(l.filesystems.find((f) => f.mountPoint === '/'), { volume: 'lv_root', type: 'xfs', label: 'img-rootfs' });
  t.deepEqual(l.mountPoints, ['/', '/boot', '/var']);
  accepted(t, lvm, 'blockDevice\\[2\\]\\.lvm', /dib cannot build LVM volumes into a disk image/, 'disk');
  // upstream's checks (test_lvm_invalid_config)
  const lvmWith = (patch: (l: Record<string, unknown>) => void) => {
    const c = structuredClone(lvm) as unknown as Record<string, Record<string, unknown>>[];
    patch(c[2]!.lvm!);
    return c;
  };
  bad(t, lvmWith((l) => ((l.vgs as Record<string, unknown>[])[0]!.base = ['invalid_pv'])), 'blockDevice\\[2\\]\\.lvm\\.vgs\\[0\\]\\.base', /base:invalid_pv in vgs does not match a valid pvs/);
  bad(t, lvmWith((l) => ((l.lvs as Record<string, unknown>[])[0]!.base = ['invalid_vg'])), 'blockDevice\\[2\\]\\.lvm\\.lvs\\[0\\]\\.base', /base:\["invalid_vg"\] in lvs does not match a valid vg/);
  bad(t, lvmWith((l) => delete (l.lvs as Record<string, unknown>[])[0]!.size), 'blockDevice\\[2\\]\\.lvm\\.lvs\\[0\\]', /Missing 'size' or 'extents' in lvs config/);
});

test('errors: names and bases', (t) => {
  bad(t, [{ local_loop: {} }], 'blockDevice\\[0\\]\\.local_loop\\.name', /needs a name/);
  bad(t, [{ local_loop: { name: 'image0' } }, { mkfs: { type: 'ext4' } }], 'blockDevice\\[1\\]\\.mkfs', /needs a base/);
  bad(t, [{ local_loop: { name: 'image0' } }, { mkfs: { name: 'm', base: 'nope', type: 'ext4' } }], 'blockDevice\\[1\\]\\.mkfs\\.base', /'nope' is not a partition, a logical volume or the disk/);
  bad(t, [{ local_loop: { name: 'image0', mkfs: { name: 'mkfs_root', base: 'other', mount: { mount_point: '/' } } } }], 'blockDevice\\[0\\]\\.local_loop\\.mkfs\\.base', /contradicts/);
  bad(t, part([rootPart, { name: 'root', size: '1MiB' }]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[1\\]\\.name', /already used/);
  bad(t, [{ local_loop: { name: 'a' } }, { local_loop: { name: 'b' } }], 'blockDevice\\[1\\]\\.local_loop', /more than one local_loop/);
  accepted(t, [{ local_loop: { name: 'image0', name2: 1, mkfs: { name: 'mkfs_root', mount: { mount_point: '/' } } } }], 'blockDevice\\[0\\]\\.local_loop\\.name2', /unknown key 'name2' \(did you mean 'name'\?\) ignored, as DIB ignores it/, 'warning');
  bad(t, [{ local_loop: { name: 'image0', block_size: 4096 } }], 'blockDevice\\[0\\]\\.local_loop\\.block_size', /not supported/);
  bad(t, [{ local_loop: { name: 'image0', size: '2 XiB' } }], 'blockDevice\\[0\\]\\.local_loop\\.size', /unknown unit/);
  bad(t, [{ local_loop: { name: 'image0' } }, { mount: { base: 'image0', mount_point: '/' } }, { mkfs: { name: 'mkfs_root', base: 'image0' } }], 'blockDevice\\[1\\]\\.mount\\.base', /not a filesystem/);
  bad(t, [{ local_loop: { name: 'image0', mkfs: { name: 'mkfs_root', mount: { mount_point: '/' } } } }, { fstab: { base: 'mkfs_root' } }], 'blockDevice\\[1\\]\\.fstab\\.base', /not a mount entry/);
});

test('errors: partitioning', (t) => {
  bad(t, [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', partitions: [rootPart] } }], 'blockDevice\\[1\\]\\.partitioning\\.label', /needs a label/);
  bad(t, part([rootPart], 'msdos'), 'blockDevice\\[1\\]\\.partitioning\\.label', /not mbr or gpt/);
  bad(t, [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'disk', label: 'gpt', partitions: [rootPart] } }], 'blockDevice\\[1\\]\\.partitioning\\.base', /not the disk/);
  bad(t, part([]), 'blockDevice\\[1\\]\\.partitioning\\.partitions', /non-empty list/);
  bad(t, [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'gpt' } }], 'blockDevice\\[1\\]\\.partitioning\\.partitions', /needs a list/);
  bad(t, part([rootPart], 'mbr', { align: '100' }), 'blockDevice\\[1\\]\\.partitioning\\.align', /multiple of 512/);
  bad(t, part([{ size: '1MiB' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.name', /needs a name/);
  // names are free-form, as upstream's gpt_efi names one 'Root Part'; GPT can hold 36 characters and no quote
  t.is(planLayout(part([{ name: 'Data Part', size: '1MiB' }, rootPart]), SRC, P).partitions[0]!.name, 'Data Part');
  accepted(t, part([{ name: 'a"b', size: '1MiB' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.name', /holds a quote/, 'disk');
  accepted(t, part([{ name: 'x'.repeat(37), size: '1MiB' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.name', /longer than 36/, 'disk');
  bad(t, part([{ name: 'x' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.size', /needs a size/);
  bad(t, part([{ name: 'x', size: '10 parsecs' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.size', /unknown unit/);
  bad(t, part([{ name: 'x', size: '150%' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.size', /at most 100/);
  bad(t, part([{ name: 'x', size: '1MiB', flags: 'boot' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.flags', /must be a list/);
  bad(t, part([{ name: 'x', size: '1MiB', flags: ['bios'] }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.flags\\[0\\]', /unknown partition flag/);
  bad(t, part([{ name: 'x', size: '1MiB', flags: ['primary'] }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.flags\\[0\\]', /only meaningful on mbr/);
  bad(t, part([{ name: 'x', size: '1MiB', type: 'ZZZZ' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.type', /unknown GPT partition type/);
  bad(t, part([{ name: 'x', size: '1MiB', type: 'zz' }, rootPart], 'mbr'), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.type', /hex byte/);
  // upstream reads it as hex and fails only writing it: accepted, refused for a disk
  accepted(t, part([{ name: 'x', size: '1MiB', type: 'EF00' }, rootPart], 'mbr'), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.type', /0xef00 does not fit the one-byte type/, 'disk');
  bad(t, part([{ name: 'x', size: '1MiB', type: '0x05' }, rootPart], 'mbr'), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.type', /not usable/);
  accepted(t, part([{ name: 'x', size: '1MiB', colour: 'red' }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.colour', /unknown key 'colour'/, 'warning');
  bad(t, part([{ name: 'x', size: '1MiB', partitioning: {} }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.partitioning', /cannot be nested/);
  const five = ['a', 'b', 'c', 'd'].map((n) => ({ name: n, size: '1MiB', flags: ['primary'] }));
  bad(t, part([...five, { ...rootPart, flags: ['primary'] }], 'mbr'), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[4\\]', /too many primary/);
  bad(t, part([{ name: 'l', size: '1MiB' }, { ...rootPart, flags: ['primary'] }], 'mbr'), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[1\\]\\.flags', /follows a logical/);
});

test('errors: mkfs', (t) => {
  const mk = (mkfs: Record<string, unknown>) => part([{ name: 'root', size: '100%', mkfs: { mount: { mount_point: '/' }, ...mkfs } }]);
  const at = 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.mkfs';
  bad(t, part([{ name: 'data', size: '100%', mkfs: { mount: { mount_point: '/' } } }]), `${at}\\.type`, /needs a type/);
  bad(t, mk({ type: 'btrfs' }), `${at}\\.type`, /not supported/);
  // xfs is planned; an xfs root without a label gets DIB's img-rootfs
  t.like(planLayout(mk({ type: 'xfs' }), SRC, P).filesystems[0], { type: 'xfs', label: 'img-rootfs' });
  bad(t, mk({ type: 'xfs', label: 'this_label_is_too_long' }), `${at}\\.label`, /too long for xfs: 22 > 12/);
  bad(t, mk({ type: 'ext4', label: 'a-very-long-label-x' }), `${at}\\.label`, /too long for ext4: 19 > 16/);
  bad(t, part([{ name: 'ESP', size: '1MiB', mkfs: { type: 'vfat', label: 'abcdefghijkl', mount: { mount_point: '/boot/efi' } } }, rootPart]), `${at}\\.label`, /too long for vfat: 12 > 11/);
  bad(t, part([{ name: 'swp', size: '1MiB', mkfs: { type: 'swap', label: 'a23456789012345678' } }, rootPart]), `${at}\\.label`, /too long for swap/);
  bad(t, part([{ name: 'a', size: '1MiB', mkfs: { type: 'ext4', label: 'same', mount: { mount_point: '/a' } } }, { ...rootPart, mkfs: { ...rootPart.mkfs, label: 'same' } }]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[1\\]\\.mkfs\\.label', /already used/);
  // a blank is fine (fstab escapes it, as in upstream's 'Root Part'); a control character is not
  t.regex(fstab(planLayout(mk({ type: 'ext4', label: 'has space', mount: { mount_point: '/', fstab: {} } }), SRC, P)), /^LABEL=has\\040space \/ ext4 /m);
  bad(t, mk({ type: 'ext4', label: 'bell\x07' }), `${at}\\.label`, /control character/);
  accepted(t, mk({ type: 'ext4', uuid: 'nope' }), `${at}\\.uuid`, /'nope' is not a UUID, which mkfs needs/, 'disk');
  bad(t, mk({ type: 'ext4', opts: 5 }), `${at}\\.opts`, /must be a string/);
  accepted(t, mk({ type: 'ext4', size: 5 }), `${at}\\.size`, /unknown key 'size'/, 'warning');
  accepted(t, part([{ name: 'ESP', size: '1MiB', mkfs: { type: 'vfat', uuid: 'xyz', mount: { mount_point: '/boot/efi' } } }, rootPart]), `${at}\\.uuid`, /not a vfat volume id/, 'warning');
  bad(t, part([{ name: 'BSP', type: 'EF02', size: '1MiB', mkfs: { type: 'ext4', mount: { mount_point: '/x' } } }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]', /BIOS boot partition/);
  bad(t, [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'gpt', partitions: [rootPart] } }, { mkfs: { base: 'image0', type: 'ext4', name: 'whole' } }], 'blockDevice\\[2\\]\\.mkfs\\.base', /is partitioned/);
  bad(t, [...part([rootPart]), { mkfs: { base: 'root', type: 'ext4', name: 'again' } }], 'blockDevice\\[2\\]\\.mkfs\\.base', /already holds/);
  bad(t, [{ local_loop: { name: 'image0' } }], 'blockDevice\\[0\\]\\.local_loop', /no filesystem/);
});

test('errors: mount, fstab and root', (t) => {
  const at = 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[0\\]\\.mkfs\\.mount';
  const m = (mount: Record<string, unknown>) => part([{ name: 'root', size: '100%', mkfs: { type: 'ext4', mount } }]);
  bad(t, m({}), `${at}\\.mount_point`, /needs a mount_point/);
  bad(t, m({ mount_point: 'boot' }), `${at}\\.mount_point`, /not an absolute path/);
  bad(t, m({ mount_point: '/a/../b' }), `${at}\\.mount_point`, /not a plain path/);
  bad(t, part([{ name: 'a', size: '1MiB', mkfs: { type: 'ext4', mount: { mount_point: '/' } } }, rootPart]), 'blockDevice\\[1\\]\\.partitioning\\.partitions\\[1\\]\\.mkfs\\.mount\\.mount_point', /already used/);
  bad(t, m({ mount_point: '/', fstab: { options: 'a b' } }), `${at}\\.fstab\\.options`, /one comma-separated word/);
  bad(t, m({ mount_point: '/', fstab: { 'fsck-passno': -1 } }), `${at}\\.fstab\\.fsck-passno`, /non-negative integer/);
  bad(t, m({ mount_point: '/', fstab: { 'dump-freq': 'x' } }), `${at}\\.fstab\\.dump-freq`, /non-negative integer/);
  bad(t, part([{ name: 'root', size: '100%', mkfs: { type: 'ext4', mount: { mount_point: '/srv' } } }]), 'blockDevice\\[1\\]\\.partitioning', /no filesystem is mounted at \//);
  bad(t, [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'gpt', partitions: [rootPart] } }, { mount: { name: 'm2', base: 'mkfs_root', mount_point: '/x' } }], 'blockDevice\\[2\\]\\.mount', /mounted twice/);
  bad(t, [...part([rootPart]), { mount: { base: 'mkfs_root', mount_point: '/x' } }], 'blockDevice\\[2\\]\\.mount\\.name', /already used/);
});

test('block-device elements: DIB_BLOCK_DEVICE and arch refusals', (t) => {
  const envOf = (el: typeof mbr, arch: string) => (typeof el.environment === 'function' ? el.environment({ ARCH: arch }) : el.environment);
  t.deepEqual(envOf(mbr, 'amd64'), { DIB_BLOCK_DEVICE: 'mbr' });
  t.deepEqual(envOf(gpt, 'amd64'), { DIB_BLOCK_DEVICE: 'gpt' });
  t.deepEqual(envOf(efi, 'arm64'), { DIB_BLOCK_DEVICE: 'efi' });
  t.throws(() => envOf(mbr, 'arm64'), { message: /does not support ARCH=arm64/ });
  t.throws(() => envOf(gpt, 'aarch64'), { message: /does not support/ });
  t.throws(() => envOf(efi, 'ppc64el'), { message: /does not support/ });
  const bd = (el: typeof mbr, arch: string) => (typeof el.blockDevice === 'function' ? el.blockDevice({ ARCH: arch }) : el.blockDevice);
  t.is(bd(mbr, 'ppc64le'), MBR_PPC64EL_LAYOUT);
  t.is(bd(mbr, 'amd64'), MBR_LAYOUT);
  t.is(bd(efi, 'amd64'), EFI_LAYOUT);
});
