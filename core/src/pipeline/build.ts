/**
 * The Build: resolved config and elements, the environment, the phase hooks with every
 * element's taps registered, the work dir and the cleanup stack. Each element's apply() and
 * taps see a view of the build whose hooks are bound to that element; views share the build's
 * identity, so owned hook families (createHooksRegistry) are one per build.
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { DirCache } from '../cache/cache.js';
import type { ResolvedElement } from '../contract/element.js';
import { BUILD_IDENTITY } from '../contract/hooks-registry.js';
import { resolveBuildElements } from '../elements/closure.js';
import { DibError, isDibError } from '../errors.js';
import { EventBus, now } from '../log/events.js';
import { EventLogger } from '../log/logger.js';
import { Cleanup } from './cleanup.js';
import { buildEnvironment } from './environment.js';
import { createPhaseHooks, tapError, type PhaseHookSet } from './hooks.js';
import type { PhaseName } from '../contract/phases.js';
import { MapState } from './state.js';
import { secretMasker } from '../util/secrets.js';
import { removeTree } from '../chroot/mounts.js';
import { claimDir } from '../sandbox/leftovers.js';
import { guardTap } from './tap-guard.js';
import type { Build, ElementPhaseHooks, PhaseContext, PhaseHooks, TapInfo } from '../contract/build.js';
import type { BuildPaths, CommandRunner, Env, Logger } from '../vocabulary.js';
import type { DiskLayout } from '../disk/layout.js';
import { planBuildLayout } from './finish.js';
import { assertOutputTypes } from './output-formats.js';

export interface TapTiming extends TapInfo {
  seconds: number;
  ok: boolean;
}

export interface CreateBuildOptions {
  config: ResolvedConfig;
  /** the command line, recorded as DIB_ARGS */
  argv?: readonly string[];
  bus?: EventBus;
  /** plan only: no work dir is made and nothing will run */
  planOnly?: boolean;
  signal?: AbortSignal;
  /** false: no operating-system element needed (a build made to ask an element's hooks) */
  requireOs?: boolean;
}

/** The runners of a phase (made by the driver for the phase environment), bound to each tap's logger. */
export interface Runners {
  host: CommandRunner;
  target: CommandRunner;
}

export class DibBuild implements Build {
  declare readonly [BUILD_IDENTITY]: object;
  readonly env: Env;
  readonly state = new MapState();
  readonly log: Logger;
  readonly cleanup: Cleanup;
  readonly cache: DirCache;
  readonly tapTimings: TapTiming[] = [];
  /** element resolution's warnings (two packages for one name, …); the driver logs them after build-start */
  readonly resolutionWarnings: string[] = [];
  currentPhase: PhaseName | undefined;
  paths: BuildPaths;
  private readonly hookSet: PhaseHookSet;
  private readonly views = new Map<string, Build>();
  private disk: Promise<DiskLayout> | undefined;

  constructor(
    readonly config: ResolvedConfig,
    readonly elements: readonly ResolvedElement[],
    envOrder: readonly ResolvedElement[],
    readonly bus: EventBus,
    readonly planOnly: boolean,
    readonly signal: AbortSignal,
    argv: readonly string[],
  ) {
    Object.defineProperty(this, BUILD_IDENTITY, { value: this });
    this.log = new EventLogger(bus, undefined, () => this.currentPhase);
    this.cleanup = new Cleanup(this.log);
    this.cache = new DirCache(config.cacheDir, config.offline, this.log, signal);
    this.env = buildEnvironment({ config, elements, envOrder, argv });
    // nothing the build records shows a secret's value (the log, the log file, --json)
    bus.addMask(secretMasker(this.env, process.env));
    this.paths = { buildDir: '', hooksDir: '', targetRoot: '', imageDir: '', outputBase: config.name };
    this.hookSet = createPhaseHooks({
      installTypeOf: (el) => this.installTypeOf(el),
      runTap: (info, ctx, call) => this.runTap(info, ctx, call),
    });
  }

  /** The phase hooks, unbound: the driver calls them. Elements tap `viewFor(el).hooks`. */
  get phaseHooks(): PhaseHooks {
    return this.hookSet.hooks;
  }

  /** Build.hooks of the build itself: taps must come through an element's view. */
  get hooks(): ElementPhaseHooks {
    return this.hookSet.hooks;
  }

  /** The build as element `name` sees it: hooks bound to it, everything else shared. */
  viewFor(name: string): Build {
    let view = this.views.get(name);
    if (!view) {
      view = Object.create(this, { hooks: { value: this.hookSet.forElement(name), enumerable: true } }) as Build;
      this.views.set(name, view);
    }
    return view;
  }

  installTypeOf(element: string): string {
    return this.env[`DIB_INSTALLTYPE_${element.replace(/-/g, '_')}`] || this.env.DIB_DEFAULT_INSTALLTYPE || 'source';
  }

  hasElement(name: string): boolean {
    return this.elements.some((e) => e.name === name);
  }

  diskPlan(): Promise<DiskLayout> {
    this.disk ??= planBuildLayout(this);
    return this.disk;
  }

  async workDirFor(element: string): Promise<string> {
    if (!this.paths.buildDir) throw new DibError('E_INTERNAL', `element ${element} asked for a work dir before the build made one`, { hint: 'call build.workDirFor() from a tap, not from apply()' });
    const dir = path.join(this.paths.buildDir, 'elements', element.replace(/[^A-Za-z0-9_.@-]/g, '_'));
    await fs.ensureDir(dir);
    return dir;
  }

  /** Call every element's apply() with its own view of the build. */
  async applyElements(): Promise<void> {
    for (const r of this.elements) {
      if (!r.element.apply) continue;
      try {
        await r.element.apply(this.viewFor(r.name));
      } catch (e) {
        if (isDibError(e)) throw e;
        throw new DibError('E_ELEMENT_INVALID', `element ${r.name} failed to register its taps: ${(e as Error).message}`, { hint: `fix apply() of ${r.name} (${r.dir})`, cause: e });
      }
    }
  }

  taps(): TapInfo[] {
    return this.hookSet.list();
  }

  /** Make the work dir (TMP_BUILD_DIR with hooks/ and mnt/, and TMP_IMAGE_DIR). */
  async makeWorkDir(): Promise<void> {
    await fs.ensureDir(this.config.workDir);
    const buildDir = await fs.mkdtemp(path.join(this.config.workDir, 'dib_build.'));
    const imageDir = await fs.mkdtemp(path.join(this.config.workDir, 'dib_image.'));
    // owner markers: if this build is killed, the next one removes these (sandbox/leftovers.ts)
    const [imageLock, buildLock] = await Promise.all([claimDir(imageDir), claimDir(buildDir)]);
    this.cleanup.push(`remove ${imageDir}`, () => removeTree(imageDir, this.log).finally(() => imageLock.release()));
    this.cleanup.push(`remove ${buildDir}`, () => removeTree(buildDir, this.log).finally(() => buildLock.release()));
    this.paths = {
      buildDir,
      hooksDir: path.join(buildDir, 'hooks'),
      targetRoot: path.join(buildDir, 'mnt'),
      imageDir,
      outputBase: this.config.name,
    };
    await fs.ensureDir(this.paths.hooksDir);
    await fs.ensureDir(this.paths.targetRoot);
    await fs.chmod(this.paths.targetRoot, 0o755);
    Object.assign(this.env, {
      TMP_BUILD_DIR: buildDir,
      TMP_HOOKS_PATH: this.paths.hooksDir,
      TMP_MOUNT_PATH: this.paths.targetRoot,
      TMP_IMAGE_DIR: imageDir,
    });
  }

  /**
   * Add the last build-wide variables (the work paths, the disk layout's DIB_ROOT_LABEL…) and
   * freeze the environment: from here on it changes only per phase, in PhaseContext.env.
   */
  sealEnv(extra: Readonly<Env>): void {
    Object.assign(this.env, extra);
    Object.freeze(this.env);
  }

  /** The context a phase starts from; runTap derives each tap's own from it. */
  phaseContext(phase: PhaseName, env: Readonly<Env>, runners: Runners = unavailableRunners()): PhaseContext {
    return {
      phase,
      build: this,
      element: '',
      tap: '',
      targetRoot: this.paths.targetRoot,
      env,
      host: runners.host,
      target: runners.target,
      log: this.log,
      config: this.config,
      elements: this.elements,
      cache: this.cache,
      state: this.state,
    };
  }

  /** Run one tap: its own context, events and timing, its failure located. */
  private async runTap(info: TapInfo, ctx: PhaseContext, call: (ctx: PhaseContext) => Promise<unknown>): Promise<void> {
    const log = this.log.child(info.element);
    const own: PhaseContext = { ...ctx, element: info.element, tap: info.name, log, build: this.viewFor(info.element), host: ctx.host.withLogger(log), target: ctx.target.withLogger(log) };
    this.bus.emit({ type: 'tap-start', time: now(), phase: info.phase, element: info.element, tap: info.name, stage: info.stage });
    const t0 = performance.now();
    let ok = false;
    try {
      // raced against the build's abort signal and the config's tapTimeout (a hung tap never holds the build)
      await guardTap(call(own), info, { signal: this.signal, timeoutSeconds: this.config.tapTimeout });
      ok = true;
    } catch (e) {
      throw tapError(e, { phase: info.phase, element: info.element, tap: info.name });
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      this.tapTimings.push({ ...info, seconds, ok });
      this.bus.emit({ type: 'tap-end', time: now(), phase: info.phase, element: info.element, tap: info.name, stage: info.stage, seconds, ok });
    }
  }
}

/** Runners of a build that runs nothing (dib plan): a tap that runs a command is a bug. */
function unavailableRunners(): Runners {
  const refuse: CommandRunner = {
    run: () => Promise.reject(new DibError('E_INTERNAL', 'no command can run in a planned build')),
    sh: () => Promise.reject(new DibError('E_INTERNAL', 'no command can run in a planned build')),
    withLogger: () => refuse,
  };
  return { host: refuse, target: refuse };
}

/** Resolve, expand, compute the environment and register every element's taps. */
export async function createBuild(opts: CreateBuildOptions): Promise<DibBuild> {
  const { config } = opts;
  const warnings: string[] = [];
  const expansion = await resolveBuildElements(config, { warn: (m) => warnings.push(m), requireOs: opts.requireOs });
  const build = new DibBuild(
    config,
    expansion.elements,
    expansion.envOrder,
    opts.bus ?? new EventBus(),
    opts.planOnly ?? false,
    opts.signal ?? new AbortController().signal,
    opts.argv ?? [],
  );
  build.resolutionWarnings.push(...warnings);
  await build.applyElements();
  // -t names a format of this build's registry (built in, or added by an element): before any work
  if (opts.requireOs !== false) await assertOutputTypes(build);
  return build;
}
