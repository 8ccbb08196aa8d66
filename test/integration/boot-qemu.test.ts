/**
 * bootImage against real QEMU, without a real image: a blank disk (never boots: timeout,
 * abort), and, when a kernel is available (DIB_TEST_KERNEL or /boot/vmlinuz-*), a busybox
 * initramfs that prints a login prompt or panics. QEMU and its temporary files must be gone
 * afterwards in every case.
 */
import test from 'ava';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@dib/core';
import type { DibError } from '@dib/core';
import { bootImage } from '#core/boot/index.js';


/** QEMU processes that are children of this worker. */
async function childQemus(): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const st = await readFile(`/proc/${pid}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(st);
      if (m && m[1]!.startsWith('qemu-system') && Number(m[2]) === process.pid) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

function bootDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('dib-boot-'));
}

async function blankDisk(t: { teardown(fn: () => Promise<void>): void }): Promise<{ dir: string; disk: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dib-boot-int-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const disk = join(dir, 'blank.raw');
  await execa('truncate', ['-s', '2M', disk]);
  return { dir, disk };
}

test.serial('a disk that never boots times out; QEMU and its files are gone; the image is unchanged', async (t) => {
  const { disk } = await blankDisk(t);
  const before = await stat(disk);
  const dirsBefore = bootDirs();
  const lines: string[] = [];
  const r = await bootImage({ image: disk, firmware: 'bios', timeout: 4, accel: 'tcg', log: silentLogger, onConsoleLine: (l) => lines.push(l) });
  t.like(r, { ok: false, reason: 'timeout', accel: 'tcg', firmware: 'bios' });
  t.true(r.seconds >= 4 && r.seconds < 6, String(r.seconds));
  t.deepEqual(await childQemus(), []);
  t.deepEqual(bootDirs().filter((d) => !dirsBefore.includes(d)), []);
  const after = await stat(disk);
  t.is(after.mtimeMs, before.mtimeMs);
  t.is(after.size, before.size);
});

test.serial('an abort (SIGINT in the CLI) kills QEMU and throws E_INTERRUPTED', async (t) => {
  const { disk } = await blankDisk(t);
  const dirsBefore = bootDirs();
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 1500);
  const e = await t.throwsAsync(bootImage({ image: disk, firmware: 'uefi', timeout: 60, accel: 'tcg', log: silentLogger, signal: ac.signal }));
  t.is((e as unknown as DibError).code, 'E_INTERRUPTED');
  t.deepEqual(await childQemus(), []);
  t.deepEqual(bootDirs().filter((d) => !dirsBefore.includes(d)), []);
});

test.serial('a missing image is E_BOOT', async (t) => {
  const e = await t.throwsAsync(bootImage({ image: '/nonexistent/disk.qcow2', firmware: 'uefi', timeout: 5, log: silentLogger }));
  t.is((e as unknown as DibError).code, 'E_BOOT');
});

test.serial('the KVM probe decides an accelerator (auto)', async (t) => {
  const { disk } = await blankDisk(t);
  const r = await bootImage({ image: disk, firmware: 'bios', timeout: 1, log: silentLogger });
  t.true(r.accel === 'kvm' || r.accel === 'tcg');
  t.is(r.reason, 'timeout');
  t.deepEqual(await childQemus(), []);
});

function findKernel(): string | undefined {
  if (process.env.DIB_TEST_KERNEL) return process.env.DIB_TEST_KERNEL;
  try {
    const k = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-')).sort().pop();
    return k ? join('/boot', k) : undefined;
  } catch {
    return undefined;
  }
}

async function busyboxInitrd(dir: string): Promise<string> {
  const root = join(dir, 'initrd');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'proc'));
  await execa('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
  await writeFile(
    join(root, 'init'),
    [
      '#!/bin/busybox sh',
      '/bin/busybox mount -t proc proc /proc',
      "printf '\\033[1;32mdib test init\\033[0m\\r\\n'",
      'if /bin/busybox grep -q dibpanic /proc/cmdline; then exit 1; fi',
      "printf 'dibtest login: '",
      'while :; do /bin/busybox sleep 60; done',
      '',
    ].join('\n'),
  );
  await chmod(join(root, 'init'), 0o755);
  const out = join(dir, 'initrd.gz');
  await execa('sh', ['-c', `cd '${root}' && /bin/busybox find . | /bin/busybox cpio -o -H newc | gzip > '${out}'`]);
  return out;
}

// Needs a kernel file (DIB_TEST_KERNEL or /boot/vmlinuz-*): reported as skipped without one.
// The e2e test boots the real default image under both firmwares in any case.
const testKernel = findKernel();
for (const firmware of ['uefi', 'bios'] as const) {
  (testKernel ? test.serial : test.skip)(`${firmware}: a kernel with a busybox initramfs reaches a login prompt; a panic is reported`, async (t) => {
    const kernel = testKernel!;
    const { dir, disk } = await blankDisk(t);
    const initrd = await busyboxInitrd(dir);
    const direct = (append: string) => ['-kernel', kernel, '-initrd', initrd, '-append', `console=ttyS0 quiet ${append}`];
    const lines: string[] = [];
    const ok = await bootImage({ image: disk, firmware, timeout: 180, log: silentLogger, extraArgs: direct(''), onConsoleLine: (l) => lines.push(l) });
    t.like(ok, { ok: true, reason: 'login', detail: 'dibtest login:' });
    t.true(lines.includes('dib test init'), lines.join('\n'));
    t.is(lines[lines.length - 1]!.trim(), 'dibtest login:');
    const panic = await bootImage({ image: disk, firmware, timeout: 180, log: silentLogger, extraArgs: direct('dibpanic') });
    t.like(panic, { ok: false, reason: 'panic' });
    t.regex(panic.detail!, /Kernel panic - not syncing/);
    t.deepEqual(await childQemus(), []);
  });
}
