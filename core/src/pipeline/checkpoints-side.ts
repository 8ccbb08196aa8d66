/**
 * What a phase checkpoint keeps besides the image tree: what the phases left in the build's
 * work dir for later phases. DIB scripts write into the hooks directory (TMP_HOOKS_PATH, seen
 * in the chroot as /tmp/in_target.d) — source-repositories' lists, package-installs' squashed
 * list — and elements keep files in their work dirs (`build.workDirFor`). A checkpoint stores
 * what changed in the hooks directory since dib generated it (new and changed files, and the
 * ones removed), and the elements' work dirs; a build that restores the checkpoint generates its
 * own hooks directory from its elements, as always, then applies those changes.
 *
 * `dib_environment` and `dib_arguments` describe the build that wrote them (its variables and
 * command line), not the tree: they are never taken from a checkpoint, and the manifests
 * element writes this build's at cleanup.
 */
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { indexDir } from '../cache/dir-index.js';
import { TREE_TAR_FLAGS } from '../cache/tree.js';

const PER_BUILD_FILES = new Set(['dib_environment', 'dib_arguments']);

function recordPath(rec: string): string {
  let at = 0;
  for (let i = 0; i < 8; i++) at = rec.indexOf('\t', at) + 1;
  return rec.slice(at);
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

export class SideState {
  private baseline = new Map<string, string>();

  constructor(
    private readonly buildDir: string,
    private readonly hooksDir: string,
  ) {}

  /** Remember the hooks directory as dib generated it (before any tap runs). */
  async recordBaseline(): Promise<void> {
    this.baseline = new Map((await indexDir(this.hooksDir)).lines.map((r) => [recordPath(r), r]));
  }

  /** Write what the phases changed into `dir` (hooks.tar, hooks-removed.json, elements.tar). */
  async snapshot(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    const now = (await indexDir(this.hooksDir)).lines;
    const present = new Set<string>();
    const changed: string[] = [];
    for (const rec of now) {
      const p = recordPath(rec);
      present.add(p);
      if (PER_BUILD_FILES.has(p)) continue;
      if (this.baseline.get(p) !== rec) changed.push(p);
    }
    const removed = [...this.baseline.keys()].filter((p) => !present.has(p) && !PER_BUILD_FILES.has(p));
    await fs.writeFile(path.join(dir, 'hooks-removed.json'), JSON.stringify(removed) + '\n');
    if (changed.length) {
      const list = path.join(dir, '.hooks-list');
      await fs.writeFile(list, changed.map((p) => `${p}\0`).join(''));
      await execa('tar', ['--create', `--file=${path.join(dir, 'hooks.tar')}`, `--directory=${this.hooksDir}`, ...TREE_TAR_FLAGS, '--no-recursion', '--null', `--files-from=${list}`]);
      await fs.rm(list);
    }
    if (await exists(path.join(this.buildDir, 'elements'))) {
      await execa('tar', ['--create', `--file=${path.join(dir, 'elements.tar')}`, `--directory=${this.buildDir}`, ...TREE_TAR_FLAGS, 'elements']);
    }
  }

  /** Apply a checkpoint's snapshot to this build's work dir. */
  async apply(dir: string): Promise<void> {
    const extract = ['--extract', ...TREE_TAR_FLAGS, '--preserve-permissions', '--same-owner'];
    if (await exists(path.join(dir, 'hooks.tar'))) await execa('tar', [...extract, `--file=${path.join(dir, 'hooks.tar')}`, `--directory=${this.hooksDir}`]);
    const removed = JSON.parse(await fs.readFile(path.join(dir, 'hooks-removed.json'), 'utf8').catch(() => '[]')) as string[];
    for (const p of removed) await fs.rm(path.join(this.hooksDir, p), { recursive: true, force: true });
    if (await exists(path.join(dir, 'elements.tar'))) await execa('tar', [...extract, `--file=${path.join(dir, 'elements.tar')}`, `--directory=${this.buildDir}`]);
  }
}
