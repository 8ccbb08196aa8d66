/**
 * The Build and PhaseContext interfaces that element taps see. Public API.
 * The service types they use (Logger, CommandRunner, Cache, …) live in ../vocabulary.ts.
 */
import type { AsyncSeriesHook } from 'tapable';
import type { ResolvedConfig } from '../config/schema.js';
import type { Cache, CleanupStack, CommandRunner, Env, Logger, StateStore, BuildPaths } from '../vocabulary.js';
import type { ResolvedElement } from './element.js';
import type { HookName, PhaseName } from './phases.js';
import type { DiskLayout } from '../disk/layout.js';

/**
 * dib's extra tap options, declared to tapable as the hooks' `AdditionalOptions` (as webpack
 * declares `additionalAssets` on `processAssets`), so `{ name, stage, installType }` type-checks.
 * Taps run by (`stage`, `name`), as dib-run-parts runs `NN-name` scripts; `stage` defaults to 50.
 */
export interface DibTapOptions {
  /**
   * Install-type alternative (`source`, `package`, …): the tap runs only when this element's
   * install type (`DIB_INSTALLTYPE_<element>`, else the default) equals it; `dib plan` lists
   * only the selected one.
   */
  installType?: string;
  /** 'ts' (default) for taps in code, 'script' for DIB scripts of directory elements */
  kind?: 'ts' | 'script';
  /**
   * The element the tap belongs to. Set by dib: the hooks an element's `apply(build)` sees are
   * bound to it with tapable's `withOptions({ element })`.
   */
  element?: string;
}

/** Options of a tap: `name` and DIB's script number as `stage`, plus dib's options. */
export interface TapOptions extends DibTapOptions {
  /** tap name, as the DIB script name without its number (`copy-apt-keys`) */
  name: string;
  /** the number a DIB script carries in its name (`01-copy-apt-keys` → 1). Default 50. */
  stage?: number;
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

/** One DIB phase: a tapable hook whose taps take dib's options. */
export type PhaseHook = AsyncSeriesHook<[PhaseContext], DibTapOptions>;
/** The phase hooks, one per DIB phase, as the driver holds them. */
export type PhaseHooks = Readonly<Record<HookName, PhaseHook>>;
/** A phase hook as an element taps it: bound to the element, without the call methods. */
export type ElementPhaseHook = Omit<PhaseHook, 'call' | 'callAsync' | 'promise'>;
/** The phase hooks an element's `apply(build)` sees (`build.hooks`). */
export type ElementPhaseHooks = Readonly<Record<HookName, ElementPhaseHook>>;

export type { BuildPaths, Cache, CleanupStack, CommandRunner, Env, Logger, LogLevel, RunOptions, RunResult, StateKey, StateStore } from '../vocabulary.js';

export interface Build {
  /** one hook per DIB phase, in DIB's order, bound to the element whose apply() received it */
  readonly hooks: ElementPhaseHooks;
  readonly config: ResolvedConfig;
  /** expanded element list, in deterministic order */
  readonly elements: readonly ResolvedElement[];
  /**
   * The build environment. Elements contribute to it through `environment`; it is frozen once
   * the work dir exists (before the first phase). Per-phase values (DIB_IMAGE_SIZE in KiB at
   * block-device, IMAGE_BLOCK_DEVICE afterwards) reach taps through `PhaseContext.env`.
   */
  readonly env: Readonly<Env>;
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
  /**
   * The disk this build makes, planned once per build from the config, the environment and the
   * block-device elements (memoised: the pre-flight, `dib doctor`, the bootloader and the
   * block-device phase see the same layout, UUIDs included). Rejects with
   * E_BLOCK_DEVICE_CONFIG for a bad block-device config.
   */
  diskPlan(): Promise<DiskLayout>;
  /**
   * A directory of the element's own below the work dir (created on first use, removed with
   * the work dir), for files an element hands to the core or keeps between phases.
   */
  workDirFor(element: string): Promise<string>;
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
