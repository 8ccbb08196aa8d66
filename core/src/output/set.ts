/**
 * A build's outputs as one set: every image file, checksum file, `<name>.d/dib-manifests` and
 * `<name>.d/build-report.json` is written into a hidden staging directory beside its
 * destination (`.<name>.dib-staging-<random>`, same filesystem) and nothing is renamed into
 * place until the build has succeeded, cleanup included. Then the set is committed in one go:
 * a journal of the renames is written first, so a commit cut short (SIGKILL, power loss) is
 * finished by the next run instead of leaving a new qcow2 next to an old raw. A failed or
 * interrupted build discards its staging directories; the previous set stays as it was.
 *
 * A live build holds a flock(2) on each of its staging directories, so a sweep (the next run's,
 * or a concurrent build's) removes only those of builds that are gone, whatever their PID
 * namespace. `isDibTempOutput` is the marker every sweep agrees on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireLock, isLocked, type HeldLock } from '../cache/lock.js';
import { DibError } from '../errors.js';
import type { Logger, StateKey, StateStore } from '../vocabulary.js';
import { TEMP_MARKER } from './naming.js';

/** Marker in the names of staging directories. */
export const STAGING_MARKER = '.dib-staging-';
const JOURNAL = 'commit.json';
/** A temporary output file untouched this long belongs to a writer that is gone. */
const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

/**
 * True for the hidden temporary outputs dib makes next to a destination: staging directories
 * (`.<name>.dib-staging-…`) and atomic temporary files (`.<name>.dib-tmp-…`). The one test every
 * sweep of stale outputs uses.
 */
export function isDibTempOutput(name: string): boolean {
  const b = path.basename(name);
  return b.startsWith('.') && (b.includes(STAGING_MARKER) || b.includes(TEMP_MARKER));
}

interface JournalItem {
  /** staged path */
  from: string;
  /** destination */
  to: string;
}

interface Journal {
  items: JournalItem[];
  /** files to remove once the renames are done (checksum files of replaced outputs) */
  remove: string[];
  /** directories created for the set, with their mode (and owner) */
  dirs: Array<{ path: string; mode: number; uid?: number; gid?: number }>;
}

interface Staging {
  dir: string;
  lock: HeldLock;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** The nearest existing ancestor of `p` (where a staging dir for it can live). */
async function existingAncestor(p: string): Promise<string> {
  let d = path.resolve(p);
  for (;;) {
    const st = await fs.stat(d).catch(() => undefined);
    if (st?.isDirectory()) return d;
    const up = path.dirname(d);
    if (up === d) return d;
    d = up;
  }
}

/** Live staging directories of this process, removed if it exits before settling them. */
const live = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of live) {
        // a commit under way is finished by the next run's sweep, not undone half-way
        if (existsSync(path.join(d, JOURNAL))) continue;
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          /* the next run's sweep removes it */
        }
      }
    });
  }
  live.add(dir);
}

/** Do a journal's renames (idempotent: done items are skipped), then its removals. */
async function rollForward(journal: Journal): Promise<void> {
  for (const d of journal.dirs) {
    await fs.mkdir(d.path, { recursive: true, mode: d.mode });
    await fs.chmod(d.path, d.mode).catch(() => undefined);
    if (d.uid !== undefined && d.gid !== undefined) await fs.chown(d.path, d.uid, d.gid).catch(() => undefined);
  }
  let n = 0;
  for (const item of journal.items) {
    if (!(await exists(item.from))) continue;
    const st = await fs.lstat(item.to).catch(() => undefined);
    // a directory cannot be renamed over a non-empty one: the old one goes aside first
    // (into the item's own staging dir: same filesystem, removed with it)
    if (st?.isDirectory()) await fs.rename(item.to, path.join(path.dirname(item.from), `.old-${n++}-${randomBytes(2).toString('hex')}`));
    await fs.rename(item.from, item.to);
  }
  for (const r of journal.remove) await fs.rm(r, { force: true });
}

export class OutputSet {
  private readonly stagings = new Map<string, Staging>();
  private readonly items: JournalItem[] = [];
  private readonly removals = new Set<string>();
  private readonly dirs = new Map<string, { mode: number; uid?: number; gid?: number }>();
  private settled = false;

  /**
   * @param home the directory of the outputs (the image name's): every destination on its
   *   filesystem is staged there, so one directory holds the whole set
   */
  constructor(
    private readonly log?: Logger,
    private readonly home?: string,
  ) {}

  /** The staging directory for `dest` (made and locked on first use). */
  private async stagingFor(dest: string): Promise<Staging> {
    let anchor = await existingAncestor(path.dirname(dest));
    if (this.home && anchor !== this.home) {
      const [a, h] = await Promise.all([fs.stat(anchor), fs.stat(this.home).catch(() => undefined)]);
      if (h?.isDirectory() && h.dev === a.dev) anchor = this.home;
    }
    let s = this.stagings.get(anchor);
    if (s) return s;
    // stale staging dirs of builds that are gone: finish their commit or remove them
    await sweepStaleOutputs(anchor, this.log);
    const dir = path.join(anchor, `.${path.basename(dest)}${STAGING_MARKER}${randomBytes(4).toString('hex')}`);
    await fs.mkdir(dir, { mode: 0o700 });
    track(dir);
    s = { dir, lock: await acquireLock(dir) };
    this.stagings.set(anchor, s);
    return s;
  }

  /**
   * A path to write `dest` to: it appears at `dest` only when the set is committed. Asking for
   * the same destination twice gives the same path.
   */
  async stage(dest: string): Promise<string> {
    if (this.settled) throw new DibError('E_INTERNAL', `output set already settled; cannot stage ${dest}`);
    const to = path.resolve(dest);
    const known = this.items.find((i) => i.to === to);
    if (known) return known.from;
    const s = await this.stagingFor(to);
    const from = path.join(s.dir, `${this.items.length}-${path.basename(to)}`);
    this.items.push({ from, to });
    this.removals.delete(to);
    return from;
  }

  /** Remove `file` when the set is committed (a checksum file that no longer matches). */
  removeOnCommit(file: string): void {
    const p = path.resolve(file);
    if (!this.items.some((i) => i.to === p)) this.removals.add(p);
  }

  /** Make `dir` with `mode` (and owner) at commit time; an existing one gets the mode too. */
  ensureDirOnCommit(dir: string, mode: number, owner?: { uid: number; gid: number }): void {
    this.dirs.set(path.resolve(dir), { mode, ...(owner ?? {}) });
  }

  /** What the set will put in place. */
  destinations(): string[] {
    return this.items.map((i) => i.to);
  }

  /** Everything the commit will do (staged paths, removals, directories): the outputs cache keeps it. */
  plan(): { items: Array<{ from: string; to: string }>; remove: string[]; dirs: Array<{ path: string; mode: number; uid?: number; gid?: number }> } {
    return { items: this.items.map((i) => ({ ...i })), remove: [...this.removals], dirs: [...this.dirs].map(([p, d]) => ({ path: p, ...d })) };
  }

  /** Put every staged output in place, as one set; then drop the staging directories. */
  async commit(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    const staged: JournalItem[] = [];
    for (const i of this.items) if (await exists(i.from)) staged.push(i);
    const journal: Journal = { items: staged, remove: [...this.removals], dirs: [...this.dirs].map(([p, d]) => ({ path: p, ...d })) };
    const stagings = [...this.stagings.values()];
    try {
      // the journal in every staging dir: whichever a later sweep finds finishes the whole set
      for (const s of stagings) {
        const tmp = path.join(s.dir, `.${JOURNAL}.tmp`);
        const fh = await fs.open(tmp, 'wx', 0o600);
        await fh.writeFile(JSON.stringify(journal, null, 1));
        await fh.sync();
        await fh.close();
        await fs.rename(tmp, path.join(s.dir, JOURNAL));
      }
      await rollForward(journal);
    } catch (e) {
      throw new DibError('E_OUTPUT', `could not put the outputs in place: ${(e as Error).message}`, {
        cause: e,
        hint: 'the next dib run in this directory finishes or removes the half-committed set',
      });
    }
    await this.drop();
    this.log?.debug(`output set committed: ${staged.map((i) => path.basename(i.to)).join(', ')}`);
  }

  /** Throw away everything staged; destinations stay as they were. */
  async discard(): Promise<void> {
    if (this.settled && this.stagings.size === 0) return;
    this.settled = true;
    await this.drop();
  }

  private async drop(): Promise<void> {
    for (const s of this.stagings.values()) {
      await fs.rm(s.dir, { recursive: true, force: true }).catch((e) => this.log?.warn(`could not remove ${s.dir}: ${(e as Error).message}`));
      live.delete(s.dir);
      await s.lock.release();
    }
    this.stagings.clear();
  }
}

/**
 * Clean `dir` of dib's hidden temporary outputs left by builds that are gone (nobody holds
 * their lock): a staging dir with a journal is a commit cut short and is finished; without
 * one, or a temporary file, it is removed. Never follows a symlink or crosses into a mount.
 * Returns what it did, one line each.
 */
export async function sweepStaleOutputs(dir: string, log?: Logger): Promise<string[]> {
  const done: string[] = [];
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!isDibTempOutput(n)) continue;
    const p = path.join(dir, n);
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink()) continue;
    if (await isLocked(p)) continue; // a live build's
    if (st.isDirectory() && n.includes(STAGING_MARKER)) {
      const text = await fs.readFile(path.join(p, JOURNAL), 'utf8').catch(() => undefined);
      if (text) {
        try {
          await rollForward(JSON.parse(text) as Journal);
          done.push(`finished the interrupted commit of ${p}`);
        } catch (e) {
          log?.warn(`could not finish the interrupted commit of ${p}: ${(e as Error).message}`);
          continue;
        }
      } else done.push(`removed stale ${p}`);
      // a staging dir holds only what dib put there; never descend into a mount below it
      const mounted = (await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => '')).split('\n').some((l) => l.split(' ')[4]?.startsWith(p + '/'));
      if (mounted) {
        log?.warn(`${p} has a mount below it: left alone`);
        continue;
      }
      await fs.rm(p, { recursive: true, force: true });
    } else if (st.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_FILE_MS) {
      // atomic temporary files hold no lock (a writer renames over them): judged by age
      await fs.rm(p, { force: true });
      done.push(`removed stale ${p}`);
    }
  }
  for (const d of done) log?.info(d);
  return done;
}

/** The build's output set in its state store (set by the driver). */
export const OUTPUT_SET_KEY: StateKey<OutputSet> = Object.freeze({ name: 'dib:output-set' });

/**
 * Where an element writes a file or directory that belongs with the build's outputs (the
 * manifests' copy in `<name>.d/`): a staged path committed with the images when the build
 * succeeds, or `dest` itself when there is no output set (a test harness). `parentMode` is given
 * to the destination's directory (`<name>.d` is 0700), made if missing.
 */
export async function stageOutput(build: { state: StateStore }, dest: string, opts: { parentMode?: number; owner?: { uid: number; gid: number } } = {}): Promise<string> {
  const set = build.state.get(OUTPUT_SET_KEY);
  if (!set) {
    if (opts.parentMode !== undefined) {
      await fs.mkdir(path.dirname(dest), { recursive: true, mode: opts.parentMode });
      await fs.chmod(path.dirname(dest), opts.parentMode);
    } else await fs.mkdir(path.dirname(dest), { recursive: true });
    return dest;
  }
  if (opts.parentMode !== undefined) set.ensureDirOnCommit(path.dirname(dest), opts.parentMode, opts.owner);
  return set.stage(dest);
}
