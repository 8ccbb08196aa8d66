import fs from 'fs-extra';
import { execa } from 'execa';
import path from 'node:path';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox'];

/** The first busybox that is statically linked (a dynamic one would not run in the tree). */
export async function findStaticBusybox(explicit?: string): Promise<string | undefined> {
  for (const c of explicit ? [explicit] : CANDIDATES) {
    if (!(await fs.pathExists(c))) continue;
    const buf = Buffer.alloc(4096);
    const fd = await fs.open(c, 'r');
    try {
      await fs.read(fd, buf, 0, buf.length, 0);
    } finally {
      await fs.close(fd);
    }
    // an ELF with a PT_INTERP program header is dynamically linked
    const hasInterp = buf.includes(Buffer.from('/lib64/ld-linux')) || buf.includes(Buffer.from('/lib/ld-linux'));
    if (buf.subarray(0, 4).toString('latin1') === '\x7fELF' && !hasInterp) return c;
  }
  return undefined;
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
