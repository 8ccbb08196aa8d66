/**
 * Reproducible output on real busybox-root builds: with one SOURCE_DATE_EPOCH and one seed,
 * two builds of tar, raw, squashfs, qcow2 (and vhd, tgz) have the same sha256; every time they
 * hold is clamped; chroot scripts see SOURCE_DATE_EPOCH; a GPT disk with an ESP (filesystems
 * made in place, at once) passes --check-reproducible; another seed changes every identifier
 * of the disk but a UUID the block-device config sets.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { SMALL_EFI } from '../helpers/layouts.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const maybe = isRoot ? test.serial : test.skip;
const EPOCH = 1700000000;
const SDE_RECORD = path.join(FIXTURES, 'dib-elements', 'sde-record');

interface Report {
  outputs: Array<{ format: string; path: string; sha256: string }>;
}

async function sha256s(dir: string, name: string): Promise<Record<string, string>> {
  const report = (await fs.readJson(path.join(dir, `${name}.d`, 'build-report.json'))) as Report;
  return Object.fromEntries(report.outputs.map((o) => [o.format, o.sha256]));
}

maybe('two builds with one SOURCE_DATE_EPOCH and seed: tar, raw, squashfs, qcow2, vhd and tgz have one sha256', async (t) => {
  const dir = await tmpDir('dib-repro-');
  const runs: Array<Record<string, string>> = [];
  for (const pass of [1, 2]) {
    const r = await dib(['build', '-o', 'img', '-t', 'tar,raw,squashfs,qcow2,vhd,tgz', '--seed', 'repro', '--work-dir', path.join(dir, 'work'), 'busybox-root', SDE_RECORD], {
      cwd: dir,
      env: { SOURCE_DATE_EPOCH: String(EPOCH) },
    });
    t.is(r.exitCode, 0, `build ${pass}: ${r.all.split('\n').slice(-30).join('\n')}`);
    runs.push(await sha256s(dir, 'img'));
    // a second apart at least: unclamped times would differ
    if (pass === 1) await new Promise((res) => setTimeout(res, 1100));
  }
  for (const f of Object.keys(runs[0]!)) t.log(`${f.padEnd(8)} ${runs[0]![f]}  ${runs[1]![f]}`);
  t.deepEqual(Object.keys(runs[0]!), ['tar', 'raw', 'squashfs', 'qcow2', 'vhd', 'tgz']);
  t.deepEqual(runs[1], runs[0]);

  // the chroot saw SOURCE_DATE_EPOCH
  const tar = path.join(dir, 'img.tar');
  t.is((await execa('tar', ['-xOf', tar, './sde-record'])).stdout, `SOURCE_DATE_EPOCH=${EPOCH}`);
  // no time after the epoch anywhere: the tar's members, the squashfs, the ext4 filesystem
  const listing = (await execa('tar', ['--numeric-owner', '--full-time', '-tvf', tar])).stdout.split('\n');
  const latest = Math.max(...listing.map((l) => Date.parse(`${l.split(/\s+/).slice(3, 5).join('T')}Z`) / 1000));
  t.true(latest <= EPOCH, `latest tar time ${latest}`);
  t.regex((await execa('unsquashfs', ['-s', path.join(dir, 'img.squash')])).stdout, /Creation or last append time Tue Nov 14 22:13:20 2023/);
  const raw = path.join(dir, 'img.raw');
  const stat = (await execa('debugfs', ['-R', 'stat /etc/hostname', raw])).stdout;
  for (const field of ['ctime', 'atime', 'crtime']) t.regex(stat, new RegExp(`${field}: 0x6553f100:00000000`), field);
  t.regex((await execa('dumpe2fs', ['-h', raw])).stdout, /Filesystem created:\s+Tue Nov 14 22:13:20 2023/);
  await execa('e2fsck', ['-fn', raw]);
});

maybe('a GPT disk with an ESP passes --check-reproducible; another seed changes its identifiers, a configured UUID stays', async (t) => {
  const dir = await tmpDir('dib-repro-efi-');
  const rootUuid = '0b6c4a3e-9d6f-4c55-8a43-2f1ad9f0d1e2';
  const layout = (uuid?: string) =>
    SMALL_EFI.map((e) => {
      if (!('partitioning' in e) || !uuid) return e;
      const p = e.partitioning!;
      return { partitioning: { ...p, partitions: p.partitions.map((x) => (x.name === 'root' ? { ...x, mkfs: { ...x.mkfs!, uuid } } : x)) } };
    });
  const config = async (uuid?: string) => fs.writeJson(path.join(dir, '.dibrc.json'), { elements: ['busybox-root'], types: ['raw', 'qcow2'], blockDevice: layout(uuid) });
  const build = async (...extra: string[]) => {
    const r = await dib(['build', '-o', 'disk', '--work-dir', path.join(dir, 'work'), '--source-date-epoch', String(EPOCH), ...extra], { cwd: dir });
    t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));
    return r;
  };
  await config();
  const check = await build('--check-reproducible');
  for (const f of ['raw', 'qcow2']) t.regex(check.all, new RegExp(`--check-reproducible: ${f}: identical \\(sha256 [0-9a-f]{64}\\)`));
  t.log(check.all.split('\n').filter((l) => l.includes('identical')).join('\n'));
  t.false(await fs.pathExists(path.join(dir, '.disk.first-build')), 'identical: the first build is not kept');

  /** The disk's identifiers: the table's, each partition's, each filesystem's. */
  const ids = async () => {
    const raw = path.join(dir, 'disk.raw');
    const pt = JSON.parse((await execa('sfdisk', ['--json', raw])).stdout) as { partitiontable: { id: string; partitions: Array<{ start: number; name: string; uuid: string }> } };
    const out: Record<string, string> = { disk: pt.partitiontable.id };
    for (const p of pt.partitiontable.partitions) {
      out[`partition ${p.name}`] = p.uuid;
      const fsUuid = (await execa('blkid', ['-p', '-O', String(p.start * 512), '-s', 'UUID', '-o', 'value', raw], { reject: false })).stdout.trim();
      if (fsUuid) out[`filesystem ${p.name}`] = fsUuid;
    }
    return out;
  };
  const first = await ids();
  t.deepEqual(Object.keys(first), ['disk', 'partition ESP', 'filesystem ESP', 'partition BSP', 'partition root', 'filesystem root', 'partition swap', 'filesystem swap']);
  await build('--seed', 'another seed');
  const other = await ids();
  for (const k of Object.keys(first)) t.not(other[k], first[k], k);
  // the default seed is the config's: the same without --seed, whatever the image is called
  await build('-o', 'renamed');
  await fs.move(path.join(dir, 'renamed.raw'), path.join(dir, 'disk.raw'), { overwrite: true });
  t.deepEqual(await ids(), first);
  // a UUID set in the block-device config wins over any seed
  await config(rootUuid);
  await build('--seed', 'a third seed');
  const set = await ids();
  t.is(set['filesystem root'], rootUuid);
  t.not(set.disk, first.disk);
});

maybe("an MBR disk (dib's own MBR writer) with an xfs root passes --check-reproducible: the seeded signature, the tree's times clamped in xfs", async (t) => {
  const dir = await tmpDir('dib-repro-xfs-');
  const r = await dib(['build', '-o', 'x', '-t', 'raw', '--check-reproducible', '--seed', 'xfs', '--source-date-epoch', String(EPOCH), '--work-dir', path.join(dir, 'work'), 'busybox-root', 'block-device-mbr'], {
    cwd: dir,
    env: { FS_TYPE: 'xfs' },
  });
  if (r.exitCode !== 0 && /\[E_(HOST_TOOL_MISSING|DISK)\].*mkfs\.xfs/.test(r.stderr)) return t.pass('this host cannot make xfs from a directory');
  t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));
  t.regex(r.all, /--check-reproducible: raw: identical \(sha256 [0-9a-f]{64}\)/);
  t.log(r.all.split('\n').filter((l) => l.includes('identical')).join('\n'));
  const raw = path.join(dir, 'x.raw');
  const pt = JSON.parse((await execa('sfdisk', ['--json', raw])).stdout) as { partitiontable: { label: string; id: string; partitions: Array<{ start: number }> } };
  t.is(pt.partitiontable.label, 'dos');
  t.regex(pt.partitiontable.id, /^0x[0-9a-f]{8}$/);
  const rootFs = path.join(dir, 'root.xfs');
  await execa('dd', [`if=${raw}`, `of=${rootFs}`, 'bs=512', `skip=${pt.partitiontable.partitions[0]!.start}`, 'conv=sparse', 'status=none']);
  const times = (await execa('xfs_db', ['-r', '-c', 'path /etc/hostname', '-c', 'print core.atime.sec core.mtime.sec core.ctime.sec', rootFs])).stdout;
  t.is(times, ['atime', 'mtime', 'ctime'].map((f) => `core.${f}.sec = Tue Nov 14 22:13:20 2023`).join('\n'));
});
