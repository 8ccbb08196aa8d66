/**
 * The image tree of a build that uses phase checkpoints: an overlayfs mount at TARGET_ROOT
 * whose lower layers are the checkpoints it stands on (read-only, shared with other builds)
 * and whose upper layer, in the work dir, takes what the phases write. Storing a checkpoint
 * is then a rename: unmount, move the upper layer into the cache, mount again with it as the
 * top lower layer and a fresh upper. Restoring one is a mount. Nothing is copied.
 *
 * The mount options make the tree behave like a plain directory:
 * - `redirect_dir=on`: a directory of a lower layer can be renamed (else rename(2) fails with
 *   EXDEV, which mv(1) hides and a program need not);
 * - `index=off`: its hard-link index lives in the work dir and would be lost when an upper
 *   layer becomes a lower one. Without it, writing to one name of a file that has several in a
 *   lower layer would copy that name up alone; so after every mount each such group is
 *   copied up and linked again in the upper layer (`relink`) before any tap runs;
 * - `volatile`: the upper layer is not synced on unmount — it is kept only as a cache entry,
 *   whose stat index catches a tree cut short by a crash — so an unmount does not wait for
 *   every dirty page of the host's filesystem.
 */
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DibError, isDibError } from '../errors.js';
import { mount, mountsBelow, unmount } from '../chroot/mounts.js';
import type { Logger } from '../vocabulary.js';

export const OVERLAY_OPTIONS = ['redirect_dir=on', 'index=off', 'metacopy=off', 'volatile'];

/** lowerdir= escaping: `\`, `:` and `,` are special. */
function escapeLower(p: string): string {
  return p.replace(/([\\:,])/g, '\\$1');
}

/** The reason a mount through the seam failed (E_MOUNT); any other error goes on up. */
function mountFailure(e: unknown): string {
  if (isDibError(e) && e.code === 'E_MOUNT') return e.message.replace(/^mount .*? failed: /, '');
  throw e;
}

export class LayeredTree {
  /** lower layers, top first */
  private lowers: string[] = [];
  private upperDir = '';
  private n = 0;
  private mountedNow = false;
  private options = [...OVERLAY_OPTIONS];

  constructor(
    /** the mount point (TARGET_ROOT) */
    readonly root: string,
    /** a directory of the work dir for upper and work directories */
    readonly scratch: string,
    private readonly log: Logger,
    /** the build's abort signal: no new mount once it fired */
    private readonly signal?: AbortSignal,
  ) {}

  get mounted(): boolean {
    return this.mountedNow;
  }

  /** The current upper layer (what the phases since the last mount wrote). */
  get upper(): string {
    return this.upperDir;
  }

  get layers(): readonly string[] {
    return this.lowers;
  }

  /** Put `dir` on top of the lower layers (the next mount sees it). */
  pushLower(dir: string): void {
    this.lowers.unshift(dir);
  }

  /** Mount the tree: the lower layers (an empty one when there are none) and a fresh upper. */
  async mount(): Promise<void> {
    if (this.mountedNow) return;
    await fs.mkdir(this.scratch, { recursive: true });
    const k = this.n++;
    this.upperDir = path.join(this.scratch, `upper-${k}`);
    const work = path.join(this.scratch, `work-${k}`);
    await fs.mkdir(this.upperDir, { mode: 0o755 });
    await fs.mkdir(work);
    let lowers = this.lowers;
    if (!lowers.length) {
      const empty = path.join(this.scratch, 'empty');
      await fs.mkdir(empty, { recursive: true, mode: 0o755 });
      lowers = [empty];
    }
    // the tree's root directory keeps the mode of TARGET_ROOT (0755), as a plain dir would
    if (!this.lowers.length) await fs.chmod(lowers[0]!, 0o755);
    const dirs = [`lowerdir=${lowers.map(escapeLower).join(':')}`, `upperdir=${escapeLower(this.upperDir)}`, `workdir=${escapeLower(work)}`];
    const attempt = () => mount(['-t', 'overlay', 'overlay', '-o', [...dirs, ...this.options].join(','), this.root], { log: this.log, signal: this.signal });
    let failed = await attempt().then(() => undefined, mountFailure);
    if (failed && this.options.includes('volatile')) {
      // a kernel before 5.10 has no `volatile`: the same tree, synced on unmount
      this.options = this.options.filter((o) => o !== 'volatile');
      failed = await attempt().then(() => undefined, mountFailure);
    }
    if (failed) {
      throw new DibError('E_CHECKPOINT', `could not mount the layered image tree at ${this.root}: ${failed}`, {
        hint: 'phase checkpoints need overlayfs (kernel 5.10 or later, as root); build with --no-cache to do without them',
      });
    }
    this.mountedNow = true;
  }

  /** Unmount the tree (nothing else may be mounted below it). */
  async unmount(): Promise<void> {
    if (!this.mountedNow) return;
    const below = (await mountsBelow(this.root)).filter((p) => p !== path.resolve(this.root));
    if (below.length) throw new DibError('E_CHECKPOINT', `cannot unmount the image tree: ${below[0]} is still mounted below it`, { hint: 'an element left a mount in the tree; release it in a checkpoint suspend tap' });
    await unmount(this.root, this.log);
    this.mountedNow = false;
    await fs.rm(path.join(this.scratch, `work-${this.n - 1}`), { recursive: true, force: true });
  }

  /**
   * Give each group of names of one file (paths relative to the tree) one inode in the upper
   * layer again: copy the first name up (opening it for writing does, without changing it),
   * link the others to it. The directories' times are put back.
   */
  async relink(groups: readonly (readonly string[])[]): Promise<void> {
    for (const g of groups) {
      const [first, ...rest] = g.map((p) => path.join(this.root, p));
      const fh = await fs.open(first!, 'r+').catch(() => undefined);
      if (!fh) continue; // gone since (a later layer removed it)
      await fh.close();
      const st = await fs.stat(first!, { bigint: true });
      for (const other of rest) {
        const o = await fs.lstat(other, { bigint: true }).catch(() => undefined);
        if (!o || !o.isFile() || o.ino === st.ino) continue;
        const dir = path.dirname(other);
        const d = await fs.stat(dir, { bigint: true });
        const tmp = path.join(dir, `.dib-relink-${process.pid}-${this.n}`);
        await fs.link(first!, tmp);
        await fs.rename(tmp, other);
        await setTimes(dir, d.atimeNs, d.mtimeNs);
      }
    }
    if (groups.length) this.log.debug(`layered tree: ${groups.length} hard-linked file(s) linked again in the upper layer`);
  }
}

/** Set a directory's atime and mtime to the nanosecond (Node's utimes rounds to microseconds). */
async function setTimes(p: string, atimeNs: bigint, mtimeNs: bigint): Promise<void> {
  const stamp = (ns: bigint) => `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
  await execa('touch', ['-h', '-a', '-d', stamp(atimeNs), p]);
  await execa('touch', ['-h', '-m', '-d', stamp(mtimeNs), p]);
}
