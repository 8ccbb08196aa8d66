/**
 * The Build and PhaseContext interfaces that element taps see. Public API.
 */
import type { AsyncSeriesHook } from 'tapable';
import type { ResolvedConfig } from '../config/schema.js';
import type { Env, ResolvedElement } from '../elements/contract.js';
import type { HookName, PhaseName } from './phases.js';

/** Options of a tap: `name` and DIB's script number as `stage`. */
export interface TapOptions {
  /** tap name, as the DIB script name without its number (`copy-apt-keys`) */
  name: string;
  /** the number a DIB script carries in its name (`01-copy-apt-keys` → 1). Default 50. */
  stage?: number;
  /**
   * Install-type alternative (`source`, `package`, …): the tap runs only when this element's
   * install type (`DIB_INSTALLTYPE_<element>`, else the default) equals it.
   */
  installType?: string;
}

/** A registered tap, as `dib plan` lists it. */
export interface TapInfo {
  phase: PhaseName;
  name: string;
  stage: number;
  element: string;
  installType?: string;
  /** 'ts' for taps in code, 'script' for DIB scripts of directory elements */
  kind: 'ts' | 'script';
}

export type PhaseHook = AsyncSeriesHook<[PhaseContext]>;
export type PhaseHooks = Readonly<Record<HookName, PhaseHook>>;

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

/** Per-build store for data elements share (keys are namespaced by convention: `element:key`). */
export interface StateStore {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
  has(key: string): boolean;
}

/** dib's cache directory. */
export interface Cache {
  /** the cache root (`~/.cache/dib`) */
  readonly dir: string;
  /** absolute path below the cache root, created as a directory when `mkdir` */
  path(...parts: string[]): string;
  /** run `fn` holding an exclusive lock named `name` (shared between concurrent builds) */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** true when the build may not download (`--offline`) */
  readonly offline: boolean;
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

/** Releases registered resources in reverse order, on success, failure or signal. */
export interface CleanupStack {
  /** register an undo action; returns a function that runs it early (and unregisters it) */
  push(label: string, fn: () => Promise<void> | void): () => Promise<void>;
}

export interface Build {
  /** one hook per DIB phase, in DIB's order */
  readonly hooks: PhaseHooks;
  readonly config: ResolvedConfig;
  /** expanded element list, in deterministic order */
  readonly elements: readonly ResolvedElement[];
  /** the build environment (mutable until the root phase starts) */
  readonly env: Env;
  readonly paths: BuildPaths;
  readonly cache: Cache;
  readonly state: StateStore;
  readonly log: Logger;
  readonly cleanup: CleanupStack;
  /** true when this Build is only planned (`dib plan`, `dib packages`): nothing will run */
  readonly planOnly: boolean;
  /** install type selected for an element (`DIB_INSTALLTYPE_<el>` or the default) */
  installTypeOf(element: string): string;
  /** whether an element is part of this build */
  hasElement(name: string): boolean;
}

/** What a tap receives: DIB's script environment as typed values. */
export interface PhaseContext {
  readonly phase: PhaseName;
  readonly build: Build;
  /** element that registered this tap */
  readonly element: string;
  /** this tap's name */
  readonly tap: string;
  /** the image tree (TARGET_ROOT) */
  readonly targetRoot: string;
  /** environment for this phase (build env + standard DIB variables) */
  readonly env: Readonly<Env>;
  /** run on the host */
  readonly host: CommandRunner;
  /** run inside the target chroot (proc, sys, dev mounted; resolv.conf swapped) */
  readonly target: CommandRunner;
  readonly log: Logger;
  readonly config: ResolvedConfig;
  readonly elements: readonly ResolvedElement[];
  readonly cache: Cache;
  readonly state: StateStore;
}
