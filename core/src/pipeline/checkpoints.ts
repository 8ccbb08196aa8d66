/**
 * Phase checkpoints (mkosi's reuse_cache / save_cache keyed by its cache manifest, taken
 * further): after the root, post-install and post-root phases the image tree is stored in the
 * cache under a key that hashes everything those phases could see (checkpoints-inputs.ts); a
 * build restores the longest prefix whose keys match and runs only the phases after it. When
 * every checkpoint and the image's own inputs match, the outputs a build made from them are
 * reused whole: no phase runs.
 *
 * The tree is layered (checkpoints-tree.ts): checkpoints are overlayfs layers used where they
 * lie in the cache, so restoring one is a mount and storing one a rename. A checkpoint also
 * keeps what the phases left in the work dir (checkpoints-side.ts), the hard-link groups of
 * its tree and the state of resolv.conf: while the phases run, the tree holds the host's
 * resolv.conf, which is never stored (an empty file takes its place) and is written again, the
 * current host's, when a build goes on from the checkpoint. Nothing is mounted in the tree
 * when it is stored: the chroot's mounts are taken down, elements release theirs
 * (`getCheckpointHooks(build).suspend`) and take them back afterwards (`resume`).
 *
 * Freshness follows the cached roots' policy: a checkpoint older than
 * DIB_DEBOOTSTRAP_CACHE_MAX_AGE days is made again when online; `--refresh` makes every
 * checkpoint again; `--offline` uses what there is, whatever its age; `--no-cache` neither
 * uses nor stores checkpoints. Break points turn them off (a shell may change the tree).
 */
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DirEntryStore, type DirEntryManifest, type OpenedEntry } from '../cache/dir-entries.js';
import { indexDir, linkGroups, parseIndexText } from '../cache/dir-index.js';
import { mountsBelow, unmount, type ChrootMounts } from '../chroot/mounts.js';
import { getCheckpointHooks } from '../contract/checkpoint-hooks.js';
import type { PhaseContext } from '../contract/build.js';
import type { PhaseName } from '../contract/phases.js';
import { DibError, isDibError } from '../errors.js';
import { now } from '../log/events.js';
import type { OutputSet } from '../output/set.js';
import type { DibBuild } from './build.js';
import { hostResolvConf } from './finalise-base.js';
import { CHECKPOINT_GROUPS, changesText, checkpointKey, inputChanges, type Inputs } from './checkpoints-key.js';
import { checkpointInputs, type GroupInputs } from './checkpoints-inputs.js';
import { SideState } from './checkpoints-side.js';
import { LayeredTree } from './checkpoints-tree.js';

export const CHECKPOINTS_KIND = 'checkpoints';
export const OUTPUTS_KIND = 'outputs';

export interface PhaseCacheStatus {
  cached: boolean;
  /** why not, when checkpoints could have served it */
  reason?: string;
}

/** What the build report records per checkpoint. */
export interface CheckpointRecord {
  name: string;
  key: string;
  /** restored from the cache, stored in it, kept in the work dir only, or neither */
  action: 'restored' | 'stored' | 'kept' | 'none';
  reason?: string;
}

interface Group extends GroupInputs {
  key: string;
  /** an element that cannot be keyed taps this group's phases or an earlier group's */
  blocked?: string;
  /** its entry was refused (too old, --refresh): the one this build makes replaces it */
  replace?: boolean;
  /** the cache entry the tree stands on for this group (restored or committed) */
  entry?: { key: string; instance: string; dir: string };
  action: CheckpointRecord['action'];
  reason?: string;
}

/** The outputs of an earlier build, put into this build's output set. */
export interface ReusedOutputs {
  outputs: Array<{ path: string; format: string; bytes: number; sha256: string }>;
  sbom?: string[];
}

/** A tree's meta file in a checkpoint (side/meta.json). */
interface TreeMeta {
  /** `host`: resolv.conf held the host's while the phases ran (stored empty) */
  resolvConf: 'host' | 'own';
  root: { mode: number; uid: number; gid: number; atimeNs: string; mtimeNs: string };
}

export interface CheckpointDeps {
  mounts: ChrootMounts;
  /** the context elements' checkpoint taps get (the phase the checkpoint comes after) */
  context(phase: PhaseName): PhaseContext;
  /** break points are set: no checkpoint is used or stored */
  breakpoints?: boolean;
}

function ageDays(m: DirEntryManifest): number {
  return (Date.now() - Date.parse(m.created)) / 86_400_000;
}

function secondsSince(t0: number): number {
  return (performance.now() - t0) / 1000;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

export class Checkpoints {
  private readonly groups: Group[];
  private readonly store: DirEntryStore;
  private readonly outputsStore: DirEntryStore;
  private readonly side: SideState;
  private tree: LayeredTree | undefined;
  /** false once nothing more is to be stored (off, opted out, a layer kept locally) */
  private storing: boolean;
  private readonly releases: Array<() => Promise<void>> = [];
  private swapped: string | undefined;
  private restoredUpTo = -1;
  /** seconds spent restoring and storing */
  seconds = 0;

  private constructor(
    private readonly build: DibBuild,
    private readonly deps: CheckpointDeps,
    groups: Group[],
    /** why checkpoints are not used at all (undefined: they are) */
    private readonly off: string | undefined,
  ) {
    this.groups = groups;
    this.store = new DirEntryStore(build.cache, CHECKPOINTS_KIND);
    this.outputsStore = new DirEntryStore(build.cache, OUTPUTS_KIND);
    this.side = new SideState(build.paths.buildDir, build.paths.hooksDir);
    this.storing = off === undefined;
  }

  /** Key every checkpoint (after the work dir exists and the environment is sealed). */
  static async open(build: DibBuild, deps: CheckpointDeps): Promise<Checkpoints> {
    const c = build.config;
    const off = c.noCache ? 'checkpoints are off (--no-cache)' : deps.breakpoints ? 'checkpoints are off while break points are set' : undefined;
    const inputs = off ? [] : await checkpointInputs(build);
    let parent: string | undefined;
    let optedOut: string | undefined;
    const groups: Group[] = inputs.map((g) => {
      const key = checkpointKey(g.name, parent, g.inputs);
      parent = key;
      optedOut ??= g.optOut;
      const blocked = optedOut ? `element ${optedOut} cannot be cached (its cacheInputs are false)` : undefined;
      return { ...g, key, action: 'none', ...(blocked ? { blocked, reason: blocked } : {}) };
    });
    return new Checkpoints(build, deps, groups, off);
  }

  /** Whether checkpoints are in use for this build. */
  get enabled(): boolean {
    return this.off === undefined;
  }

  private get checkpointGroups(): Group[] {
    return this.groups.slice(0, CHECKPOINT_GROUPS.length);
  }

  private get imageGroup(): Group | undefined {
    return this.groups[CHECKPOINT_GROUPS.length];
  }

  private get maxAgeDays(): number | undefined {
    const raw = this.build.env.DIB_DEBOOTSTRAP_CACHE_MAX_AGE;
    const n = raw ? Number(raw) : NaN;
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }

  private get offline(): boolean {
    return this.build.config.offline || !!this.build.env.DIB_OFFLINE;
  }

  /** Why an intact entry is not to be used (too old, --refresh), or undefined. */
  private refuse(m: DirEntryManifest): string | undefined {
    if (this.build.config.refresh && !this.offline) return 'made again (--refresh)';
    const max = this.maxAgeDays;
    if (max !== undefined && !this.offline && ageDays(m) > max) return `it is ${ageDays(m).toFixed(1)} days old (DIB_DEBOOTSTRAP_CACHE_MAX_AGE=${max})`;
    return undefined;
  }

  /**
   * Why the entry of `g` is missing: what changed since the closest entry of the same
   * checkpoint (this image's first, the most recently used first). `after`: the checkpoint
   * before it was not cached either.
   */
  private async explainMissing(g: Group, after: Group | undefined): Promise<string> {
    const store = g === this.imageGroup ? this.outputsStore : this.store;
    const image = this.build.config.name;
    const all = (await store.list()).filter((e) => e.manifest.meta?.group === g.name);
    const closest = all.sort((a, b) => Number(b.manifest.meta?.image === image) - Number(a.manifest.meta?.image === image) || b.lastUsed.getTime() - a.lastUsed.getTime())[0];
    if (!closest) return 'not cached yet';
    const changes = inputChanges(closest.manifest.inputs as Inputs, g.inputs);
    if (changes.length) return changesText(changes);
    return after ? `it comes after the ${after.name} checkpoint, which was not cached` : 'the checkpoint before it was made again';
  }

  /**
   * The outputs of an earlier build with the same inputs, staged into `set`, when every
   * checkpoint and the image's inputs match (undefined otherwise). Called before any work.
   */
  async reuseOutputs(set: OutputSet): Promise<ReusedOutputs | undefined> {
    const g = this.imageGroup;
    if (!this.enabled || !g || g.blocked) return undefined;
    const t0 = performance.now();
    const opened = await this.outputsStore.open(g.key, (m) => this.refuse(m));
    if (!opened.ok) {
      if (!opened.missing) {
        g.reason = opened.reason;
        g.replace = true;
      }
      return undefined;
    }
    const { entry } = opened;
    try {
      const meta = entry.manifest.meta;
      if (!isOutputsMeta(meta)) {
        // verified files but a description another dib version wrote: made again, replaced
        g.reason = 'its cached outputs were stored by another version of dib';
        g.replace = true;
        return undefined;
      }
      const home = path.dirname(this.build.config.name);
      for (const d of meta.dirs) set.ensureDirOnCommit(path.join(home, d.path), d.mode, d.uid !== undefined && d.gid !== undefined ? { uid: d.uid, gid: d.gid } : undefined);
      for (const item of meta.items) {
        const staged = await set.stage(path.join(home, item.dest));
        await execa('cp', ['-a', '--reflink=auto', '--no-target-directory', path.join(entry.dir, 'files', item.file), staged]);
      }
      for (const r of meta.remove) set.removeOnCommit(path.join(home, r));
      this.seconds += secondsSince(t0);
      g.action = 'restored';
      for (const x of this.groups) x.action = x === g ? 'restored' : 'none';
      this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'restored', key: g.key, seconds: secondsSince(t0), bytes: entry.manifest.bytes });
      return {
        outputs: meta.outputs.map((o) => ({ ...o, path: path.join(home, o.path) })),
        ...(meta.sbom ? { sbom: meta.sbom.map((s) => path.join(home, s)) } : {}),
      };
    } finally {
      await entry.release();
    }
  }

  /** Whether the outputs were reused (every phase cached). */
  get outputsReused(): boolean {
    return this.imageGroup?.action === 'restored';
  }

  /**
   * Mount the tree: the longest prefix of matching checkpoints as its lower layers. Returns
   * the name of the last checkpoint restored (undefined: every phase runs). Without
   * checkpoints (off, or overlayfs missing) the tree stays a plain directory.
   */
  async start(): Promise<PhaseName | undefined> {
    if (!this.enabled) return undefined;
    await this.side.recordBaseline();
    const t0 = performance.now();
    const restored: Array<{ group: Group; entry: OpenedEntry }> = [];
    for (const g of this.checkpointGroups) {
      if (g.blocked) break;
      const opened = await this.store.open(g.key, (m) => {
        const parent = restored.at(-1)?.entry.manifest;
        if (parent && (m.parent?.key !== parent.key || m.parent.instance !== parent.instance)) return 'the checkpoint before it was made again since';
        return this.refuse(m);
      });
      if (!opened.ok) {
        if (!opened.missing) {
          g.reason ??= opened.reason;
          g.replace = true;
        }
        break;
      }
      restored.push({ group: g, entry: opened.entry });
      this.releases.push(() => opened.entry.release());
    }
    // the checkpoints after the first miss are made by this build: say why
    let missed: Group | undefined;
    for (const g of this.groups) {
      if (restored.some((r) => r.group === g)) continue;
      g.reason ??= await this.explainMissing(g, missed);
      missed ??= g;
    }
    if (!restored.length && !this.build.cache.writable) {
      this.storing = false;
      return undefined; // nothing to restore, nothing to store: a plain directory
    }
    const tree = new LayeredTree(this.build.paths.targetRoot, path.join(this.build.paths.buildDir, 'layers'), this.build.log, this.build.signal);
    for (const r of restored) tree.pushLower(path.join(r.entry.dir, 'tree'));
    try {
      await tree.mount();
    } catch (e) {
      if (!isDibError(e) || e.code !== 'E_CHECKPOINT') throw e;
      this.build.log.warn(`${e.message}: building without phase checkpoints (${e.hint ?? ''})`);
      this.storing = false;
      for (const g of this.groups) g.reason ??= 'overlayfs is not available';
      for (const r of restored) {
        r.group.reason = 'overlayfs is not available';
        await r.entry.release();
      }
      return undefined;
    }
    this.tree = tree;
    this.build.cleanup.push('unmount the layered image tree', async () => {
      await this.deps.mounts.unmount();
      // the seam retries a busy tree and detaches it lazily at last
      await tree.unmount().catch(async () => unmount(tree.root, this.build.log));
      for (const r of this.releases.splice(0)) await r();
    });
    const top = restored.at(-1);
    if (!top) return undefined;
    this.restoredUpTo = this.groups.indexOf(top.group);
    for (const r of restored) {
      r.group.action = 'restored';
      r.group.entry = { key: r.entry.key, instance: r.entry.manifest.instance, dir: r.entry.dir };
    }
    await this.side.apply(path.join(top.entry.dir, 'side'));
    await this.afterMount(path.join(top.entry.dir, 'side'), linkGroups(parseIndexText(await fs.readFile(path.join(top.entry.dir, 'index'), 'utf8')), 'tree'));
    const seconds = secondsSince(t0);
    this.seconds += seconds;
    for (const r of restored) {
      this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: r.group.name, action: 'restored', key: r.group.key, seconds: r === top ? seconds : 0, bytes: r.entry.manifest.bytes });
    }
    const after = top.group.phases.at(-1)!;
    await getCheckpointHooks(this.build).resume.promise(this.deps.context(after), { after, restored: true });
    return top.group.name as PhaseName;
  }

  /** After a remount: the hard-link groups, the tree root's attributes, resolv.conf. */
  private async afterMount(sideDir: string, groups: readonly (readonly string[])[]): Promise<void> {
    const tree = this.tree!;
    await tree.relink(groups);
    const meta = JSON.parse(await fs.readFile(path.join(sideDir, 'meta.json'), 'utf8')) as TreeMeta;
    const root = tree.root;
    await fs.chmod(root, meta.root.mode);
    await fs.chown(root, meta.root.uid, meta.root.gid);
    await execa('touch', ['-h', '-m', '-d', `@${BigInt(meta.root.mtimeNs) / 1_000_000_000n}.${String(BigInt(meta.root.mtimeNs) % 1_000_000_000n).padStart(9, '0')}`, root]);
    if (meta.resolvConf === 'host') {
      this.swapped = await hostResolvConf();
      await fs.writeFile(path.join(root, 'etc', 'resolv.conf'), this.swapped);
    }
  }

  /** The driver put the host's resolv.conf in the tree (after the root phase). */
  async noteResolvConf(): Promise<void> {
    if (this.tree) this.swapped = await fs.readFile(path.join(this.build.paths.targetRoot, 'etc', 'resolv.conf'), 'utf8').catch(() => undefined);
  }

  /** Whether the phases of checkpoint `name` come from the cache. */
  restored(name: string): boolean {
    const i = this.groups.findIndex((g) => g.name === name);
    return this.outputsReused || (i >= 0 && i <= this.restoredUpTo);
  }

  /** cached or not, and why, for a phase (or `images`, the outputs). */
  status(phase: string): PhaseCacheStatus {
    const g = phase === 'images' ? this.imageGroup : this.groups.find((x) => x.phases.includes(phase as PhaseName));
    if (this.outputsReused) return { cached: true };
    if (!g) return this.off ? { cached: false, reason: this.off } : { cached: false };
    if (g.action === 'restored') return { cached: true };
    const reason = this.off ?? g.reason;
    return reason ? { cached: false, reason } : { cached: false };
  }

  /** What the report says of each checkpoint. */
  records(): CheckpointRecord[] {
    return this.groups.map((g) => ({ name: g.name, key: g.key, action: g.action, ...(g.action !== 'restored' && (this.off ?? g.reason) ? { reason: this.off ?? g.reason } : {}) }));
  }

  /**
   * After the phases of checkpoint `name` ran: store the tree (and what the phases left in the
   * work dir) under its key, then go on building on top of it.
   */
  async save(name: string): Promise<void> {
    const g = this.groups.find((x) => x.name === name);
    const tree = this.tree;
    if (!g || !tree || !this.storing) return;
    if (g.blocked) {
      this.storing = false;
      return;
    }
    const t0 = performance.now();
    const after = g.phases.at(-1)!;
    const ctx = this.deps.context(after);
    const hooks = getCheckpointHooks(this.build);
    await hooks.suspend.promise(ctx, { after, restored: false });
    const wasMounted = this.deps.mounts.active;
    await this.deps.mounts.unmount();
    try {
      await this.saveTree(g, tree, t0);
    } catch (e) {
      if (!isDibError(e) || e.code !== 'E_CHECKPOINT') throw e;
      this.storing = false;
      g.reason = e.message;
      this.build.log.warn(`checkpoint ${g.name} not stored: ${e.message} (${e.hint ?? ''}); the build goes on without storing more`);
      this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'kept', key: g.key, seconds: secondsSince(t0), reason: e.message });
      if (!tree.mounted) await tree.mount();
    } finally {
      this.seconds += secondsSince(t0);
      if (wasMounted) await this.deps.mounts.mount();
      await hooks.resume.promise(ctx, { after, restored: false });
    }
  }

  private async saveTree(g: Group, tree: LayeredTree, t0: number): Promise<void> {
    const root = tree.root;
    const left = (await mountsBelow(root)).filter((p) => p !== path.resolve(root));
    if (left.length) throw new DibError('E_CHECKPOINT', `${left[0]} is still mounted in the image tree`, { hint: 'the element that mounted it must release it in a checkpoint suspend tap of getCheckpointHooks(build)' });
    const scratch = path.join(this.build.paths.buildDir, 'layers');
    const sideDir = path.join(scratch, `side-${g.name}`);
    await this.side.snapshot(sideDir);
    // the tree's own state that a layer does not carry: its root directory, resolv.conf
    const st = await fs.stat(root, { bigint: true });
    const conf = path.join(root, 'etc', 'resolv.conf');
    const cst = await fs.lstat(conf).catch(() => undefined);
    const hostConf = this.swapped !== undefined && cst?.isFile() && (await fs.readFile(conf, 'utf8').catch(() => undefined)) === this.swapped;
    const meta: TreeMeta = {
      resolvConf: hostConf ? 'host' : 'own',
      root: { mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), atimeNs: String(st.atimeNs), mtimeNs: String(st.mtimeNs) },
    };
    await fs.writeFile(path.join(sideDir, 'meta.json'), JSON.stringify(meta) + '\n');
    if (hostConf) await fs.writeFile(conf, '');
    await tree.unmount();
    const upper = tree.upper;
    const prev = this.groups[this.groups.indexOf(g) - 1];
    const parent = prev?.entry ? { key: prev.entry.key, instance: prev.entry.instance } : undefined;
    const canStore = this.groups.indexOf(g) === 0 || parent !== undefined;
    const result = canStore
      ? await this.store.commit(
          g.key,
          {
            fill: async (dir) => {
              await fs.rename(upper, path.join(dir, 'tree')).catch(async (e: NodeJS.ErrnoException) => {
                if (e.code !== 'EXDEV') throw e;
                // the work dir is on another filesystem than the cache: copied once
                await execa('cp', ['-a', '--reflink=auto', '--no-target-directory', upper, path.join(dir, 'tree')]);
                await execa('rm', ['-rf', '--one-file-system', upper]);
              });
              await fs.rename(sideDir, path.join(dir, 'side')).catch(async () => execa('cp', ['-a', '--no-target-directory', sideDir, path.join(dir, 'side')]));
            },
            unfill: async (dir) => {
              if (await exists(path.join(dir, 'tree'))) await fs.rename(path.join(dir, 'tree'), upper);
            },
          },
          { inputs: g.inputs, parent, meta: { group: g.name, image: this.build.config.name, phases: g.phases, seconds: Number(secondsSince(t0).toFixed(3)) }, keepShared: true, replace: g.replace === true || this.build.config.refresh },
        )
      : ({ committed: false, reason: 'the checkpoint before it is not in the cache' } as const);
    let groups: string[][];
    let sideAt: string;
    if (result.committed) {
      if (result.release) this.releases.push(result.release);
      g.entry = { key: g.key, instance: result.manifest.instance, dir: result.dir };
      g.action = 'stored';
      tree.pushLower(path.join(result.dir, 'tree'));
      groups = linkGroups(parseIndexText(await fs.readFile(path.join(result.dir, 'index'), 'utf8')), 'tree');
      sideAt = path.join(result.dir, 'side');
    } else {
      // kept in the work dir: the build goes on from it, later checkpoints are not stored
      this.storing = false;
      g.action = 'kept';
      g.reason = result.reason;
      const layer = path.join(scratch, `layer-${g.name}`);
      if (await exists(upper)) await fs.rename(upper, layer);
      tree.pushLower(layer);
      groups = linkGroups((await indexDir(layer)).lines);
      sideAt = sideDir;
    }
    await tree.mount();
    await this.afterMount(sideAt, groups);
    const seconds = secondsSince(t0);
    if (result.committed) this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'stored', key: g.key, seconds, bytes: result.manifest.bytes });
    else this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'kept', key: g.key, seconds, reason: result.reason });
  }

  /**
   * After a successful build whose every checkpoint is in the cache, before its report is
   * written: keep its outputs (what the output set will put in place) under the image's key.
   */
  async saveOutputs(set: OutputSet, result: ReusedOutputs): Promise<void> {
    const g = this.imageGroup;
    if (!this.enabled || !g || this.outputsReused) return;
    const last = this.checkpointGroups.at(-1);
    if (!last?.entry || g.blocked || !this.build.cache.writable) return;
    const t0 = performance.now();
    const home = path.dirname(this.build.config.name);
    const plan = set.plan();
    const rel = (p: string) => path.relative(home, p);
    // before the build report is written: it is made again by every build
    const items = plan.items;
    // outputs outside the image's directory cannot be put back by name: not cached
    if (items.some((i) => rel(i.to).startsWith('..')) || plan.dirs.some((d) => rel(d.path).startsWith('..'))) return;
    const meta: OutputsMeta = {
      group: g.name,
      image: this.build.config.name,
      items: items.map((i, n) => ({ file: String(n), dest: rel(i.to) })),
      remove: plan.remove.map(rel).filter((r) => !r.startsWith('..')),
      dirs: plan.dirs.map((d) => ({ ...d, path: rel(d.path) })),
      outputs: result.outputs.map((o) => ({ ...o, path: rel(o.path) })),
      ...(result.sbom ? { sbom: result.sbom.map(rel) } : {}),
    };
    const r = await this.outputsStore.commit(
      g.key,
      {
        fill: async (dir) => {
          await fs.mkdir(path.join(dir, 'files'));
          for (const [n, i] of items.entries()) if (await exists(i.from)) await execa('cp', ['-a', '--reflink=auto', '--no-target-directory', i.from, path.join(dir, 'files', String(n))]);
        },
      },
      { inputs: g.inputs, parent: { key: last.entry.key, instance: last.entry.instance }, meta, replace: g.replace === true || this.build.config.refresh },
    );
    const seconds = secondsSince(t0);
    this.seconds += seconds;
    if (r.committed) {
      g.action = 'stored';
      this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'stored', key: g.key, seconds, bytes: r.manifest.bytes });
    } else {
      this.build.bus.emit({ type: 'checkpoint', time: now(), checkpoint: g.name, action: 'kept', key: g.key, seconds, reason: r.reason });
    }
  }
}

/** What an outputs entry's manifest says of the outputs it holds (a type: it is a manifest's meta record). */
type OutputsMeta = {
  group: string;
  image: string;
  /** staged outputs: `files/<file>` in the entry → `dest`, relative to the image's directory */
  items: Array<{ file: string; dest: string }>;
  remove: string[];
  dirs: Array<{ path: string; mode: number; uid?: number; gid?: number }>;
  outputs: Array<{ path: string; format: string; bytes: number; sha256: string }>;
  sbom?: string[];
};

function isOutputsMeta(meta: Record<string, unknown> | undefined): meta is OutputsMeta {
  return (
    meta !== undefined &&
    typeof meta.group === 'string' &&
    typeof meta.image === 'string' &&
    ['items', 'remove', 'dirs', 'outputs'].every((k) => Array.isArray(meta[k])) &&
    (meta.sbom === undefined || Array.isArray(meta.sbom))
  );
}
