import { chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bindMount, defineElement, DibError, getCheckpointHooks, getImageHooks, getPackageHooks, imagePath, stateKey, unmount } from '@dib/core';
import type { Build, PackageRequest, PhaseContext } from '@dib/core';
import { manifestDirPath } from '@dib/element-manifests';
import {
  APT_SPEEDUP,
  DISABLE_RECOMMENDS,
  DIVERSIONS,
  DPKG_QUERY_FORMAT,
  FAKE_INITCTL,
  FAKE_START_STOP_DAEMON,
  NO_LANGUAGES,
  NO_TRANSLATIONS,
  POLICY_RC_D,
  aptGetArgs,
  dpkgManifestName,
  formatDpkgManifest,
  parseDpkgQuery,
  proxyConf,
  trustedKeyName,
} from './lib.js';
import { verifyAptArchive } from './archive.js';
import { dpkgInventory } from './inventory.js';

export { aptProgress } from './progress.js';
export * from './lib.js';
export { verifyAptArchive, verifiedArchiveFiles, readSignedIndex, parsePackagesIndex, archiveKey } from './archive.js';
export type { ArchiveCheck, IndexEntry } from './archive.js';
export { dpkgInventory, parseDpkgStatus, dep5License, dep5Expression, parseParagraphs, DPKG_STATUS } from './inventory.js';

/** Image dir where copy-apt-keys puts the key files (removed at cleanup). */
export const APT_KEYS_TMP = 'tmp/apt_keys';
export const TRUSTED_GPG_D = 'etc/apt/trusted.gpg.d';
export const APT_ARCHIVES = 'var/cache/apt/archives';

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Write a file at an image path (links resolved inside the image), creating its directory. */
async function writeInImage(root: string, path: string, content: string | Buffer, mode?: number): Promise<void> {
  const p = await imagePath(root, path);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  if (mode !== undefined) await chmod(p, mode);
}

async function removeInImage(root: string, path: string): Promise<boolean> {
  const p = await imagePath(root, path, { followLast: false });
  if (!(await exists(p))) return false;
  await rm(p, { force: true });
  return true;
}

async function listKeyFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) out.push(...(await listKeyFiles(p)));
    else if (st?.isFile()) out.push(p);
  }
  return out.sort();
}

/** extra-data 1 `copy-apt-keys`: DIB_ADD_APT_KEYS/* → image `tmp/apt_keys/` and trusted by apt. */
export async function copyAptKeys(ctx: PhaseContext): Promise<void> {
  const keysDir = ctx.env.DIB_ADD_APT_KEYS;
  if (!keysDir) {
    ctx.log.info('DIB_ADD_APT_KEYS is not set: no extra apt keys');
    return;
  }
  const st = await stat(keysDir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new DibError('E_CONFIG_VALUE', `dpkg: DIB_ADD_APT_KEYS=${keysDir} is not a directory`, { hint: 'point DIB_ADD_APT_KEYS at a directory of apt key files (.gpg or .asc)' });
  }
  const files = await listKeyFiles(keysDir);
  for (const f of files) {
    const content = await readFile(f);
    const name = f.split('/').pop()!;
    await writeInImage(ctx.targetRoot, join(APT_KEYS_TMP, name), content, 0o644);
    await writeInImage(ctx.targetRoot, join(TRUSTED_GPG_D, trustedKeyName(name, content)), content, 0o644);
    ctx.log.info(`apt key ${name} added to /${TRUSTED_GPG_D}`);
  }
  if (files.length === 0) ctx.log.warn(`DIB_ADD_APT_KEYS=${keysDir} holds no files`);
}

/** root 50 `block-apt-translations`. */
export async function blockAptTranslations(ctx: PhaseContext): Promise<void> {
  await writeInImage(ctx.targetRoot, DIVERSIONS.noTranslations, NO_TRANSLATIONS);
  // Debian bug 641967: drop translation lists already fetched
  const lists = await imagePath(ctx.targetRoot, 'var/lib/apt/lists');
  const names = await readdir(lists).catch(() => [] as string[]);
  for (const n of names) if (n.includes('_i18n_Translation-')) await rm(join(lists, n), { force: true });
}

/** Move `path` aside to `path.REAL` and put a stub in its place. */
async function divert(ctx: PhaseContext, path: string, stub: string): Promise<boolean> {
  const p = await imagePath(ctx.targetRoot, path, { followLast: false });
  if (!(await exists(p))) return false;
  if (await exists(`${p}.REAL`)) {
    ctx.log.warn(`/${path}.REAL already exists: keeping it`);
  } else await rename(p, `${p}.REAL`);
  await writeFile(p, stub);
  await chmod(p, 0o755);
  return true;
}

async function undivert(ctx: PhaseContext, path: string): Promise<boolean> {
  const p = await imagePath(ctx.targetRoot, path, { followLast: false });
  if (!(await exists(`${p}.REAL`))) return false;
  await rename(`${p}.REAL`, p);
  return true;
}

/** root 50 `block-daemons`: start-stop-daemon and initctl stubs, policy-rc.d answering 101. */
export async function blockDaemons(ctx: PhaseContext): Promise<void> {
  if (!(await divert(ctx, DIVERSIONS.startStopDaemon, FAKE_START_STOP_DAEMON))) {
    ctx.log.warn(`/${DIVERSIONS.startStopDaemon} not found: not diverted`);
  }
  await divert(ctx, DIVERSIONS.initctl, FAKE_INITCTL);
  await writeInImage(ctx.targetRoot, DIVERSIONS.policyRcD, POLICY_RC_D, 0o755);
}

function httpProxy(ctx: PhaseContext): string | undefined {
  return ctx.env.http_proxy || process.env.http_proxy || undefined;
}

/** root 50 `build-with-http-cache`: apt uses `http_proxy` while building. */
export async function buildWithHttpCache(ctx: PhaseContext): Promise<void> {
  const proxy = httpProxy(ctx);
  if (proxy) await writeInImage(ctx.targetRoot, DIVERSIONS.proxy, proxyConf(proxy));
}

/** root 50 `trim-dpkg`: no fsync while building, no translations. */
export async function trimDpkg(ctx: PhaseContext): Promise<void> {
  await writeInImage(ctx.targetRoot, DIVERSIONS.aptSpeedup, APT_SPEEDUP);
  await writeInImage(ctx.targetRoot, DIVERSIONS.noLanguages, NO_LANGUAGES);
}

/** pre-install 0 `disable-apt-recommends`. */
export async function disableAptRecommends(ctx: PhaseContext): Promise<void> {
  await writeInImage(ctx.targetRoot, DIVERSIONS.disableRecommends, DISABLE_RECOMMENDS);
}

/** pre-install 99 `apt-get-update`. */
export async function aptGetUpdate(ctx: PhaseContext): Promise<void> {
  await ctx.target.run('apt-get', ['-y', 'update'], { env: proxyEnv(ctx) });
}

function proxyEnv(ctx: PhaseContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['http_proxy', 'https_proxy', 'no_proxy']) {
    const v = ctx.env[k] ?? process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

/** The shared apt archive while it is bind-mounted into the image (build state). */
interface SharedArchive {
  cacheDir: string;
  mountPoint: string;
  /** unmount it (the chroot's own /var/cache/apt/archives is used from then on) */
  release(): Promise<void>;
}
const SHARED_ARCHIVE = stateKey<SharedArchive | undefined>('dpkg:shared-apt-archive');

function sharedArchive(ctx: Pick<PhaseContext, 'build'>): SharedArchive | undefined {
  return ctx.build?.state.get(SHARED_ARCHIVE);
}

/** Why an apt run failed when the cause is the shared archive's filesystem (full, read-only). */
async function archiveWriteProblem(e: unknown, shared: SharedArchive): Promise<string | undefined> {
  const err = e as { message?: string; details?: string[] };
  const text = [err?.message ?? '', ...(err?.details ?? [])].join('\n');
  if (!/No space left on device|ENOSPC|Read-only file system|EROFS/.test(text)) return undefined;
  const s = await statfs(shared.cacheDir).catch(() => undefined);
  const full = s !== undefined && s.bavail * s.bsize < 64 * 1024 * 1024;
  if (/Read-only file system|EROFS/.test(text) && /\/var\/cache\/apt\/archives/.test(text)) return 'the apt archive in the cache is read-only';
  return full ? 'the cache dir is full' : undefined;
}

/**
 * Run `fn` holding the lock of the shared apt archive cache: while it is bind-mounted into the
 * image (root 50 to post-root), concurrent builds share one /var/cache/apt/archives, and apt
 * takes that directory's lock with no timeout ("Could not get lock …/archives/lock").
 * Every apt run that may download goes through here. Before it, every .deb in the archive is
 * checked against the signed index apt fetched (a bad one is removed and downloaded again);
 * if it fails because the cache filled up, the archive stops being shared and the run is
 * repeated without it (a warning; nothing partial is left in the cache).
 */
export async function withAptArchiveLock<T>(ctx: PhaseContext, fn: () => Promise<T>): Promise<T> {
  if (ctx.env.DIB_APT_LOCAL_CACHE === '0' || !ctx.env.DISTRO_NAME) return fn();
  let retry = false;
  const result = await ctx.cache.withLock(`apt-archives-${ctx.env.DISTRO_NAME}`, async () => {
    const shared = sharedArchive(ctx);
    if (!shared) return { value: await fn() };
    const lists = await imagePath(ctx.targetRoot, 'var/lib/apt/lists');
    const check = await verifyAptArchive(shared.cacheDir, lists, ctx.log);
    if (check.hashed) ctx.log.debug(`apt archive: ${check.checked} packages match the signed index (${check.hashed} hashed now)`);
    try {
      return { value: await fn() };
    } catch (e) {
      const problem = await archiveWriteProblem(e, shared);
      if (!problem) throw e;
      ctx.cache.markUnwritable(problem);
      ctx.log.warn(`${problem}: the apt archive is no longer shared for this build; running apt again without it`);
      // what apt left half-downloaded in the cache (we hold its lock: they are ours)
      await rm(join(shared.cacheDir, 'partial'), { recursive: true, force: true });
      await mkdir(join(shared.cacheDir, 'partial'), { recursive: true }).catch(() => undefined);
      await shared.release();
      retry = true;
      return undefined;
    }
  });
  if (retry || !result) return fn();
  return result.value;
}

/** The apt answer to the core's `installPackages` hook. */
export async function aptInstall(ctx: PhaseContext, request: PackageRequest): Promise<true> {
  await withAptArchiveLock(ctx, () =>
    ctx.target.run('apt-get', aptGetArgs(request.action, request.packages), {
      env: { DEBIAN_FRONTEND: 'noninteractive', ...proxyEnv(ctx) },
    }),
  );
  return true;
}

/** finalise 99 `clean-up-cache`: `apt-get clean` unless DIB_DISABLE_APT_CLEANUP=1. */
export async function cleanUpCache(ctx: PhaseContext): Promise<void> {
  if (ctx.env.DIB_DISABLE_APT_CLEANUP === '1') return;
  await ctx.target.run('apt-get', ['clean']);
}

/** finalise 99 `write-dpkg-manifest`: `<manifests>/dib-manifest-dpkg-<image>`. */
export async function writeDpkgManifest(ctx: PhaseContext): Promise<void> {
  const r = await ctx.target.run('dpkg-query', ['--show', `--showformat=${DPKG_QUERY_FORMAT}`], { quiet: true });
  const dir = await manifestDirPath(ctx);
  await mkdir(dir, { recursive: true });
  const name = dpkgManifestName(ctx.env.IMAGE_NAME || ctx.build.paths.outputBase);
  await writeFile(join(dir, name), formatDpkgManifest(parseDpkgQuery(r.stdout)));
  ctx.log.info(`dpkg manifest written: ${name}`);
}

/** cleanup 40 `unblock-daemons`. */
export async function unblockDaemons(ctx: PhaseContext): Promise<void> {
  await undivert(ctx, DIVERSIONS.startStopDaemon);
  await undivert(ctx, DIVERSIONS.initctl);
  await removeInImage(ctx.targetRoot, DIVERSIONS.policyRcD);
}

/** cleanup 50 `remove-img-build-proxy`. */
export async function removeImgBuildProxy(ctx: PhaseContext): Promise<void> {
  await removeInImage(ctx.targetRoot, DIVERSIONS.proxy);
}

/** cleanup 50 `remove-apt-keys-dir`: the keys stay trusted, the copies in /tmp go. */
export async function removeAptKeysDir(ctx: PhaseContext): Promise<void> {
  await rm(await imagePath(ctx.targetRoot, APT_KEYS_TMP, { followLast: false }), { recursive: true, force: true });
}

/** cleanup 60 `untrim-dpkg`. */
export async function untrimDpkg(ctx: PhaseContext): Promise<void> {
  await removeInImage(ctx.targetRoot, DIVERSIONS.aptSpeedup);
  await removeInImage(ctx.targetRoot, DIVERSIONS.noLanguages);
}

/** The shared apt archive cache: bind-mounted at root, unmounted at post-root (or on failure). */
function sharedAptCache(build: Build) {
  let release: (() => Promise<void>) | undefined;
  return {
    /** root 50 `shared-apt-cache` */
    async mount(ctx: PhaseContext): Promise<void> {
      if (release || ctx.env.DIB_APT_LOCAL_CACHE === '0') return;
      const distro = ctx.env.DISTRO_NAME;
      if (!distro) throw new DibError('E_TAP_FAILED', 'dpkg: DISTRO_NAME is not set, cannot pick the apt cache', { hint: 'the operating-system element sets DISTRO_NAME' });
      if (!ctx.cache.writable) {
        ctx.log.info('the cache is not writable: apt downloads into the image tree, not the shared archive');
        return;
      }
      const cacheDir = ctx.cache.path('apt', distro);
      try {
        await mkdir(join(cacheDir, 'partial'), { recursive: true });
      } catch (e) {
        ctx.cache.markUnwritable(`the apt archive ${cacheDir} cannot be created (${(e as NodeJS.ErrnoException).code})`);
        return;
      }
      const mountPoint = await imagePath(ctx.targetRoot, APT_ARCHIVES);
      await mkdir(mountPoint, { recursive: true });
      await bindMount(cacheDir, mountPoint, { log: ctx.log });
      const log = ctx.log;
      // through dib's mount seam: unmounted on failure and on a signal too (cleanup is never refused)
      const undo = build.cleanup.push(`unmount apt cache ${mountPoint}`, async () => {
        build.state.set(SHARED_ARCHIVE, undefined);
        await unmount(mountPoint, log);
      });
      release = undo;
      build.state.set(SHARED_ARCHIVE, { cacheDir, mountPoint, release: () => this.unmount() });
      ctx.log.info(`apt archives shared from ${cacheDir}`);
    },
    /** post-root 999 `unmount-apt-cache`: DIB drops the bind before the tree is packed */
    async unmount(): Promise<void> {
      const r = release;
      release = undefined;
      build.state.set(SHARED_ARCHIVE, undefined);
      await r?.();
    },
  };
}

/** apt/dpkg support: build-time diversions, apt keys, package installation, dpkg manifest, package inventory. */
export default defineElement({
  name: 'dpkg',
  description: 'apt/dpkg support: build-time diversions, apt keys, package installation, dpkg manifest.',
  deps: ['install-bin', 'manifests', 'package-installs'],
  provides: [],
  environment: { DIB_ADD_APT_KEYS: '' },
  // copy-apt-keys reads the key files of the host directory DIB_ADD_APT_KEYS
  cacheInputs: ({ env }) => ({ files: env.DIB_ADD_APT_KEYS ? [env.DIB_ADD_APT_KEYS] : [] }),
  hostTools: [
    { command: 'mount', package: 'mount', why: 'bind-mounts the shared apt archive cache into the image' },
    { command: 'umount', package: 'mount', why: 'unmounts the shared apt archive cache' },
  ],
  apply(build) {
    const h = build.hooks;
    h.extraData.tapPromise({ name: 'copy-apt-keys', stage: 1 }, copyAptKeys);
    h.root.tapPromise({ name: 'block-apt-translations', stage: 50 }, blockAptTranslations);
    h.root.tapPromise({ name: 'block-daemons', stage: 50 }, blockDaemons);
    h.root.tapPromise({ name: 'build-with-http-cache', stage: 50 }, buildWithHttpCache);
    const cache = sharedAptCache(build);
    h.root.tapPromise({ name: 'shared-apt-cache', stage: 50 }, (ctx) => cache.mount(ctx));
    h.root.tapPromise({ name: 'trim-dpkg', stage: 50 }, trimDpkg);
    h.postRoot.tapPromise({ name: 'unmount-apt-cache', stage: 999 }, () => cache.unmount());
    // a phase checkpoint is stored with nothing mounted in the tree; the archive is mounted
    // again for the phases that follow, up to post-root (also when they follow a restored one)
    const checkpoints = getCheckpointHooks(build);
    checkpoints.suspend.tapPromise('dpkg', () => cache.unmount());
    checkpoints.resume.tapPromise('dpkg', async (ctx, at) => {
      if (at.after === 'root' || at.after === 'post-install') await cache.mount(ctx);
    });
    h.preInstall.tapPromise({ name: 'disable-apt-recommends', stage: 0 }, disableAptRecommends);
    h.preInstall.tapPromise({ name: 'apt-get-update', stage: 99 }, aptGetUpdate);
    h.finalise.tapPromise({ name: 'clean-up-cache', stage: 99 }, cleanUpCache);
    h.finalise.tapPromise({ name: 'write-dpkg-manifest', stage: 99 }, writeDpkgManifest);
    h.cleanup.tapPromise({ name: 'unblock-daemons', stage: 40 }, unblockDaemons);
    h.cleanup.tapPromise({ name: 'remove-img-build-proxy', stage: 50 }, removeImgBuildProxy);
    h.cleanup.tapPromise({ name: 'remove-apt-keys-dir', stage: 50 }, removeAptKeysDir);
    h.cleanup.tapPromise({ name: 'untrim-dpkg', stage: 60 }, untrimDpkg);
    getPackageHooks(build).installPackages.tapPromise('apt', aptInstall);
    // the bill of materials: the packages of /var/lib/dpkg/status once the tree is final
    getImageHooks(build).inventory.tapPromise('dpkg', (inv, req) => dpkgInventory(req.targetRoot, req.osRelease, inv));
  },
});
