/**
 * dib's cache directory: downloads, bootstrapped roots and the apt archive, shared between
 * builds. Locks are lock directories holding the owner's pid in a file the owner keeps
 * flock-ed; a lock whose file nobody holds is taken over, so a killed build never wedges the
 * cache, and builds in different PID namespaces (dib's sandboxes) exclude each other.
 */
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { DibError } from '../errors.js';
import type { Cache, Logger } from '../vocabulary.js';
import { tryLockFile, type FileLock } from '../util/flock.js';

export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'dib');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  /** give up after this many milliseconds (default 20 minutes, as DIB's flock -w 1200) */
  timeoutMs?: number;
  log?: Logger;
  /** stop waiting (E_INTERRUPTED) when this fires: a build being stopped never waits on a lock */
  signal?: AbortSignal;
}

/** Wait `ms`, or less when `signal` fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Hold an exclusive lock on `lockDir` while `fn` runs. */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60 * 1000);
  await fs.ensureDir(path.dirname(lockDir));
  let waitedLogged = false;
  let held: FileLock | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw new DibError('E_INTERRUPTED', `interrupted while waiting for cache lock ${path.basename(lockDir)}`);
    try {
      await fs.mkdir(lockDir);
      // the pid file is flock-ed by its holder before it appears (written, locked, renamed):
      // a pid file nobody holds belongs to a dead holder, whatever PID namespace it was in
      const fresh = path.join(lockDir, '.pid.new');
      await fs.writeFile(fresh, `${process.pid} flock\n`);
      held = tryLockFile(fresh);
      await fs.rename(fresh, path.join(lockDir, 'pid'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pidFile = path.join(lockDir, 'pid');
      const text = await fs.readFile(pidFile, 'utf8').catch(() => '');
      const owner = Number.parseInt(text, 10) || 0;
      // `<pid> flock`: the lock file decides; a bare pid (an older dib) is judged by its pid
      const probe = text.includes('flock') ? tryLockFile(pidFile) : undefined;
      if (probe || (owner && !text.includes('flock') && !alive(owner))) {
        probe?.release();
        opts.log?.warn(`taking over stale lock ${lockDir} (its holder, pid ${owner}, is gone)`);
        await fs.remove(lockDir);
        continue;
      }
      if (!owner) {
        // being created right now, or a crash between mkdir and writeFile: give it a moment
        const st = await fs.stat(lockDir).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 10_000) {
          await fs.remove(lockDir);
          continue;
        }
      }
      if (Date.now() > deadline) {
        throw new DibError('E_LOCK', `timed out waiting for cache lock ${lockDir} held by pid ${owner}`, {
          hint: 'another dib build is using the cache; wait for it or remove the lock directory if that process is gone',
        });
      }
      if (!waitedLogged) {
        opts.log?.info(`waiting for cache lock ${path.basename(lockDir)} (held by pid ${owner})`);
        waitedLogged = true;
      }
      await sleep(250, opts.signal);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.remove(lockDir);
    held?.release();
  }
}

export class DirCache implements Cache {
  constructor(
    readonly dir: string,
    readonly offline: boolean,
    private readonly log?: Logger,
    /** the build's abort signal: lock waits end when it fires */
    private readonly signal?: AbortSignal,
  ) {}

  path(...parts: string[]): string {
    const p = path.join(this.dir, ...parts);
    if (p !== this.dir && !p.startsWith(this.dir + path.sep)) {
      throw new DibError('E_INTERNAL', `cache path ${parts.join('/')} escapes the cache dir`);
    }
    return p;
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    return withDirLock(this.path('locks', `${safe}.lock`), fn, { log: this.log, signal: this.signal });
  }
}
