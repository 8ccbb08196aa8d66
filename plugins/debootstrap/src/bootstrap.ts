/**
 * Bootstrap a Debian-family root into a directory, through the cache's tree store `roots`:
 * `<cache>/roots/<key>.tar.zst` and its manifest, keyed by everything that shapes the root,
 * verified before every use (a corrupt one is evicted and made again), made once by concurrent
 * builds, never holding the build host's resolv.conf or hostname.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { DibError, type Cache, type CacheEntryManifest, type CommandRunner, type Env, type Logger } from '@dib/core';
import { bootstrapCommand } from './args.js';
import { verifiedArchiveFiles, verifyAptArchive } from '@dib/element-dpkg';
import { rootCacheInputs, rootCacheKey, type RootCacheInputs } from './cachekey.js';
import { digestKeyring, isEmptyDir, onPathSync } from './fsutil.js';
import { DEFAULT_KEYRINGS, resolveBootstrapSettings, type BootstrapSettings, type BootstrapTool } from './settings.js';

export interface BootstrapOptions {
  /** the directory to fill (TARGET_ROOT); created if missing */
  targetRoot: string;
  /** build environment (DISTRO_NAME, DIB_RELEASE, DIB_DISTRIBUTION_MIRROR, ARCH, DIB_*) */
  env: Readonly<Env>;
  host: CommandRunner;
  cache: Cache;
  log: Logger;
  /** packages to include in the bootstrapped root */
  include?: readonly string[];
  /** packages later phases install anyway: included when the archive has them (mmdebstrap) */
  preseed?: readonly string[];
  /** apt source lines to bootstrap from (mmdebstrap); default: the mirror's release */
  sources?: readonly string[];
  /**
   * shared .deb directory reused by the bootstrap tool; default `<cache>/apt/<DISTRO_NAME>`
   * (DIB's `$DIB_IMAGE_CACHE/apt/$DISTRO_NAME`); false: none
   */
  aptArchiveDir?: string | false;
  /** default: cache.offline or a non-empty DIB_OFFLINE */
  offline?: boolean;
  /** make the root again even when a cached one is usable, and cache the new one (`--refresh`) */
  refresh?: boolean;
  /** PATH used to find mmdebstrap/debootstrap/zstd (default process.env.PATH) */
  searchPath?: string;
  /** where the debootstrap scripts live (to pick a fallback script for releases it does not know) */
  debootstrapScriptsDir?: string;
}

export interface BootstrapResult {
  key: string;
  tool: BootstrapTool;
  settings: BootstrapSettings;
  inputs: RootCacheInputs;
  /** the cached tarball (undefined when the cache is off or could not be written) */
  tarball?: string;
  /** true when the root came from the cache */
  hit: boolean;
  /** seconds spent in each step */
  timings: { bootstrap?: number; pack?: number; extract?: number; total: number };
}

const PROXY_VARS = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

/** Default keyring missing / given keyring missing → a clear error. */
async function checkKeyring(s: BootstrapSettings): Promise<void> {
  const st = await fs.stat(s.keyring).catch(() => undefined);
  if (st) return;
  if (s.keyringFrom === 'default') {
    const def = DEFAULT_KEYRINGS[s.distro]!;
    throw new DibError('E_HOST_TOOL_MISSING', `${s.distro} archive keyring ${s.keyring} is missing on the host (needed to verify the mirror's signatures)`, {
      hint: `apt-get install ${def.package}, or set DIB_APT_KEYRING to a keyring that signs ${s.mirror}`,
    });
  }
  throw new DibError('E_CONFIG_VALUE', `${s.keyringFrom}=${s.keyring}: no such file`, { hint: `point ${s.keyringFrom} at an existing keyring file (absolute path)` });
}

export async function bootstrapRoot(opts: BootstrapOptions): Promise<BootstrapResult> {
  const t0 = performance.now();
  const { env, host, cache, log } = opts;
  const searchPath = opts.searchPath ?? process.env.PATH;
  const available = { mmdebstrap: onPathSync('mmdebstrap', searchPath), debootstrap: onPathSync('debootstrap', searchPath) };
  let settings = resolveBootstrapSettings({ env, include: opts.include, preseed: opts.preseed, sources: opts.sources, available });
  if (settings.tool === 'debootstrap' && !settings.script) {
    // a release the host's debootstrap has no script for: use the family's generic script
    const dir = opts.debootstrapScriptsDir ?? '/usr/share/debootstrap/scripts';
    if (existsSync(dir) && !existsSync(path.join(dir, settings.release))) {
      const script = settings.distro === 'ubuntu' ? 'gutsy' : 'sid';
      log.warn(`debootstrap has no script for ${settings.release}; using '${script}' (set DIB_DEBIAN_DEBOOTSTRAP_SCRIPT to choose)`);
      settings = { ...settings, script };
    }
  }
  await checkKeyring(settings);
  const inputs = rootCacheInputs(settings, await digestKeyring(settings.keyring));
  const key = rootCacheKey(inputs);
  const offline = opts.offline ?? (cache.offline || !!env.DIB_OFFLINE);
  const runEnv: Record<string, string> = {};
  for (const v of PROXY_VARS) {
    const val = env[v] ?? process.env[v];
    if (val) runEnv[v] = val;
  }
  let aptArchiveDir: string | undefined;
  if (opts.aptArchiveDir !== false && (cache.writable || opts.aptArchiveDir)) {
    aptArchiveDir = opts.aptArchiveDir ?? cache.path('apt', settings.distro);
    try {
      await fs.mkdir(aptArchiveDir, { recursive: true });
    } catch (e) {
      cache.markUnwritable(`the apt archive ${aptArchiveDir} cannot be created (${(e as NodeJS.ErrnoException).code})`);
      aptArchiveDir = undefined;
    }
  }
  await fs.mkdir(opts.targetRoot, { recursive: true });
  const timings: BootstrapResult['timings'] = { total: 0 };
  const base = { key, tool: settings.tool, settings, inputs };
  const what = `${settings.distro} ${settings.release} ${settings.arch}`;

  const runTool = async (dir: string): Promise<void> => {
    if (offline) {
      throw new DibError('E_OFFLINE_CACHE_MISS', `no cached root ${key} for ${what} and the build is offline`, {
        hint: settings.cache ? 'run the same build once online to fill the cache' : 'unset DIB_DEBOOTSTRAP_CACHE=0 and run the build once online to fill the cache',
      });
    }
    // mmdebstrap takes in only archive files verified against a signed index
    const verifiedList = aptArchiveDir && settings.tool === 'mmdebstrap' ? `${dir}.verified-debs` : undefined;
    if (verifiedList) await fs.writeFile(verifiedList, (await verifiedArchiveFiles(aptArchiveDir!)).map((n) => `${n}\n`).join(''));
    const plan = bootstrapCommand(settings, dir, aptArchiveDir ? { aptArchiveDir, ...(verifiedList ? { verifiedList } : {}) } : {});
    log.info(`bootstrapping ${what} with ${plan.file} from ${settings.mirror}`);
    const t = performance.now();
    try {
      await host.run(plan.file, plan.args, { env: runEnv });
    } finally {
      if (verifiedList) await fs.rm(verifiedList, { force: true });
    }
    timings.bootstrap = secondsSince(t);
    log.info(`${plan.file} took ${timings.bootstrap}s`);
    // what it downloaded into the archive, checked against the index it fetched (kept lists)
    if (aptArchiveDir) {
      const check = await cache.withLock(`apt-archives-${settings.distro}`, () => verifyAptArchive(aptArchiveDir!, path.join(dir, 'var/lib/apt/lists'), log));
      log.debug(`apt archive: ${check.checked} packages match the signed index, ${check.removed.length} removed`);
    }
  };

  /** bootstrap into the target, or into a sibling staging dir when the target is not empty */
  const bootstrapInto = async (): Promise<void> => {
    if (await isEmptyDir(opts.targetRoot)) return runTool(opts.targetRoot);
    const staging = await fs.mkdtemp(path.join(path.dirname(opts.targetRoot), `.${path.basename(opts.targetRoot)}.bootstrap-`));
    try {
      await fs.rmdir(staging);
      await runTool(staging);
      for (const n of await fs.readdir(staging)) {
        const dest = path.join(opts.targetRoot, n);
        if (existsSync(dest)) await host.run('cp', ['-a', '--', path.join(staging, n), opts.targetRoot], { quiet: true });
        else await fs.rename(path.join(staging, n), dest);
      }
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  };

  const finish = async (r: Omit<BootstrapResult, 'timings' | keyof typeof base>): Promise<BootstrapResult> => {
    await postBootstrap(opts.targetRoot);
    timings.total = secondsSince(t0);
    return { ...base, ...r, timings };
  };

  if (!settings.cache) {
    await bootstrapInto();
    await removeHostFiles(opts.targetRoot);
    return finish({ hit: false });
  }

  const roots = cache.trees('roots');
  // the cache dir's roots/ (DIB's debootstrap tarballs live in the cache root itself)
  const rootsDir = cache.path('roots');
  await fs.mkdir(rootsDir, { recursive: true }).catch(() => undefined);
  const tarballOf = (file: string) => path.join(rootsDir, file);
  let refreshSaid = false;
  const usable = (m: CacheEntryManifest): boolean => {
    if (opts.refresh && !offline) {
      if (!refreshSaid) log.info(`--refresh: making the cached root ${key} again`);
      refreshSaid = true;
      return false;
    }
    if (offline || settings.maxAgeDays === undefined) return true;
    // the data file's age, as DIB judges its debootstrap tarballs (touch it to keep it)
    const st = statSync(tarballOf(m.file), { throwIfNoEntry: false });
    const age = st ? (Date.now() - st.mtimeMs) / 86_400_000 : 0;
    if (age <= settings.maxAgeDays) return true;
    log.info(`cached root ${key} is ${age.toFixed(1)} days old (DIB_DEBOOTSTRAP_CACHE_MAX_AGE=${settings.maxAgeDays}): making it again`);
    return false;
  };
  const onHit = (hit: { manifest: CacheEntryManifest; seconds: number }) => {
    timings.extract = hit.seconds;
    log.info(`used cached root ${hit.manifest.file} (verified and unpacked in ${hit.seconds}s)`);
  };

  if (offline) {
    const hit = await roots.restore(key, opts.targetRoot, { host });
    if (!hit) {
      throw new DibError('E_OFFLINE_CACHE_MISS', `no cached root ${key} (${what}) in ${rootsDir} and the build is offline`, {
        hint: 'run the same build once online to fill the cache, then build with --offline',
      });
    }
    onHit(hit);
    return finish({ hit: true, tarball: tarballOf(hit.manifest.file) });
  }
  const made = await roots.restoreOrMake(
    key,
    opts.targetRoot,
    async () => {
      await bootstrapInto();
      // what the bootstrap tool copied from the build host is no part of the root
      for (const f of await removeHostFiles(opts.targetRoot)) log.info(`removed /${f} that ${settings.tool} copied from the build host`);
    },
    {
      host,
      inputs,
      excludes: ['./tmp/*', './var/cache/apt/archives/*.deb'],
      meta: { what, tool: settings.tool },
      usable,
      onHit,
    },
  );
  if (!made.hit && made.manifest) {
    timings.pack = Number(made.manifest.meta?.writeSeconds ?? 0);
    log.info(`cached root as ${made.manifest.file} (${timings.pack}s)`);
  }
  return finish({ hit: made.hit, ...(made.manifest ? { tarball: tarballOf(made.manifest.file) } : {}) });
}

/**
 * Files the bootstrap tools copy from the build host into the new root: mmdebstrap and
 * debootstrap both copy /etc/resolv.conf and /etc/hostname. They are not the target's own (no
 * package installs them) and must not reach the cache or the image: the image's resolv.conf is
 * what its packages and elements make (dib puts the host's there only while building).
 */
export const HOST_COPIED_FILES = ['etc/resolv.conf', 'etc/hostname'];

/** Remove HOST_COPIED_FILES that are regular files no package owns; returns what went. */
export async function removeHostFiles(root: string): Promise<string[]> {
  const infoDir = path.join(root, 'var/lib/dpkg/info');
  let owned: Set<string> | undefined;
  const ownedPaths = async (): Promise<Set<string>> => {
    if (owned) return owned;
    owned = new Set();
    for (const n of await fs.readdir(infoDir).catch(() => [] as string[])) {
      if (!n.endsWith('.list')) continue;
      for (const line of (await fs.readFile(path.join(infoDir, n), 'utf8').catch(() => '')).split('\n')) {
        if (HOST_COPIED_FILES.includes(line.replace(/^\//, ''))) owned.add(line.replace(/^\//, ''));
      }
    }
    return owned;
  };
  const removed: string[] = [];
  for (const rel of HOST_COPIED_FILES) {
    const p = path.join(root, rel);
    const st = await fs.lstat(p).catch(() => undefined);
    // a symlink (systemd-resolved's stub, resolvconf) is the target's own
    if (!st?.isFile() || (await ownedPaths()).has(rel)) continue;
    await fs.rm(p, { force: true });
    removed.push(rel);
  }
  return removed;
}

/** What DIB does after a bootstrap: its own apt sources come later, the tool's go. */
export async function postBootstrap(root: string): Promise<void> {
  await fs.rm(path.join(root, 'etc/apt/sources.list'), { force: true });
  await fs.rm(path.join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  await fs.mkdir(path.join(root, 'etc/apt/sources.list.d'), { recursive: true });
  await fs.rm(path.join(root, '.extra_settings'), { force: true });
}
