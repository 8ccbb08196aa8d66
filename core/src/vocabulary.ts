/**
 * dib's vocabulary: the service interfaces every layer speaks (commands, logs, cache, cleanup,
 * shared state, work paths). Types only, and this file imports nothing, so every folder of the
 * core can depend on it without an import cycle. Public API (re-exported by @dib/core).
 */

/** Build environment as seen by elements and scripts: `DIB_*`, `ARCH`, `IMAGE_NAME`, … */
export type Env = Record<string, string>;

/** A host tool an element needs, for `dib doctor` and the pre-flight check. */
export interface HostTool {
  /** command looked up on PATH */
  command: string;
  /** Debian package providing it */
  package: string;
  /** why it is needed, shown to the user */
  why?: string;
}

export interface RunOptions {
  /** variables added to (or, when undefined, removed from) the environment */
  env?: Record<string, string | undefined>;
  /** text written to the command's stdin */
  input?: string;
  cwd?: string;
  /** do not log each output line (stdout is still returned) */
  quiet?: boolean;
  /** don't throw on a non-zero exit; look at `exitCode` */
  reject?: boolean;
  /** attach the terminal (for interactive shells) */
  interactive?: boolean;
  /** raw output chunks as they arrive (progress meters that redraw with \r) */
  onOutput?: (chunk: string) => void;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs commands on the host or inside the target chroot. */
export interface CommandRunner {
  /** Run a program with arguments (no shell). */
  run(file: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Run a `sh -c` script. */
  sh(script: string, options?: RunOptions): Promise<RunResult>;
  /** The same runner, logging each output line to `log` instead. */
  withLogger(log: Logger): CommandRunner;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** a logger whose lines carry this element/scope */
  child(scope: string): Logger;
}

/**
 * A typed key of the per-build StateStore, made once with `stateKey<T>('element:what')` and
 * exported by the element that owns the value. `T` is carried only in the type.
 */
export interface StateKey<T> {
  readonly name: string;
  /** never set: carries T */
  readonly __type?: T;
}

/**
 * Per-build store for plain values elements share. Channels with behaviour (requests,
 * answers, contributions) are owned hooks made with `createHooksRegistry` instead.
 */
export interface StateStore {
  get<T>(key: StateKey<T>): T | undefined;
  set<T>(key: StateKey<T>, value: T): void;
  has(key: StateKey<unknown>): boolean;
}

/** The manifest beside every cache entry: what the data is, its checksum, what made it. */
export interface CacheEntryManifest {
  format: number;
  /** entry kind: the directory below the cache root (`roots`, `checkpoints`, …) */
  kind: string;
  key: string;
  /** the data file's name, beside the manifest */
  file: string;
  bytes: number;
  sha256: string;
  /** ISO time the entry was made */
  created: string;
  /** what the key was computed from (shown by tools, compared to explain a miss) */
  inputs: unknown;
  /** anything else its owner keeps with it (compression, timings, the image it came from) */
  meta?: Record<string, unknown>;
}

export interface TreeStoreOptions {
  /** runs tar (the build's host runner: logged, aborted with the build) */
  host: CommandRunner;
  /** what the key was computed from, recorded in the manifest */
  inputs: unknown;
  /** tar --exclude patterns relative to the tree (`./tmp/*`) */
  excludes?: readonly string[];
  meta?: Record<string, unknown>;
}

/**
 * Directory trees stored in the cache under a key, verified (size and sha256) before every
 * restore; a corrupt entry is evicted with a warning and is a miss. Writes that fail (the cache
 * full or read-only) are warnings, never build failures, and leave no partial file.
 */
export interface TreeStore {
  readonly kind: string;
  /** the stored entry's manifest, unverified (undefined: none) */
  manifest(key: string): Promise<CacheEntryManifest | undefined>;
  /** unpack the verified tree into `dir`; undefined on a miss (or a corrupt entry, evicted) */
  restore(key: string, dir: string, opts: { host: CommandRunner }): Promise<{ manifest: CacheEntryManifest; seconds: number } | undefined>;
  /** store `dir` under `key`; undefined when it could not be stored (a warning says why) */
  store(key: string, dir: string, opts: TreeStoreOptions): Promise<CacheEntryManifest | undefined>;
  /**
   * Restore `key` into `dir`, or else run `make()` to fill `dir` and store it; concurrent
   * builds with one key make it once. `usable` may refuse an intact entry (too old).
   */
  restoreOrMake(
    key: string,
    dir: string,
    make: () => Promise<void>,
    opts: TreeStoreOptions & { usable?: (m: CacheEntryManifest) => boolean; onHit?: (hit: { manifest: CacheEntryManifest; seconds: number }) => void },
  ): Promise<{ hit: boolean; manifest?: CacheEntryManifest; evicted?: string }>;
}

/** dib's cache directory. */
export interface Cache {
  /** the cache root (`~/.cache/dib`) */
  readonly dir: string;
  /** absolute path below the cache root, created as a directory when `mkdir` */
  path(...parts: string[]): string;
  /**
   * Run `fn` holding a lock named `name`, shared between concurrent builds, processes and
   * containers using this cache (flock(2): released by the kernel if the holder dies). Waits
   * end with the build's abort signal. `shared: true` takes a reader lock.
   */
  withLock<T>(name: string, fn: () => Promise<T>, opts?: { shared?: boolean; timeoutMs?: number }): Promise<T>;
  /** the lock file behind `withLock(name)`, for tools that take it themselves (`flock FILE …`) */
  lockFile(name: string): string;
  /** true when the build may not download (`--offline`) */
  readonly offline: boolean;
  /** false when the cache dir is read-only or full: nothing is stored, the build goes on */
  readonly writable: boolean;
  /** say that the cache turned out not to be writable (a write hit ENOSPC or EROFS) */
  markUnwritable(reason: string): void;
  /** verified directory trees of one kind (`roots`: bootstrapped roots) */
  trees(kind: string): TreeStore;
}

/** Work-dir paths of a build, as DIB names them. */
export interface BuildPaths {
  /** TMP_BUILD_DIR */
  buildDir: string;
  /** TMP_HOOKS_PATH: merged hooks tree of directory elements */
  hooksDir: string;
  /** TMP_MOUNT_PATH / TARGET_ROOT: the image tree */
  targetRoot: string;
  /** TMP_IMAGE_DIR: where the raw image and filesystems are assembled */
  imageDir: string;
  /** absolute output base name (IMAGE_NAME) */
  outputBase: string;
}

/** Progress of a package manager, read from one line of its output. */
export interface PackageProgress {
  /** what is being counted (`apt: downloading`, `apt: installing`) */
  label: string;
  done: number;
  total: number;
}

/**
 * Reads a package manager's output line by line, keeping its own state between lines (a count
 * announced first, then the items); one reader per build.
 */
export type ProgressReader = (line: string) => PackageProgress | undefined;

/** Releases registered resources in reverse order, on success, failure or signal. */
export interface CleanupStack {
  /** register an undo action; returns a function that runs it early (and unregisters it) */
  push(label: string, fn: () => Promise<void> | void): () => Promise<void>;
}
