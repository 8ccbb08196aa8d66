/**
 * `@dib/core/testing`: test an element on dib's real hooks, ordering, environment and state,
 * without a full build. `createTestBuild` makes a real Build of the given elements (applied as
 * dib applies them, taps attributed and ordered by (stage, name)) with a work dir and an image
 * tree in a temporary directory; `runPhase` / `runTap` run taps against that tree. Commands
 * are recorded instead of run unless `commands: 'real'`; log lines are captured.
 *
 *   import { createTestBuild } from '@dib/core/testing';
 *   const t = await createTestBuild({ elements: [motd], env: { DIB_MOTD_TEXT: 'hi' } });
 *   await t.runPhase('post-install');
 *   assert.equal(await readFile(join(t.root, 'etc/motd'), 'utf8'), 'hi\n');
 *   await t.dispose();
 */
import fs from 'fs-extra';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { defineElement, type Element, type ResolvedElement } from '../contract/element.js';
import type { PhaseContext, TapInfo } from '../contract/build.js';
import { phaseInfo, type HookName, type PhaseName } from '../contract/phases.js';
import { expandElements } from '../elements/expand.js';
import { ElementResolver } from '../elements/resolve.js';
import { DibError } from '../errors.js';
import { EventBus } from '../log/events.js';
import { EventLogger } from '../log/logger.js';
import { createChrootRunner, createHostRunner } from '../chroot/run.js';
import { DibBuild, type Runners } from '../pipeline/build.js';
import { layoutEnv } from '../disk/layout.js';
import type { CommandRunner, Env, LogLevel, Logger, RunOptions, RunResult } from '../vocabulary.js';

/** A command a test build's runner was asked to run. */
export interface RecordedCommand {
  /** 'host' or 'target' (inside the chroot) */
  where: 'host' | 'target';
  file: string;
  args: readonly string[];
  options: RunOptions;
  /** the element whose tap ran it */
  element?: string;
}

/** A captured log line. */
export interface LogLine {
  level: LogLevel;
  /** the element (or `element script`) that logged it */
  scope?: string;
  phase?: string;
  message: string;
}

export interface TestBuildOptions {
  /** the elements of the build: `defineElement(…)` results or resolved elements, dependencies included */
  elements: ReadonlyArray<Element | ResolvedElement>;
  /** the user's environment (as `env` in the config): DIB_* and friends */
  env?: Env;
  /** config values (the rest are dib's defaults) */
  config?: Partial<ResolvedConfig>;
  /** parent of the temporary work dir (default: the OS temp dir) */
  workDir?: string;
  /** 'record' (default): commands are recorded and answered by `respond`; 'real': they run */
  commands?: 'record' | 'real';
  /** the result of a recorded command (default: exit 0, no output) */
  respond?: (command: RecordedCommand) => Partial<RunResult> | undefined;
  /** require an operating-system element, as a real build does (default false) */
  requireOs?: boolean;
  /**
   * true (default): expand dependencies as a real build does, resolving names not given here
   * from `config.baseDir` (the current directory) and dib's own install; false: the build has
   * exactly the given elements (to test one element's taps alone)
   */
  expand?: boolean;
  /** a planned build (`build.planOnly`, as `dib plan` makes it): elements may skip host checks */
  planOnly?: boolean;
}

export interface TestBuild {
  /** the Build (as the core holds it; `build.viewFor(name)` is what an element sees) */
  build: DibBuild;
  /** the image tree (TARGET_ROOT) */
  root: string;
  /** captured log lines, in order */
  logs: LogLine[];
  /** recorded commands, in order (empty with `commands: 'real'`) */
  commands: RecordedCommand[];
  /** the selected taps of a phase (or of every phase), in run order */
  taps(phase?: PhaseName | HookName): TapInfo[];
  /** the context a tap of `element` gets in `phase` (for calling a library function directly) */
  context(phase: PhaseName | HookName, element: string, tap?: string): PhaseContext;
  /** run every tap of a phase, in order, as the driver does */
  runPhase(phase: PhaseName | HookName): Promise<void>;
  /** run one tap of a phase, by name */
  runTap(phase: PhaseName | HookName, name: string): Promise<void>;
  /** unwind the cleanup stack and remove the work dir; returns the labels of failed cleanups */
  dispose(): Promise<string[]>;
}

function asResolved(e: Element | ResolvedElement): ResolvedElement {
  if ('element' in e && 'kind' in e) return e;
  return { name: e.name, element: e, dir: process.cwd(), kind: 'package' };
}

function recordingRunner(where: RecordedCommand['where'], commands: RecordedCommand[], respond: TestBuildOptions['respond'], element?: string): CommandRunner {
  const run = async (file: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> => {
    const cmd: RecordedCommand = { where, file, args, options, ...(element ? { element } : {}) };
    commands.push(cmd);
    const r = { exitCode: 0, stdout: '', stderr: '', ...(respond?.(cmd) ?? {}) };
    if (r.exitCode !== 0 && options.reject !== false) {
      throw new DibError('E_COMMAND_FAILED', `${file} exited with status ${r.exitCode}`, { details: r.stderr ? r.stderr.split('\n') : [] });
    }
    return r;
  };
  const runner: CommandRunner = {
    run,
    sh: (script, options) => run('sh', ['-c', script], options),
    withLogger: (log: Logger) => recordingRunner(where, commands, respond, scopeOf(log) ?? element),
  };
  return runner;
}

/** The scope a logger was made for (dib's loggers keep it; others have none). */
function scopeOf(log: Logger): string | undefined {
  return log instanceof EventLogger ? log.scope : undefined;
}

/**
 * A complete resolved config for a unit test: the work dir's paths (`workDir`, default the OS
 * temp dir), dib's defaults for the rest, then `over` — what `dib build` would resolve with
 * nothing set, without reading a config file or the environment.
 */
export function testConfig(over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  const work = over.workDir ?? os.tmpdir();
  return {
    baseDir: work,
    elements: [],
    elementsPath: [],
    arch: 'amd64',
    name: path.join(work, 'image'),
    types: ['tar'],
    packages: [],
    env: {},
    cacheDir: path.join(work, 'cache'),
    fsType: 'ext4',
    installType: 'source',
    checksum: false,
    compress: true,
    skipBase: false,
    offline: false,
    noCache: false,
    refresh: false,
    workDir: work,
    ...over,
  };
}

function defaultConfig(work: string, elements: readonly ResolvedElement[], over: Partial<ResolvedConfig>, env: Env): ResolvedConfig {
  return testConfig({ workDir: work, elements: elements.map((e) => e.name), arch: env.ARCH ?? 'amd64', env, ...over });
}

/** Work dirs of test builds not disposed of yet: removed when the test process exits. */
const leftAtExit = new Set<string>();
let exitHook = false;

function removeAtExit(dir: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      // never through a mount a `commands: 'real'` test left behind
      for (const d of leftAtExit) spawnSync('rm', ['-rf', '--one-file-system', d]);
    });
  }
  leftAtExit.add(dir);
}

/**
 * Make a test build: the elements applied on the real hooks, a work dir and an image tree.
 * `dispose()` removes the work dir; one a test never disposes of goes when its process exits.
 */
export async function createTestBuild(opts: TestBuildOptions): Promise<TestBuild> {
  const work = await fs.mkdtemp(path.join(opts.workDir ?? os.tmpdir(), 'dib-test-build.'));
  removeAtExit(work);
  const given = opts.elements.map(asResolved);
  const byName = new Map(given.map((e) => [e.name, e]));
  const resolver = new ElementResolver({ baseDir: opts.config?.baseDir ?? process.cwd(), elementsPath: opts.config?.elementsPath ?? [] });
  const expansion = await expandElements(
    given.map((e) => e.name),
    {
      resolve: async (name) => byName.get(name) ?? (opts.expand === false ? { name, element: defineElement({ name }), dir: work, kind: 'package' } : resolver.resolve(name)),
      requireOs: opts.requireOs ?? false,
    },
  );
  // expand: false keeps exactly the given elements (a dependency that is not given is left out)
  const elements = opts.expand === false ? expansion.elements.filter((e) => byName.has(e.name)) : expansion.elements;
  const envOrder = opts.expand === false ? expansion.envOrder.filter((e) => byName.has(e.name)) : expansion.envOrder;
  const config = defaultConfig(work, elements, opts.config ?? {}, { ...(opts.env ?? {}) });
  const bus = new EventBus();
  const logs: LogLine[] = [];
  bus.on((ev) => {
    if (ev.type === 'log') logs.push({ level: ev.level, scope: ev.scope, phase: ev.phase, message: ev.message });
  });
  const build = new DibBuild(config, elements, envOrder, bus, opts.planOnly ?? false, new AbortController().signal, []);
  await build.applyElements();
  await build.makeWorkDir();
  // a bad block-device config is the test's business: build.diskPlan() keeps rejecting with it
  const layout = await build.diskPlan().catch(() => undefined);
  build.sealEnv(layout ? layoutEnv(layout) : {});
  const root = build.paths.targetRoot;
  const commands: RecordedCommand[] = [];
  const phaseEnv = (): Readonly<Env> => ({ ...build.env, TARGET_ROOT: root });
  const runners = (): Runners =>
    opts.commands === 'real'
      ? {
          host: createHostRunner({ log: build.log, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...phaseEnv() } }),
          target: createChrootRunner({ root, log: build.log, env: phaseEnv() }),
        }
      : { host: recordingRunner('host', commands, opts.respond), target: recordingRunner('target', commands, opts.respond) };
  const hookOf = (phase: PhaseName | HookName) => phaseInfo(phase);
  const ctxFor = (phase: PhaseName | HookName) => {
    const info = hookOf(phase);
    build.currentPhase = info.phase;
    return build.phaseContext(info.phase, phaseEnv(), runners());
  };
  return {
    build,
    root,
    logs,
    commands,
    taps(phase) {
      const all = build.taps();
      return phase === undefined ? all : all.filter((t) => t.phase === hookOf(phase).phase);
    },
    context(phase, element, tap = '') {
      const base = ctxFor(phase);
      const log = build.log.child(element);
      return { ...base, element, tap, log, build: build.viewFor(element), host: base.host.withLogger(log), target: base.target.withLogger(log) };
    },
    async runPhase(phase) {
      try {
        await build.phaseHooks[hookOf(phase).hook].promise(ctxFor(phase));
      } finally {
        build.currentPhase = undefined;
      }
    },
    async runTap(phase, name) {
      const hook = build.phaseHooks[hookOf(phase).hook];
      const tap = hook.taps.find((t) => t.name === name && build.taps().some((i) => i.phase === hookOf(phase).phase && i.name === name));
      if (!tap) {
        const known = build
          .taps()
          .filter((t) => t.phase === hookOf(phase).phase)
          .map((t) => t.name);
        throw new DibError('E_USAGE', `no tap '${name}' in the ${hookOf(phase).phase} phase of this test build`, { hint: `taps there: ${known.join(', ') || 'none'}` });
      }
      try {
        await (tap.fn as (ctx: PhaseContext) => Promise<void>)(ctxFor(phase));
      } finally {
        build.currentPhase = undefined;
      }
    },
    async dispose() {
      const failed = await build.cleanup.unwind();
      await fs.remove(work).catch(() => undefined);
      leftAtExit.delete(work);
      return failed;
    },
  };
}
