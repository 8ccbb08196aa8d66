/**
 * dib's MBR writer against upstream's MBR tests (block_device/tests/test_mbr.py): the same disk
 * (1 GiB, 1 MiB alignment), the same partitions (10 MiB, primary or logical, type 0x83 or 0x0c),
 * the same `partx --raw --output NR,START,END,TYPE,FLAGS,SCHEME -g -b` output, including 64
 * logical partitions and the extended partition reaching the end of the disk.
 */
import test from 'ava';
import { execa } from 'execa';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createHostRunner, silentLogger } from '@dib/core';
import type { DiskLayout, LayoutPartition } from '#core/disk/layout.js';
import { computeGeometry } from '#core/disk/geometry.js';
import { chs } from '#core/disk/mbr.js';
import { writePartitionTable } from '#core/disk/partition-table.js';
import { tmpDir } from '../helpers/tmp.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function layout(parts: { primary: boolean; type?: number }[]): DiskLayout {
  let primaries = 0;
  let logicals = 0;
  const partitions: LayoutPartition[] = parts.map((p, i) => {
    const number = p.primary ? ++primaries : 4 + ++logicals;
    const hex = (p.type ?? 0x83).toString(16).padStart(2, '0');
    return { name: `p${i}`, number, size: { kind: 'bytes', bytes: 10 * MiB }, type: hex, typeCode: `0x${hex}`, flags: { boot: false, primary: p.primary }, logical: !p.primary, biosBoot: false, esp: false, path: `p[${i}]` };
  });
  return { source: 'test_mbr', diskName: 'image0', table: 'mbr', align: MiB, sectorSize: 512, partitions, filesystems: [], lvm: undefined, diskProblems: [], rootLabel: '', rootFsType: 'ext4', rootUuid: '', bootLabel: '', mountPoints: [] } as unknown as DiskLayout;
}

async function partx(parts: { primary: boolean; type?: number }[]): Promise<string> {
  const dir = await tmpDir();
  const file = path.join(dir, 'image.raw');
  const fh = await open(file, 'w');
  await fh.truncate(GiB);
  await fh.close();
  const l = layout(parts);
  await writePartitionTable(createHostRunner({ log: silentLogger }), l, computeGeometry(l, new Map(), GiB), file);
  return (await execa('partx', ['--raw', '--output', 'NR,START,END,TYPE,FLAGS,SCHEME', '-g', '-b', '-', file], { reject: false })).stdout;
}

const rep = (n: number, p: { primary: boolean; type?: number }) => Array.from({ length: n }, () => p);

test('test_one_ext_partition: the extended partition ends at the disk end', async (t) => {
  t.is(await partx([{ primary: false }]), '1 2048 2097151 0xf 0x0 dos\n5 4096 24575 0x83 0x0 dos');
});

test('test_many_ext_partitions: 64 logical partitions, 22528 sectors apart', async (t) => {
  const lines = (await partx(rep(64, { primary: false }))).split('\n');
  t.is(lines.length, 65);
  t.is(lines[0], '1 2048 2097151 0xf 0x0 dos');
  let start = 4096;
  for (let nr = 1; nr <= 64; nr++) {
    t.is(lines[nr], `${nr + 4} ${start} ${start + 20480 - 1} 0x83 0x0 dos`);
    start += 22528;
  }
});

test('test_one_pri_partition, test_three_pri_partition, test_pri_fat32_lba_partition', async (t) => {
  t.is(await partx([{ primary: true }]), '1 2048 22527 0x83 0x0 dos');
  t.is(await partx(rep(3, { primary: true })), '1 2048 22527 0x83 0x0 dos\n2 22528 43007 0x83 0x0 dos\n3 43008 63487 0x83 0x0 dos');
  t.is(await partx([{ primary: true, type: 0x0c }]), '1 2048 22527 0xc 0x0 dos');
});

test('test_many_pri_and_ext_partition: three primaries, then seven logicals', async (t) => {
  t.is(
    await partx([...rep(3, { primary: true }), ...rep(7, { primary: false })]),
    [
      '1 2048 22527 0x83 0x0 dos',
      '2 22528 43007 0x83 0x0 dos',
      '3 43008 63487 0x83 0x0 dos',
      '4 63488 2097151 0xf 0x0 dos',
      '5 65536 86015 0x83 0x0 dos',
      '6 88064 108543 0x83 0x0 dos',
      '7 110592 131071 0x83 0x0 dos',
      '8 133120 153599 0x83 0x0 dos',
      '9 155648 176127 0x83 0x0 dos',
      '10 178176 198655 0x83 0x0 dos',
      '11 200704 221183 0x83 0x0 dos',
    ].join('\n'),
  );
});

test('CHS as DIB writes it: 254 heads, 63 sectors, saturated past cylinder 1023', (t) => {
  t.deepEqual(chs(0), [0, 1, 0]);
  t.deepEqual(chs(2048), [32, 33, 0]);
  t.deepEqual(chs(254 * 63), [0, 1, 1]);
  t.deepEqual(chs(2 ** 31), [254, 0xff, 0xff]);
});
