/**
 * What DIB does around the phases to the tree itself: the resolv.conf round trip and
 * finalise_base (docs/dib-behaviour.md#resolvconf-and-finalise_base).
 */
import fs from 'fs-extra';
import path from 'node:path';
import { DibError } from '../errors.js';

async function lexists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** What the build's resolv.conf holds while the phases run: the host's. */
export async function hostResolvConf(): Promise<string> {
  return fs.readFile('/etc/resolv.conf', 'utf8').catch(() => 'nameserver 8.8.8.8\n');
}

/** After root: keep the image's resolv.conf as .ORIG and put the host's in place. */
export async function swapInResolvConf(root: string): Promise<void> {
  const etc = path.join(root, 'etc');
  await fs.ensureDir(etc);
  const conf = path.join(etc, 'resolv.conf');
  if (await lexists(conf)) await fs.rename(conf, `${conf}.ORIG`);
  await fs.writeFile(conf, await hostResolvConf(), { mode: 0o644 });
}

/** In finalise_base: keep a resolv.conf an element made a symlink, else restore .ORIG. */
export async function restoreResolvConf(root: string): Promise<void> {
  const conf = path.join(root, 'etc', 'resolv.conf');
  const orig = `${conf}.ORIG`;
  const st = await fs.lstat(conf).catch(() => undefined);
  if (st?.isSymbolicLink()) {
    await fs.remove(orig);
    return;
  }
  await fs.remove(conf);
  if (await lexists(orig)) await fs.rename(orig, conf);
}

/** The root phase must have produced a tree (DIB: "Failed to deploy the root element."). */
export async function assertRootDeployed(root: string, elements: readonly string[]): Promise<void> {
  const entries = (await fs.readdir(root)).filter((e) => e !== 'lost+found' && e !== 'tmp');
  if (entries.length === 0) {
    throw new DibError('E_ROOT_EMPTY', 'Failed to deploy the root element: the root phase left the image tree empty', {
      hint: `include an element that builds a root in its root phase (debian-minimal, ubuntu-minimal, busybox-root); elements: ${elements.join(' ')}`,
    });
  }
}

async function truncateLogs(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await truncateLogs(p);
    else if (e.isFile()) await fs.truncate(p, 0);
  }
}

async function removeLogFiles(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await removeLogFiles(p);
    else if (e.name.endsWith('.log')) await fs.remove(p);
  }
}

/** finalise_base after cleanup: resolv.conf, empty /tmp, truncate /var/log, drop /root logs. */
export async function finaliseBase(root: string): Promise<void> {
  await restoreResolvConf(root);
  const tmp = path.join(root, 'tmp');
  for (const e of await fs.readdir(tmp).catch(() => [] as string[])) await fs.remove(path.join(tmp, e));
  await truncateLogs(path.join(root, 'var', 'log'));
  await removeLogFiles(path.join(root, 'root'));
}
