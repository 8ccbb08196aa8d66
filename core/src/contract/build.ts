/**
 * The Build and PhaseContext interfaces that element taps see. Public API.
 * The service types they use (Logger, CommandRunner, Cache, …) live in ../vocabulary.ts.
 */
import type { AsyncSeriesHook } from 'tapable';
import type { ResolvedConfig } from '../config/schema.js';
import type { Cache, CleanupStack, CommandRunner, Env, Logger, StateStore, BuildPaths } from '../vocabulary.js';
import type { ResolvedElement } from './element.js';
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

export type { BuildPaths, Cache, CleanupStack, CommandRunner, Env, Logger, LogLevel, RunOptions, RunResult, StateStore } from '../vocabulary.js';

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
