/**
 * The Build: resolved config and elements, the environment, the phase hooks with every
 * element's taps registered, the work dir and the cleanup stack.
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { DirCache } from '../cache/cache.js';
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';
import { ElementResolver } from '../elements/resolve.js';
import { expandElements, withImplicitElements } from '../elements/expand.js';
import { DibError, isDibError } from '../errors.js';
import { EventBus, now } from '../log/events.js';
import { EventLogger } from '../log/logger.js';
import { Cleanup } from './cleanup.js';
import { buildEnvironment } from './environment.js';
import { createPhaseHooks, listTaps } from './hooks.js';
import type { PhaseName } from '../contract/phases.js';
import { MapState } from './state.js';
import { removeTree } from '../chroot/mounts.js';
import { claimDir } from '../sandbox/leftovers.js';
import type { Build, PhaseContext, PhaseHooks, TapInfo } from '../contract/build.js';
import type { BuildPaths, Logger } from '../vocabulary.js';

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
}

export class DibBuild implements Build {
  readonly hooks: PhaseHooks;
  readonly env: Env;
  readonly state = new MapState();
  readonly log: Logger;
  readonly cleanup: Cleanup;
  readonly cache: DirCache;
  readonly tapTimings: TapTiming[] = [];
  currentPhase: PhaseName | undefined;
  /** set by the driver: runners whose output lines are logged under a tap's element */
  runners: ((log: Logger) => { host: PhaseContext['host']; target: PhaseContext['target'] }) | undefined;
  private applying: string | undefined;
  paths: BuildPaths;

  constructor(
    readonly config: ResolvedConfig,
    readonly elements: readonly ResolvedElement[],
    envOrder: readonly ResolvedElement[],
    readonly bus: EventBus,
    readonly planOnly: boolean,
    readonly signal: AbortSignal,
    argv: readonly string[],
  ) {
    this.log = new EventLogger(bus, undefined, () => this.currentPhase);
    this.cleanup = new Cleanup(this.log);
    this.cache = new DirCache(config.cacheDir, config.offline, this.log, signal);
    this.env = buildEnvironment({ config, elements, envOrder, argv });
    this.paths = { buildDir: '', hooksDir: '', targetRoot: '', imageDir: '', outputBase: config.name };
    this.hooks = createPhaseHooks({
      currentElement: () => this.applying,
      installTypeOf: (el) => this.installTypeOf(el),
      contextFor: (ctx, element, tap) => {
        const log = this.log.child(element);
        return { ...ctx, element, tap, log, ...(this.runners ? this.runners(log) : {}) };
      },
      guard: { signal, timeoutSeconds: config.tapTimeout },
      onTapStart: (info) => bus.emit({ type: 'tap-start', time: now(), phase: info.phase, element: info.element, tap: info.name, stage: info.stage }),
      onTapEnd: (info, seconds, ok) => {
        this.tapTimings.push({ ...info, seconds, ok });
        bus.emit({ type: 'tap-end', time: now(), phase: info.phase, element: info.element, tap: info.name, stage: info.stage, seconds, ok });
      },
    });
  }

  installTypeOf(element: string): string {
    return this.env[`DIB_INSTALLTYPE_${element.replace(/-/g, '_')}`] || this.env.DIB_DEFAULT_INSTALLTYPE || 'source';
  }

  hasElement(name: string): boolean {
    return this.elements.some((e) => e.name === name);
  }

  /** Call every element's apply(), attributing its taps to it. */
  async applyElements(): Promise<void> {
    for (const r of this.elements) {
      if (!r.element.apply) continue;
      this.applying = r.name;
      try {
        await r.element.apply(this);
      } catch (e) {
        if (isDibError(e)) throw e;
        throw new DibError('E_ELEMENT_INVALID', `element ${r.name} failed to register its taps: ${(e as Error).message}`, { hint: `fix apply() of ${r.name} (${r.dir})`, cause: e });
      } finally {
        this.applying = undefined;
      }
    }
  }

  taps(): TapInfo[] {
    return listTaps(this.hooks);
  }

  /** Make the work dir (TMP_BUILD_DIR with hooks/ and mnt/, and TMP_IMAGE_DIR). */
  async makeWorkDir(): Promise<void> {
    await fs.ensureDir(this.config.workDir);
    const buildDir = await fs.mkdtemp(path.join(this.config.workDir, 'dib_build.'));
    const imageDir = await fs.mkdtemp(path.join(this.config.workDir, 'dib_image.'));
    // owner markers: if this build is killed, the next one removes these (sandbox/leftovers.ts)
    const [imageLock, buildLock] = [claimDir(imageDir), claimDir(buildDir)];
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

  /** The context a phase starts from; the hooks derive each tap's own from it. */
  phaseContext(phase: PhaseName, host: PhaseContext['host'], target: PhaseContext['target'], env: Env): PhaseContext {
    return {
      phase,
      build: this,
      element: '',
      tap: '',
      targetRoot: this.paths.targetRoot,
      env,
      host,
      target,
      log: this.log,
      config: this.config,
      elements: this.elements,
      cache: this.cache,
      state: this.state,
    };
  }
}


/** Resolve, expand, compute the environment and register every element's taps. */
export async function createBuild(opts: CreateBuildOptions): Promise<DibBuild> {
  const { config } = opts;
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath });
  const requested = withImplicitElements(config.elements, { arch: config.arch, skipBase: config.skipBase });
  const expansion = await expandElements(requested, { resolve: (n) => resolver.resolve(n) });
  const build = new DibBuild(
    config,
    expansion.elements,
    expansion.envOrder,
    opts.bus ?? new EventBus(),
    opts.planOnly ?? false,
    opts.signal ?? new AbortController().signal,
    opts.argv ?? [],
  );
  await build.applyElements();
  return build;
}
