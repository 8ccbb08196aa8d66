import fs from 'fs-extra';
import { closeSync, openSync, readSync } from 'node:fs';
import { execa } from 'execa';
import path from 'node:path';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox'];

/** The first busybox that is statically linked (a dynamic one would not run in the tree). */
export async function findStaticBusybox(explicit?: string): Promise<string | undefined> {
  return findStaticBusyboxSync(explicit);
}

/** Lay out a minimal FHS tree with busybox and its applet links. */
export async function makeBusyboxRoot(root: string, busybox: string, opts: { hostname: string }): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var/log', 'var/tmp', 'run', 'home', 'lib']) {
    await fs.ensureDir(path.join(root, d));
  }
  await fs.chmod(path.join(root, 'tmp'), 0o1777);
  await fs.chmod(path.join(root, 'root'), 0o700);
  await fs.copyFile(busybox, path.join(root, 'bin/busybox'));
  await fs.chmod(path.join(root, 'bin/busybox'), 0o755);
  // the links `busybox --install -s` would make inside the tree (absolute, to /bin/busybox),
  // made here from `--list-full` so that no chroot is needed before the chroot phases
  const { stdout } = await execa(busybox, ['--list-full'], { env: { PATH: '/bin:/sbin:/usr/bin:/usr/sbin' }, extendEnv: false });
  for (const rel of stdout.split('\n').filter(Boolean)) {
    const link = path.join(root, rel);
    if (await fs.lstat(link).then(() => true, () => false)) continue;
    await fs.ensureDir(path.dirname(link));
    await fs.symlink('/bin/busybox', link);
  }
  const files: Record<string, string> = {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
    'etc/shadow': 'root:*:19000:0:99999:7:::\n',
    'etc/hostname': `${opts.hostname}\n`,
    'etc/hosts': `127.0.0.1 localhost\n127.0.1.1 ${opts.hostname}\n`,
    'etc/os-release': 'NAME="busybox"\nID=busybox\nPRETTY_NAME="dib busybox root"\n',
    'etc/inittab': '::sysinit:/bin/mount -t proc proc /proc\n::respawn:/sbin/getty -L 115200 ttyS0 vt100\n::ctrlaltdel:/sbin/reboot\n',
  };
  for (const [rel, text] of Object.entries(files)) await fs.writeFile(path.join(root, rel), text);
  await fs.chmod(path.join(root, 'etc/shadow'), 0o640);
}

/** ELF e_machine values → Debian architecture names. */
const ELF_MACHINES: Record<number, string> = { 3: 'i386', 62: 'amd64', 183: 'arm64', 40: 'armhf', 21: 'ppc64el', 22: 's390x', 243: 'riscv64' };

/**
 * The architecture a binary runs on, from its ELF header (e_machine; ppc64 big-endian and
 * 32-bit ARM variants are told apart by EI_DATA only where it matters). Undefined when unknown.
 */
export function elfArch(file: string): string | undefined {
  const buf = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (readSync(fd, buf, 0, 20, 0) < 20 || buf.subarray(0, 4).toString('latin1') !== '\x7fELF') return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const little = buf[5] === 1;
  const machine = little ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  if (machine === 21 && !little) return 'ppc64';
  return ELF_MACHINES[machine];
}

/** The first statically linked busybox (an ELF without a PT_INTERP loader path), synchronously. */
export function findStaticBusyboxSync(explicit?: string): string | undefined {
  for (const c of explicit ? [explicit] : CANDIDATES) {
    if (!fs.existsSync(c)) continue;
    const buf = Buffer.alloc(4096);
    const fd = openSync(c, 'r');
    try {
      readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const hasInterp = buf.includes(Buffer.from('/lib64/ld-linux')) || buf.includes(Buffer.from('/lib/ld-linux'));
    if (buf.subarray(0, 4).toString('latin1') === '\x7fELF' && !hasInterp) return c;
  }
  return undefined;
}
