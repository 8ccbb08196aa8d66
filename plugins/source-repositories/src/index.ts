/**
 * DIB's source-repositories element: extra-data 98 fetches the repositories that directory
 * elements declare in `source-repository-*` files (git, tar, file; `package` is left to the
 * install types) into the image tree, lists them in `/etc/dib-source-repositories` and records
 * the git checkouts in `dib-manifest-git-<image>` (manifests). Nothing is fetched when
 * NO_SOURCE_REPOSITORIES is set. git is installed in the image, as upstream does.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { defineElement, imagePath } from '@dib/core';
import type { PhaseContext } from '@dib/core';
import { manifestDirPath } from '@dib/element-manifests';
import { installSourceRepositories, readSourceRepositories, type InstalledRepositories } from './repos.js';

export { readSourceRepositories, installSourceRepositories, rebaseGitLocation, fetchToCache, gitMirror, REPO_TYPES } from './repos.js';
export type { SourceRepository, RepoType, FetchOptions, InstalledRepositories } from './repos.js';

/** The git manifest's file name: `dib-manifest-git-<basename of IMAGE_NAME>`. */
export function gitManifestName(imageName: string): string {
  return `dib-manifest-git-${basename(imageName)}`;
}

/** Lines of the git manifest: `<name> git <dest> <location> <sha>`. */
export function gitManifest(git: InstalledRepositories['git']): string {
  return git.map((g) => `${g.name} git ${g.dest} ${g.location} ${g.sha}\n`).join('');
}

/** extra-data 98 `source-repositories`. */
export async function sourceRepositories(ctx: PhaseContext): Promise<void> {
  // set by an element's environment.d (as DIB documents it) or by the caller, whose environment
  // DIB's scripts inherit
  if (ctx.env.NO_SOURCE_REPOSITORIES || process.env.NO_SOURCE_REPOSITORIES) {
    ctx.log.info('NO_SOURCE_REPOSITORIES is set: no source repositories fetched');
    return;
  }
  const repos = await readSourceRepositories(ctx.build.paths.hooksDir, ctx.env);
  if (repos.length === 0) return;
  const done = await installSourceRepositories(repos, ctx.targetRoot, ctx.env, {
    cache: ctx.cache,
    offline: ctx.cache.offline || !!ctx.env.DIB_OFFLINE,
    log: ctx.log,
  });
  if (done.paths.length > 0) {
    const list = await imagePath(ctx.targetRoot, 'etc/dib-source-repositories');
    await mkdir(dirname(list), { recursive: true });
    await appendFile(list, done.paths.map((p) => `${p}\n`).join(''));
  }
  if (done.git.length > 0) {
    const dir = await manifestDirPath(ctx);
    await mkdir(dir, { recursive: true });
    const file = join(dir, gitManifestName(ctx.env.IMAGE_NAME ?? 'image'));
    await writeFile(file, gitManifest(done.git));
    ctx.log.info(`git manifest: ${file.slice(ctx.targetRoot.length)}`);
  }
}

/** Fetches the source-repository-* repositories of DIB elements into the image. */
export default defineElement({
  name: 'source-repositories',
  description: 'Fetches the source-repository-* repositories of DIB elements into the image (git, tar, file), with manifests.',
  deps: ['cache-url', 'manifests', 'package-installs'],
  provides: [],
  packages: { git: null },
  pkgMap: {
    family: { gentoo: { git: 'dev-vcs/git' }, redhat: { git: 'git-core' }, suse: { git: 'git-core' } },
    default: { git: 'git' },
  },
  hostTools: [{ command: 'git', package: 'git', why: 'source-repositories clones git repositories on the host' }],
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'source-repositories', stage: 98 }, sourceRepositories);
  },
});
