/**
 * Reproducible output, for the tree itself (after DIB's finalise_base, before any output is
 * written): the build-time noise an image collects is removed or made stable, then every mtime
 * newer than SOURCE_DATE_EPOCH is clamped to it. The image holds what DIB would put in it but
 * for this noise:
 *  - caches rebuilt on demand: apt's lists and pkgcache/srcpkgcache (DIB's debootstrap element
 *    removes the lists too), ldconfig's aux-cache (inode numbers and ctimes), debconf's `*-old`
 *    copies, man-db's index, Python's `__pycache__` (bytecode marshalled in a run-dependent order);
 *  - state that must be unique per machine: random seeds, a filled /var/lib/dbus/machine-id,
 *    the systemd journal, and SSH host keys — generated on first boot by a unit dib installs, as
 *    DIB's runtime-ssh-host-keys element does (only where systemd can run it);
 *  - dates: /etc/shadow's last password change (days since 1970) clamped to the epoch's day;
 *  - before any package is installed (`seedFirstBootNames`): open-iscsi's initiator name, which
 *    its postinst makes at random unless the file exists, is left to the first start of iscsid
 *    (`GenerateName=yes`, Debian's own mechanism), so neither the tree nor the initramfs that
 *    copies it holds a build-time random name.
 * /var/log's files are already empty (finalise_base truncates them, dpkg's and apt's logs too).
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { imagePath } from '../util/image-path.js';
import { shellQuote } from '../util/shell.js';

export interface NormaliseResult {
  /** image paths removed, sorted */
  removed: string[];
  /** image paths rewritten (shadow files, the ssh unit) */
  changed: string[];
}

/** Files and directories removed (glob-free: a path, or a directory whose content goes). */
const CACHE_CONTENTS = ['var/lib/apt/lists', 'var/log/journal', 'var/cache/man'];
const CACHE_FILES = ['var/cache/apt/pkgcache.bin', 'var/cache/apt/srcpkgcache.bin', 'var/cache/ldconfig/aux-cache', 'var/lib/systemd/random-seed', 'var/lib/urandom/random-seed', 'var/lib/systemd/credential.secret'];
/** Where `__pycache__` directories are looked for (not the whole tree: /proc, /dev and the like never hold them). */
const PYCACHE_ROOTS = ['usr', 'etc', 'opt', 'srv', 'var/lib'];

const SSH_UNIT = 'dib-ssh-host-keys.service';
const SSH_UNIT_TEXT = `# Written by dib for reproducible images: the SSH host keys are not in the image, they are
# made on first boot (as DIB's runtime-ssh-host-keys element does).
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service ssh.socket
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
`;

async function lexists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** `/etc/shadow` with every last-change day after `day` set to it. */
export function clampShadow(text: string, day: number): string {
  return text
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f.length < 3 || !/^\d+$/.test(f[2]!) || Number(f[2]) <= day) return line;
      f[2] = String(day);
      return f.join(':');
    })
    .join('\n');
}

async function pycacheDirs(root: string, rel: string, out: string[]): Promise<void> {
  const dir = path.join(root, rel);
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory()) continue;
    const r = `${rel}/${e.name}`;
    if (e.name === '__pycache__') out.push(r);
    else await pycacheDirs(root, r, out);
  }
}

/** Remove or stabilise the noise (see above). Paths are resolved inside the image. */
export async function removeBuildNoise(root: string, epoch: number): Promise<NormaliseResult> {
  const removed: string[] = [];
  const changed: string[] = [];
  // the last component is never followed: a symlink is removed itself, never what it points at
  const inImage = (rel: string) => imagePath(root, rel, { followLast: false });
  for (const rel of CACHE_CONTENTS) {
    const dir = await inImage(rel);
    for (const e of await fs.readdir(dir).catch(() => [] as string[])) {
      // apt keeps lists/partial (and its lock) as directories it expects
      if (rel === 'var/lib/apt/lists' && (e === 'partial' || e === 'lock')) continue;
      await fs.remove(path.join(dir, e));
      removed.push(`/${rel}/${e}`);
    }
  }
  for (const rel of CACHE_FILES) {
    const p = await inImage(rel);
    if (await lexists(p)) {
      await fs.remove(p);
      removed.push(`/${rel}`);
    }
  }
  const debconf = await inImage('var/cache/debconf');
  for (const e of await fs.readdir(debconf).catch(() => [] as string[])) {
    if (!e.endsWith('-old')) continue;
    await fs.remove(path.join(debconf, e));
    removed.push(`/var/cache/debconf/${e}`);
  }
  const pyc: string[] = [];
  for (const r of PYCACHE_ROOTS) await pycacheDirs(root, r, pyc);
  for (const r of pyc) {
    await fs.remove(path.join(root, r));
    removed.push(`/${r}`);
  }
  const dbus = await inImage('var/lib/dbus/machine-id');
  const st = await fs.lstat(dbus).catch(() => undefined);
  if (st?.isFile() && st.size > 0) {
    await fs.truncate(dbus, 0);
    changed.push('/var/lib/dbus/machine-id');
  }
  const day = Math.floor(epoch / 86400);
  for (const rel of ['etc/shadow', 'etc/shadow-']) {
    const p = await inImage(rel);
    const s = await fs.lstat(p).catch(() => undefined);
    if (!s?.isFile()) continue;
    const text = await fs.readFile(p, 'utf8');
    const clamped = clampShadow(text, day);
    if (clamped !== text) {
      await fs.writeFile(p, clamped);
      changed.push(`/${rel}`);
    }
  }
  changed.push(...(await sshHostKeysOnFirstBoot(root, removed)));
  removed.push(...(await dropUnreadFirstBootNames(root)));
  removed.sort();
  return { removed, changed };
}

/** Host keys go, and a unit makes them on first boot (only where systemd runs it). */
async function sshHostKeysOnFirstBoot(root: string, removed: string[]): Promise<string[]> {
  const sshDir = await imagePath(root, 'etc/ssh');
  if (!(await fs.stat(sshDir).catch(() => undefined))?.isDirectory()) return [];
  const keys = (await fs.readdir(sshDir).catch(() => [] as string[])).filter((n) => n.startsWith('ssh_host_')).sort();
  if (keys.length === 0) return [];
  const systemd = (await lexists(path.join(root, 'lib/systemd/systemd'))) || (await lexists(path.join(root, 'usr/lib/systemd/systemd')));
  if (!systemd || !(await lexists(path.join(root, 'usr/bin/ssh-keygen')))) return [];
  for (const k of keys) {
    await fs.remove(path.join(sshDir, k));
    removed.push(`/etc/ssh/${k}`);
  }
  const units = await imagePath(root, 'etc/systemd/system');
  await fs.ensureDir(path.join(units, 'multi-user.target.wants'));
  await fs.writeFile(path.join(units, SSH_UNIT), SSH_UNIT_TEXT, { mode: 0o644 });
  const link = path.join(units, 'multi-user.target.wants', SSH_UNIT);
  await fs.remove(link);
  await fs.symlink(`../${SSH_UNIT}`, link);
  return [`/etc/systemd/system/${SSH_UNIT}`, `/etc/systemd/system/multi-user.target.wants/${SSH_UNIT}`];
}

/** Every mtime in the tree newer than `epoch` becomes `epoch` (symlinks themselves, not their targets). */
export async function clampTreeTimes(root: string, epoch: number, host: CommandRunner): Promise<void> {
  await host.sh(`find ${shellQuote(root)} -xdev -newermt @${epoch} -print0 | xargs -0r touch -h -d @${epoch} --`, { quiet: true });
}

/** The whole normalisation: noise first (removals change directory times), then the clamp. */
export async function normaliseTree(root: string, epoch: number, host: CommandRunner, log: Logger): Promise<NormaliseResult> {
  const r = await removeBuildNoise(root, epoch);
  await clampTreeTimes(root, epoch, host);
  log.info(`reproducible output: removed ${r.removed.length} build-time files from the tree, stabilised ${r.changed.length}, clamped every time to SOURCE_DATE_EPOCH=${epoch}`);
  for (const p of [...r.removed, ...r.changed]) log.debug(`normalised ${p}`);
  return r;
}

/** The file open-iscsi's postinst fills with a random name when it does not exist. */
const ISCSI_NAME_FILE = 'etc/iscsi/initiatorname.iscsi';
const ISCSI_NAME_TEXT = `## Written by dib for reproducible images: iscsid makes this initiator's
## unique InitiatorName on its first start (open-iscsi's startup-checks.sh).
GenerateName=yes
`;

/**
 * Reproducible output, before the packages are installed: names a package would make at random
 * at install time are made on first boot instead (open-iscsi's InitiatorName). A file that is
 * already there (from the root cache, or an element) is left alone. Returns the image paths written.
 */
export async function seedFirstBootNames(root: string): Promise<string[]> {
  const file = await imagePath(root, ISCSI_NAME_FILE, { followLast: false });
  if (await lexists(file)) return [];
  await fs.ensureDir(path.dirname(file));
  await fs.writeFile(file, ISCSI_NAME_TEXT, { mode: 0o644 });
  return [`/${ISCSI_NAME_FILE}`];
}

/** dib's placeholder goes again when open-iscsi (which reads it) was not installed after all. */
async function dropUnreadFirstBootNames(root: string): Promise<string[]> {
  const file = await imagePath(root, ISCSI_NAME_FILE, { followLast: false });
  if ((await fs.readFile(file, 'utf8').catch(() => '')) !== ISCSI_NAME_TEXT) return [];
  for (const reader of ['usr/lib/open-iscsi/startup-checks.sh', 'lib/open-iscsi/startup-checks.sh']) {
    if (await lexists(await imagePath(root, reader))) return [];
  }
  await fs.remove(file);
  await fs.rmdir(path.dirname(file)).catch(() => undefined); // only when empty
  return [`/${ISCSI_NAME_FILE}`];
}
