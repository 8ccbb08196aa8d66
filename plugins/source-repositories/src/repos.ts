/**
 * DIB's source-repositories (docs/dib-behaviour.md#source-repositories): `source-repository-<n>`
 * files of the hooks tree, lines `<name> <type> <dest> <location> [<ref>]` (variables expanded,
 * `#` comments), types git, tar, file and package; overrides `DIB_REPOTYPE_<name>`,
 * `DIB_REPOLOCATION_<name>`, `DIB_REPOREF_<name>`, and `DIB_GITREPOBASE` for git locations that
 * were not overridden; skipped unless the repository's install type is `source`. Downloads and
 * git mirrors are kept in the build cache (`<cache>/source-repositories/`); with `--offline` (or
 * DIB_OFFLINE) they are served from the cache only, a miss is E_OFFLINE_CACHE_MISS. Every
 * repository put in the image is listed in its `/etc/dib-source-repositories`; every git
 * checkout, with its commit, in the `dib-manifest-git-<image>` manifest.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DibError } from '@dib/core';
import type { Cache, Env, Logger } from '@dib/core';

export const REPO_TYPES = ['git', 'tar', 'file', 'package'] as const;
export type RepoType = (typeof REPO_TYPES)[number];

export interface SourceRepository {
  name: string;
  type: RepoType;
  /** destination inside the image */
  dest: string;
  location: string;
  ref?: string;
  /** file and line it came from */
  source: string;
}

function envKey(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_');
}

/** Expand `$VAR` / `${VAR}` in a line with bash, as DIB's `eval echo` does; returns the words. */
async function expandLine(line: string, env: Readonly<Env>): Promise<string[]> {
  const r = await execa('bash', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', 'dib-source-repositories', line], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    extendEnv: false,
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr.split('\n')[0] || `cannot expand: ${line}`);
  return r.stdout.split('\0').filter((w, i, all) => i < all.length - 1 || w !== '');
}

/** Parse every `source-repository-*` file of `hooksDir`, with DIB's overrides. */
export async function readSourceRepositories(hooksDir: string, env: Readonly<Env>): Promise<SourceRepository[]> {
  const files = (await fs.readdir(hooksDir).catch(() => [] as string[])).filter((f) => f.startsWith('source-repository-')).sort();
  const out: SourceRepository[] = [];
  for (const f of files) {
    const file = path.join(hooksDir, f);
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (!raw || raw.startsWith('#')) continue;
      const where = `${f}:${i + 1}`;
      let words: string[];
      try {
        words = await expandLine(raw, env);
      } catch (e) {
        throw new DibError('E_ELEMENT_INVALID', `${where}: ${(e as Error).message}`, { hint: 'fix the variables used in the source-repository line' });
      }
      if (words.length < 4) {
        throw new DibError('E_ELEMENT_INVALID', `${where}: expected '<name> <type> <destination> <location> [<ref>]', got '${raw}'`, {
          hint: 'a source-repository line has four fields and an optional ref',
        });
      }
      const [name, fileType, dest, fileLocation, fileRef] = words as [string, string, string, string, string | undefined];
      const k = envKey(name);
      const type = env[`DIB_REPOTYPE_${k}`] || fileType;
      const locationOverride = env[`DIB_REPOLOCATION_${k}`];
      let location = locationOverride || fileLocation;
      if (type === 'git' && !locationOverride && env.DIB_GITREPOBASE) location = rebaseGitLocation(location, env.DIB_GITREPOBASE);
      if (!(REPO_TYPES as readonly string[]).includes(type)) {
        throw new DibError('E_ELEMENT_INVALID', `${where}: unsupported repository type '${type}' for ${name}`, { hint: `use one of ${REPO_TYPES.join(', ')}` });
      }
      out.push({
        name,
        type: type as RepoType,
        dest,
        location,
        ref: env[`DIB_REPOREF_${k}`] || fileRef,
        source: where,
      });
    }
  }
  return out;
}

/**
 * DIB_GITREPOBASE: the scheme, host and optional `~user/` of a git URL replaced by the base
 * (`https://opendev.org/openstack/nova.git` with base `https://github.com/` →
 * `https://github.com/openstack/nova.git`), as DIB's sed does (a `~user` part is dropped, its
 * slash kept). Locations without a scheme are left alone.
 */
export function rebaseGitLocation(location: string, base: string): string {
  const m = /^[^:]+:\/\/[^/]+\/(~[^/]+)?(.*)$/.exec(location);
  return m ? `${base}${m[2]}` : location;
}

function cacheKey(repo: SourceRepository): string {
  const h = createHash('sha256').update(repo.location).digest('hex').slice(0, 12);
  return `${repo.name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${h}`;
}

/** A local path for `location` when it is a path or a file:// URL. */
function localPath(location: string): string | undefined {
  if (location.startsWith('file://')) return fileURLToPath(location);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return path.resolve(location);
  return undefined;
}

export interface FetchOptions {
  cache: Cache;
  offline: boolean;
  log: Logger;
  signal?: AbortSignal;
}

function offlineMiss(repo: SourceRepository, cached: string): DibError {
  return new DibError('E_OFFLINE_CACHE_MISS', `source repository ${repo.name} (${repo.location}) is not in the cache and the build is offline`, {
    hint: `run the build once without --offline to fill ${cached}`,
  });
}

/** Download (or copy) `repo.location` into the cache; returns the cached file. */
export async function fetchToCache(repo: SourceRepository, opts: FetchOptions): Promise<string> {
  const dir = opts.cache.path('source-repositories');
  await fs.ensureDir(dir);
  const cached = path.join(dir, cacheKey(repo));
  if (opts.offline) {
    if (await fs.pathExists(cached)) {
      opts.log.info(`source repository ${repo.name}: using cached ${path.basename(cached)} (offline)`);
      return cached;
    }
    throw offlineMiss(repo, cached);
  }
  return opts.cache.withLock(`source-repository-${cacheKey(repo)}`, async () => {
    const tmp = `${cached}.tmp-${process.pid}`;
    try {
      const local = localPath(repo.location);
      if (local) {
        if (!(await fs.pathExists(local))) {
          throw new DibError('E_ELEMENT_INVALID', `source repository ${repo.name}: ${repo.location} does not exist`, { hint: `fix ${repo.source}` });
        }
        await fs.copyFile(local, tmp);
      } else {
        const res = await fetch(repo.location, { signal: opts.signal });
        if (!res.ok || !res.body) throw new DibError('E_COMMAND_FAILED', `source repository ${repo.name}: GET ${repo.location}: HTTP ${res.status}`, { hint: `check the URL in ${repo.source}` });
        await fs.writeFile(tmp, Buffer.from(await res.arrayBuffer()));
      }
      await fs.rename(tmp, cached);
    } catch (e) {
      await fs.remove(tmp);
      if (e instanceof DibError) throw e;
      if (await fs.pathExists(cached)) {
        opts.log.warn(`source repository ${repo.name}: could not refresh ${repo.location} (${(e as Error).message}); using the cached copy`);
        return cached;
      }
      throw new DibError('E_COMMAND_FAILED', `source repository ${repo.name}: cannot fetch ${repo.location}: ${(e as Error).message}`, { hint: `check ${repo.source}` });
    }
    opts.log.info(`source repository ${repo.name}: fetched ${repo.location}`);
    return cached;
  });
}

async function git(args: string[], opts: { cwd?: string; log: Logger }): Promise<string> {
  const r = await execa('git', args, { cwd: opts.cwd, reject: false, env: { GIT_TERMINAL_PROMPT: '0' } });
  if (r.exitCode !== 0) {
    throw new DibError('E_COMMAND_FAILED', `git ${args.join(' ')} failed: ${(r.stderr || r.stdout).split('\n').filter(Boolean).pop() ?? ''}`, {
      hint: 'check the repository location and ref',
      details: (r.stderr || '').split('\n').slice(-20),
    });
  }
  return r.stdout;
}

/** A bare mirror of a git repository in the cache, fetched unless offline. */
export async function gitMirror(repo: SourceRepository, opts: FetchOptions): Promise<string> {
  const dir = opts.cache.path('source-repositories');
  await fs.ensureDir(dir);
  const mirror = path.join(dir, `${cacheKey(repo)}.git`);
  if (opts.offline) {
    if (await fs.pathExists(path.join(mirror, 'HEAD'))) return mirror;
    throw offlineMiss(repo, mirror);
  }
  return opts.cache.withLock(`source-repository-${cacheKey(repo)}`, async () => {
    const local = repo.location.startsWith('file://') ? repo.location : localPath(repo.location);
    const from = local ?? repo.location;
    if (await fs.pathExists(path.join(mirror, 'HEAD'))) {
      try {
        await git(['--git-dir', mirror, 'fetch', '--prune', '--tags', from, '+refs/heads/*:refs/heads/*'], opts);
      } catch (e) {
        opts.log.warn(`source repository ${repo.name}: cannot update the cached mirror (${(e as Error).message}); using it as it is`);
      }
    } else {
      const tmp = `${mirror}.tmp-${process.pid}`;
      await fs.remove(tmp);
      try {
        await git(['clone', '--mirror', from, tmp], opts);
        await fs.rename(tmp, mirror);
      } catch (e) {
        await fs.remove(tmp);
        throw e;
      }
    }
    return mirror;
  });
}

/** Extract a cached tarball into `dest` with DIB's ref rules (`.`, `*`, or a subdirectory). */
async function extractTar(file: string, dest: string, ref: string): Promise<void> {
  await fs.ensureDir(dest);
  if (ref === '.') {
    await execa('tar', ['-C', dest, '-xf', file]);
  } else if (ref === '*') {
    await execa('tar', ['-C', dest, '-xf', file, '--strip-components=1']);
  } else {
    const tmp = await fs.mkdtemp(path.join(path.dirname(dest), '.dib-tar-'));
    try {
      await execa('tar', ['-C', tmp, '-xf', file]);
      const sub = path.join(tmp, ref.replace(/^\.?\/+/, ''));
      if (!(await fs.stat(sub).catch(() => undefined))?.isDirectory()) {
        throw new DibError('E_ELEMENT_INVALID', `tarball ${path.basename(file)} has no directory '${ref}'`, { hint: "use '.', '*' or a subdirectory of the tarball as the ref" });
      }
      await execa('cp', ['-a', `${sub}/.`, dest]);
    } finally {
      await fs.remove(tmp);
    }
  }
}

/** What was put into the image. */
export interface InstalledRepositories {
  /** image paths of the git, tar and file repositories, in order (`/etc/dib-source-repositories`) */
  paths: string[];
  /** git checkouts made by this build: `<name> git <dest> <location> <sha>` lines of the git manifest */
  git: { name: string; dest: string; location: string; sha: string }[];
}

/** Put every repository in place under `targetRoot`. */
export async function installSourceRepositories(
  repos: readonly SourceRepository[],
  targetRoot: string,
  env: Readonly<Env>,
  opts: FetchOptions,
): Promise<InstalledRepositories> {
  const done: InstalledRepositories = { paths: [], git: [] };
  for (const repo of repos) {
    const itVar = `DIB_INSTALLTYPE_${envKey(repo.name)}`;
    const installType = env[itVar] || env.DIB_DEFAULT_INSTALLTYPE || 'source';
    if (installType !== 'source') {
      opts.log.info(`${repo.name} install type not set to source (${installType}): skipped`);
      continue;
    }
    const dest = path.join(targetRoot, repo.dest);
    if (!dest.startsWith(path.resolve(targetRoot) + path.sep)) {
      throw new DibError('E_ELEMENT_INVALID', `${repo.source}: destination ${repo.dest} is outside the image`, { hint: 'use an absolute path inside the image' });
    }
    switch (repo.type) {
      case 'package':
        opts.log.info(`source repository ${repo.name}: type package, installed from packages`);
        break;
      case 'file': {
        const cached = await fetchToCache(repo, opts);
        await fs.ensureDir(path.dirname(dest));
        await fs.copyFile(cached, dest);
        opts.log.info(`source repository ${repo.name}: ${repo.dest}`);
        done.paths.push(repo.dest);
        break;
      }
      case 'tar': {
        const cached = await fetchToCache(repo, opts);
        await extractTar(cached, dest, repo.ref || '*');
        opts.log.info(`source repository ${repo.name}: extracted into ${repo.dest}`);
        done.paths.push(repo.dest);
        break;
      }
      case 'git': {
        const mirror = await gitMirror(repo, opts);
        const ref = repo.ref || 'master';
        const fresh = !(await fs.pathExists(path.join(dest, '.git')));
        if (!fresh) {
          await git(['-C', dest, 'fetch', mirror, '+refs/heads/*:refs/remotes/origin/*', '--tags'], opts);
        } else {
          await fs.ensureDir(path.dirname(dest));
          await git(['clone', '--no-checkout', mirror, dest], opts);
        }
        if (ref !== '*') {
          const sha = (await git(['-C', dest, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], opts).catch(() => '')).trim() ||
            (await git(['-C', dest, 'rev-parse', '--verify', `origin/${ref}^{commit}`], opts)).trim();
          await git(['-C', dest, 'checkout', '-q', '-f', sha], opts);
        } else {
          await git(['-C', dest, 'checkout', '-q', '-f'], opts);
        }
        await git(['-C', dest, 'remote', 'set-url', 'origin', repo.location], opts).catch(() => undefined);
        const head = (await git(['-C', dest, 'rev-parse', 'HEAD'], opts)).trim();
        opts.log.info(`source repository ${repo.name}: ${repo.dest} at ${ref} (${head.slice(0, 12)})`);
        done.paths.push(repo.dest);
        // DIB records a checkout in the git manifest when it clones it, not when it reuses one
        if (fresh) done.git.push({ name: repo.name, dest: repo.dest, location: repo.location, sha: head });
        break;
      }
    }
  }
  return done;
}
