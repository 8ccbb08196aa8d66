/**
 * A small stand-in for the core's build driver, for the seed elements' tests: real tapable
 * hooks, taps run by (stage, name) with a PhaseContext each, a recording or real chroot runner.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncSeriesHook } from 'tapable';
import { createChrootRunner, createHostRunner, defineElement, PHASES } from '@dib/core';
import type {
  Build,
  Cache,
  CommandRunner,
  Element,
  Env,
  HookName,
  Logger,
  PhaseContext,
  PhaseHooks,
  ResolvedConfig,
  ResolvedElement,
  RunOptions,
  RunResult,
  StateStore,
} from '@dib/core';
import { mkdirSync } from 'node:fs';
import { DirCache } from '@dib/core/internal/cache/cache.js';

export interface LogLine {
  level: string;
  scope?: string;
  message: string;
}

export function captureLogger(lines: LogLine[], scope?: string): Logger {
  const emit = (level: string) => (message: string) => {
    lines.push({ level, scope, message });
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (s: string) => captureLogger(lines, s),
  };
}

export interface Recorded {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

/** A target runner that records commands; `respond` gives their result. */
export function recordingRunner(recorded: Recorded[], respond?: (file: string, args: readonly string[]) => Partial<RunResult> | undefined): CommandRunner {
  const run = async (file: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> => {
    recorded.push({ file, args, options });
    return { exitCode: 0, stdout: '', stderr: '', ...(respond?.(file, args) ?? {}) };
  };
  return { run, sh: (script, options) => run('sh', ['-c', script], options) };
}

export function resolved(element: Element, dir: string): ResolvedElement {
  return { name: element.name, element, dir, kind: 'package' };
}

/** A DIB-style directory element (only a name and a directory). */
export function dirElement(name: string, dir: string): ResolvedElement {
  return { name, element: defineElement({ name }), dir, kind: 'directory' };
}

export interface HarnessOptions {
  elements: ResolvedElement[];
  env?: Env;
  config?: Partial<ResolvedConfig>;
  /** work dir; a temp dir by default */
  work?: string;
  /** 'record' (default): commands in the target are recorded; 'chroot': really run */
  target?: 'record' | 'chroot';
  respond?: (file: string, args: readonly string[]) => Partial<RunResult> | undefined;
  planOnly?: boolean;
}

export interface TapRecord {
  hook: HookName;
  name: string;
  stage: number;
  element: string;
  installType?: string;
  fn: (ctx: PhaseContext) => Promise<void>;
}

export interface Harness {
  build: Build;
  work: string;
  root: string;
  logs: LogLine[];
  commands: Recorded[];
  state: Map<string, unknown>;
  cleanups: { label: string; fn: () => Promise<void> | void; done: boolean }[];
  taps(hook: HookName): TapRecord[];
  ctx(hook: HookName, element: string, tap: string): PhaseContext;
  runPhase(hook: HookName): Promise<void>;
  runCleanupStack(): Promise<void>;
}

export async function createHarness(opts: HarnessOptions): Promise<Harness> {
  const work = opts.work ?? (await mkdtemp(join(tmpdir(), 'dib-seed-')));
  const root = join(work, 'mnt');
  mkdirSync(root, { recursive: true });
  const logs: LogLine[] = [];
  const commands: Recorded[] = [];
  const state = new Map<string, unknown>();
  const cleanups: Harness['cleanups'] = [];
  const hooks = Object.fromEntries(PHASES.map((p) => [p.hook, new AsyncSeriesHook<[PhaseContext]>(['ctx'])])) as unknown as PhaseHooks;
  const env: Env = { ARCH: 'amd64', IMAGE_NAME: join(work, 'image'), DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_INIT_SYSTEM: 'systemd', ...(opts.env ?? {}) };
  const config: ResolvedConfig = {
    baseDir: work,
    elements: opts.elements.map((e) => e.name),
    elementsPath: [],
    arch: env.ARCH!,
    name: 'image',
    types: ['qcow2'],
    packages: [],
    env: {},
    cacheDir: join(work, 'cache'),
    fsType: 'ext4',
    installType: 'source',
    checksum: false,
    compress: true,
    skipBase: false,
    offline: false,
    workDir: work,
    ...(opts.config ?? {}),
  };
  const store: StateStore = {
    get: <T>(k: string) => state.get(k) as T | undefined,
    set: (k, v) => void state.set(k, v),
    has: (k) => state.has(k),
  };
  const cache: Cache = new DirCache(config.cacheDir, false);
  const log = captureLogger(logs);
  const build: Build = {
    hooks,
    config,
    elements: opts.elements,
    env,
    paths: { buildDir: work, hooksDir: join(work, 'hooks'), targetRoot: root, imageDir: join(work, 'img'), outputBase: join(work, 'image') },
    cache,
    state: store,
    log,
    cleanup: {
      push(label, fn) {
        const c = { label, fn, done: false };
        cleanups.push(c);
        return async () => {
          if (c.done) return;
          c.done = true;
          await fn();
        };
      },
    },
    planOnly: opts.planOnly ?? false,
    installTypeOf: (el) => env[`DIB_INSTALLTYPE_${el.replace(/-/g, '_')}`] || env.DIB_DEFAULT_INSTALLTYPE || config.installType,
    hasElement: (n) => opts.elements.some((e) => e.name === n),
  };

  // apply each element, noting which taps it added
  const owner = new Map<unknown, string>();
  for (const el of opts.elements) {
    await el.element.apply?.(build);
    for (const p of PHASES) for (const t of (hooks[p.hook] as unknown as { taps: object[] }).taps) if (!owner.has(t)) owner.set(t, el.name);
  }

  const hostRunner = createHostRunner({ log });
  const target: CommandRunner =
    opts.target === 'chroot' ? createChrootRunner({ log, root, env: { ...env } }) : recordingRunner(commands, opts.respond);

  const h: Harness = {
    build,
    work,
    root,
    logs,
    commands,
    state,
    cleanups,
    taps(hook) {
      const taps = (hooks[hook] as unknown as { taps: { name: string; stage?: number; installType?: string; fn: TapRecord['fn'] }[] }).taps;
      return taps
        .map((t) => ({ hook, name: t.name, stage: t.stage ?? 0, element: owner.get(t) ?? '?', installType: t.installType, fn: t.fn }))
        .sort((a, b) => a.stage - b.stage || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    ctx(hook, element, tap) {
      const phase = PHASES.find((p) => p.hook === hook)!.phase;
      return {
        phase,
        build,
        element,
        tap,
        targetRoot: root,
        env,
        host: hostRunner,
        target,
        log: log.child(element),
        config,
        elements: opts.elements,
        cache,
        state: store,
      };
    },
    async runPhase(hook) {
      for (const t of h.taps(hook)) {
        if (t.installType && t.installType !== build.installTypeOf(t.element)) continue;
        await t.fn(h.ctx(hook, t.element, t.name));
      }
    },
    async runCleanupStack() {
      for (const c of [...cleanups].reverse()) {
        if (c.done) continue;
        c.done = true;
        await c.fn();
      }
    },
  };
  return h;
}
