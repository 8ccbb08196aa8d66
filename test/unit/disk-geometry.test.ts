import test from 'ava';
import { DibError } from '@dib/core';
import { planLayout, type LayoutParams } from '#core/disk/layout.js';
import { computeGeometry, minimumFsSize, suggestedFsSize } from '#core/disk/geometry.js';
import { sfdiskScript } from '#core/disk/partition-table.js';
import { seededIds } from '#core/disk/ids.js';
import { nestedMountPoints } from '#core/disk/assemble.js';
import { EFI_LAYOUT } from '@dib/element-block-device-efi';
import { MBR_LAYOUT } from '@dib/element-block-device-mbr';
import { GPT_LAYOUT } from '@dib/element-block-device-gpt';

const P: LayoutParams = { fsType: 'ext4', arch: 'amd64' };
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const content = (root: number, esp = 0) => new Map([['/', root], ['/boot/efi', esp]]);

test('efi layout with explicit size: 1 MiB alignment, 100% fills up to the GPT tail', (t) => {
  const l = planLayout(EFI_LAYOUT, 'x', P);
  const g = computeGeometry(l, content(100 * MiB), 4 * GiB);
  t.is(g.imageSize, 4 * GiB);
  t.deepEqual(
    g.partitions.map((p) => [p.name, p.number, p.start / MiB, p.size / MiB]),
    [
      ['ESP', 1, 1, 550],
      ['BSP', 2, 551, 8],
      ['root', 3, 559, 4096 - 559 - 1],
    ],
  );
  t.is(g.filesystems.find((f) => f.mountPoint === '/')!.offset, 559 * MiB);
  for (const p of g.partitions) {
    t.is(p.start % MiB, 0);
    t.is(p.size % MiB, 0);
  }
});

test('percentages take a share of the space still free (DIB semantics)', (t) => {
  const l = planLayout(
    [
      { local_loop: { name: 'image0' } },
      {
        partitioning: {
          base: 'image0',
          label: 'gpt',
          partitions: [
            { name: 'a', size: '100MiB' },
            { name: 'root', size: '50%', mkfs: { type: 'ext4', mount: { mount_point: '/' } } },
            { name: 'var', size: '50%', mkfs: { type: 'ext4', mount: { mount_point: '/var' } } },
            { name: 'rest', size: '100%' },
          ],
        },
      },
    ],
    'x',
    P,
  );
  const g = computeGeometry(l, new Map([['/', MiB], ['/var', MiB]]), 1025 * MiB);
  // usable: 1 MiB .. 1024 MiB; after a: free = 1024-101 = 923 → root 461; then free 462 → var 231; rest 231
  t.deepEqual(
    g.partitions.map((p) => [p.name, p.start / MiB, p.size / MiB]),
    [
      ['a', 1, 100],
      ['root', 101, 461],
      ['var', 562, 231],
      ['rest', 793, 231],
    ],
  );
});

test('MBR: align, boot partition from the first aligned sector to the end, logical partitions', (t) => {
  const l = planLayout(MBR_LAYOUT, 'x', P);
  const g = computeGeometry(l, content(0), 2 * GiB);
  t.deepEqual(g.partitions.map((p) => [p.start / MiB, p.size / MiB]), [[1, 2047]]);
  t.is(g.imageSize, 2 * GiB);
  const l2 = planLayout(
    [
      { local_loop: { name: 'image0' } },
      {
        partitioning: {
          base: 'image0',
          label: 'mbr',
          align: '4MiB',
          partitions: [
            { name: 'root', flags: ['boot', 'primary'], size: '100MiB', mkfs: { type: 'ext4', opts: '-O ^has_journal', mount: { mount_point: '/' } } },
            { name: 'l1', size: '20MiB' },
            { name: 'l2', size: '100%' },
          ],
        },
      },
    ],
    'x',
    P,
  );
  const g2 = computeGeometry(l2, content(0), 256 * MiB);
  t.deepEqual(
    g2.partitions.map((p) => [p.name, p.number, p.start / MiB, p.size / MiB, p.logical]),
    [
      ['root', 1, 4, 100, false],
      ['l1', 5, 108, 20, true], // extended at 104, EBR unit, then data
      ['l2', 6, 132, 124, true],
    ],
  );
  t.deepEqual(g2.extended, { number: 2, start: 104 * MiB, size: 152 * MiB });
  const script = sfdiskScript(l2, g2);
  t.regex(script, /label: dos/);
  t.regex(script, /start=8192, size=204800, type=83, bootable\nstart=212992, size=311296, type=f\nstart=221184, size=40960, type=83\nstart=270336, size=253952, type=83\n/);
});

test('without an image size each filesystem is sized from its content', (t) => {
  const l = planLayout(EFI_LAYOUT, 'x', P);
  const root = l.filesystems.find((f) => f.mountPoint === '/')!;
  const c = 1000 * MiB;
  const g = computeGeometry(l, content(c, 10 * MiB));
  const rootG = g.partitions.find((p) => p.name === 'root')!;
  t.is(rootG.size, suggestedFsSize(root, c));
  t.is(rootG.size % MiB, 0);
  t.true(rootG.size >= c * 1.25 + 128 * MiB);
  t.true(rootG.size < 1.5 * GiB);
  t.is(g.imageSize, rootG.start + rootG.size + MiB);
  t.true(minimumFsSize(root, c) < rootG.size);
  // the unpartitioned fallback: the image is the filesystem
  const plain = planLayout(undefined, 'default', P);
  const gp = computeGeometry(plain, new Map([['/', 10 * MiB]]));
  t.is(gp.table, 'none');
  t.is(gp.imageSize, gp.filesystems[0]!.size);
  t.is(gp.filesystems[0]!.offset, 0);
});

test('the local_loop size wins over the image size argument (DIB)', (t) => {
  const l = planLayout([{ local_loop: { name: 'image0', size: '3GiB' } }, ...(MBR_LAYOUT.slice(1) as never[])], 'x', P);
  t.is(computeGeometry(l, content(0), 2 * GiB).imageSize, 3 * GiB);
});

test('explicit image too small: E_DISK with what is needed', (t) => {
  const l = planLayout(EFI_LAYOUT, 'x', P);
  const e = t.throws(() => computeGeometry(l, content(1 * GiB), 1 * GiB)) as DibError;
  t.is(e.code, 'E_DISK');
  t.regex(e.message, /image size 1 GiB is too small/);
  t.regex(e.hint!, /imageSize|--image-size/);
  const e2 = t.throws(() => computeGeometry(l, content(1.5 * GiB), 2 * GiB)) as DibError;
  t.regex(e2.message, /\/ \(partition root\) gets .* but needs at least .*; an image of .* fits/);
  const gpt = planLayout(GPT_LAYOUT, 'x', P);
  t.notThrows(() => computeGeometry(gpt, content(1 * GiB), 2 * GiB));
  t.notThrows(() => computeGeometry(l, content(1 * GiB), 2 * GiB));
});

test('fixed partition too small for its content names the partition', (t) => {
  const l = planLayout(EFI_LAYOUT, 'x', P);
  const e = t.throws(() => computeGeometry(l, content(10 * MiB, 600 * MiB), 8 * GiB)) as DibError;
  t.is(e.code, 'E_DISK');
  t.regex(e.message, /\/boot\/efi \(partition ESP\)/);
  t.regex(e.hint!, /partition 'ESP'/);
});

test('a 100% partition before others leaves them no space', (t) => {
  const l = planLayout(
    [
      { local_loop: { name: 'image0' } },
      { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'root', size: '100%', mkfs: { type: 'ext4', mount: { mount_point: '/' } } }, { name: 'x', size: '8MiB' }] } },
    ],
    'x',
    P,
  );
  const e = t.throws(() => computeGeometry(l, content(0), GiB)) as DibError;
  t.regex(e.message, /partition 'x' has no space left: partition 'root' before it takes 100%/);
});

test('percent partition with no content cannot be sized without an image size', (t) => {
  const l = planLayout(
    [
      { local_loop: { name: 'image0' } },
      { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'root', size: '10GiB', mkfs: { type: 'ext4', mount: { mount_point: '/' } } }, { name: 'swap', type: '8200', size: '100%', mkfs: { type: 'swap' } }] } },
    ],
    'x',
    P,
  );
  const e = t.throws(() => computeGeometry(l, content(0))) as DibError;
  t.is(e.code, 'E_DISK');
  t.regex(e.hint!, /absolute size/);
});

test('MBR cannot exceed 2 TiB', (t) => {
  const l = planLayout(MBR_LAYOUT, 'x', P);
  const e = t.throws(() => computeGeometry(l, content(0), 3 * 1024 * GiB)) as DibError;
  t.regex(e.message, /MBR/);
});

test('gpt sfdisk script: type GUIDs, names, and the disk and partition GUIDs of the seed', (t) => {
  const l = planLayout(EFI_LAYOUT, 'x', { ...P, ids: seededIds('a seed') });
  const g = computeGeometry(l, content(0), 2 * GiB);
  const [esp, bsp, root] = l.partitions.map((p) => p.uuid!);
  t.is(
    sfdiskScript(l, g),
    [
      'label: gpt',
      `label-id: ${l.diskId}`,
      'unit: sectors',
      'sector-size: 512',
      'first-lba: 34',
      '',
      `start=2048, size=1126400, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP", uuid=${esp}`,
      `start=1128448, size=16384, type=21686148-6449-6E6F-744E-656564454649, name="BSP", uuid=${bsp}`,
      `start=1144832, size=${(2 * GiB - MiB) / 512 - 1144832}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root", uuid=${root}`,
      '',
    ].join('\n'),
  );
  // the same seed plans the same identifiers; another seed others; all are version-4 UUIDs
  const again = planLayout(EFI_LAYOUT, 'x', { ...P, ids: seededIds('a seed') });
  const other = planLayout(EFI_LAYOUT, 'x', { ...P, ids: seededIds('another seed') });
  const idsOf = (x: typeof l) => [x.diskId, ...x.partitions.map((p) => p.uuid), ...x.filesystems.flatMap((f) => [f.uuid, f.hashSeed ?? ''])];
  t.deepEqual(idsOf(again), idsOf(l));
  t.true(idsOf(other).every((id, i) => id === '' || id !== idsOf(l)[i]));
  for (const id of [l.diskId!, esp!, root!]) t.regex(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.regex(l.filesystems.find((f) => f.type === 'vfat')!.uuid, /^[0-9A-F]{4}-[0-9A-F]{4}$/);
});

test('nested mount points: only the top ones below a point', (t) => {
  const all = ['/', '/boot', '/boot/efi', '/var', '/var/log', '/srv'];
  t.deepEqual(nestedMountPoints('/', all), ['/boot', '/var', '/srv']);
  t.deepEqual(nestedMountPoints('/boot', all), ['/boot/efi']);
  t.deepEqual(nestedMountPoints('/boot/efi', all), []);
  t.deepEqual(nestedMountPoints('/var', ['/var', '/variable', '/var/x']), ['/var/x']);
});
