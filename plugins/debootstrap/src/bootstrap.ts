/**
 * Bootstrap a Debian-family root into a directory, through a cache of bootstrapped roots:
 * `<cache>/roots/<key>.tar.zst`, keyed by everything that shapes the root, written under a
 * temporary name and renamed, made under a lock so that concurrent builds make it once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { DibError, type Cache, type CommandRunner, type Env, type Logger } from '@dib/core';
import { bootstrapCommand } from './args.js';
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

export const TAR_FLAGS = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

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

async function statAge(file: string): Promise<number | undefined> {
  const st = await fs.stat(file).catch(() => undefined);
  return st ? (Date.now() - st.mtimeMs) / 86_400_000 : undefined;
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
  if (opts.aptArchiveDir !== false) {
    aptArchiveDir = opts.aptArchiveDir ?? cache.path('apt', settings.distro);
    await fs.mkdir(aptArchiveDir, { recursive: true });
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
    const plan = bootstrapCommand(settings, dir, aptArchiveDir ? { aptArchiveDir } : {});
    log.info(`bootstrapping ${what} with ${plan.file} from ${settings.mirror}`);
    const t = performance.now();
    await host.run(plan.file, plan.args, { env: runEnv });
    timings.bootstrap = secondsSince(t);
    log.info(`${plan.file} took ${timings.bootstrap}s`);
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
    return finish({ hit: false });
  }

  const zstd = onPathSync('zstd', searchPath);
  const rootsDir = cache.path('roots');
  await fs.mkdir(rootsDir, { recursive: true });
  const tarball = path.join(rootsDir, `${key}.${zstd ? 'tar.zst' : 'tar'}`);
  const compress = zstd ? ['--use-compress-program=zstd -T0 -3 -q'] : [];
  const decompress = zstd ? ['--use-compress-program=zstd -q'] : [];

  const usable = async (): Promise<boolean> => {
    const age = await statAge(tarball);
    if (age === undefined) return false;
    if (!offline && settings.maxAgeDays !== undefined && age > settings.maxAgeDays) {
      log.info(`cached root ${key} is ${age.toFixed(1)} days old (DIB_DEBOOTSTRAP_CACHE_MAX_AGE=${settings.maxAgeDays}): making it again`);
      return false;
    }
    return true;
  };
  const extract = async (): Promise<void> => {
    log.info(`using cached root ${path.basename(tarball)}`);
    const t = performance.now();
    await host.run('tar', ['--extract', `--file=${tarball}`, `--directory=${opts.targetRoot}`, ...TAR_FLAGS, '--preserve-permissions', '--same-owner', ...decompress], { quiet: true });
    timings.extract = secondsSince(t);
  };

  // A complete tarball only ever appears by rename: no lock is needed to read one.
  if (await usable()) {
    await extract();
    return finish({ hit: true, tarball });
  }
  if (offline) {
    throw new DibError('E_OFFLINE_CACHE_MISS', `no cached root ${key} (${what}) in ${rootsDir} and the build is offline`, {
      hint: 'run the same build once online to fill the cache, then build with --offline',
    });
  }
  return cache.withLock(`root-${key}`, async () => {
    if (await usable()) {
      await extract(); // another build made it while we waited
      return finish({ hit: true, tarball });
    }
    // leftovers of a killed build that held this lock
    for (const n of await fs.readdir(rootsDir)) {
      if (n.startsWith(`.${key}.`) && n.endsWith('.tmp')) await fs.rm(path.join(rootsDir, n), { force: true });
    }
    await bootstrapInto();
    const tmp = path.join(rootsDir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const t = performance.now();
    let cached = false;
    try {
      await host.run(
        'tar',
        ['--create', `--file=${tmp}`, `--directory=${opts.targetRoot}`, ...TAR_FLAGS, '--one-file-system', '--exclude=./tmp/*', '--exclude=./var/cache/apt/archives/*.deb', ...compress, '.'],
        { quiet: true },
      );
      await fs.writeFile(`${tmp}.json`, JSON.stringify({ key, created: new Date().toISOString(), inputs }, null, 1) + '\n');
      await fs.rename(`${tmp}.json`, path.join(rootsDir, `${key}.json`));
      await fs.rename(tmp, tarball);
      cached = true;
      timings.pack = secondsSince(t);
      log.info(`cached root as ${path.basename(tarball)} (${timings.pack}s)`);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      await fs.rm(`${tmp}.json`, { force: true });
      if (e instanceof DibError && e.code === 'E_INTERRUPTED') throw e;
      log.warn(`could not cache the bootstrapped root: ${(e as Error).message}`);
    }
    return finish(cached ? { hit: false, tarball } : { hit: false });
  });
}

/** What DIB does after a bootstrap: its own apt sources come later, the tool's go. */
export async function postBootstrap(root: string): Promise<void> {
  await fs.rm(path.join(root, 'etc/apt/sources.list'), { force: true });
  await fs.rm(path.join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  await fs.mkdir(path.join(root, 'etc/apt/sources.list.d'), { recursive: true });
  await fs.rm(path.join(root, '.extra_settings'), { force: true });
}
