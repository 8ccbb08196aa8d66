/**
 * The seed elements' tests run on @dib/core/testing's test build (real hooks, ordering,
 * environment and state); this file keeps their small vocabulary on top of it.
 */
import { defineElement } from '@dib/core';
import type { Element, Env, HookName, PhaseContext, ResolvedConfig, ResolvedElement, RunResult, TapInfo } from '@dib/core';
import { createTestBuild, type LogLine, type RecordedCommand, type TestBuild } from '@dib/core/testing';

export type { LogLine } from '@dib/core/testing';

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
  /** 'record' (default): commands in the target are recorded; 'chroot': really run */
  target?: 'record' | 'chroot';
  respond?: (file: string, args: readonly string[]) => Partial<RunResult> | undefined;
  planOnly?: boolean;
}

export interface Harness {
  build: TestBuild['build'];
  work: string;
  root: string;
  logs: LogLine[];
  /** commands run in the target */
  commands: RecordedCommand[];
  taps(hook: HookName): TapInfo[];
  ctx(hook: HookName, element: string, tap: string): PhaseContext;
  runPhase(hook: HookName): Promise<void>;
  runTap(hook: HookName, name: string): Promise<void>;
  dispose(): Promise<string[]>;
}

/** The environment the seed tests assume when no OS element is in the build. */
const SEED_ENV: Env = { ARCH: 'amd64', DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_INIT_SYSTEM: 'systemd' };

export async function createHarness(opts: HarnessOptions): Promise<Harness> {
  const env = { ...SEED_ENV, ...(opts.env ?? {}) };
  const t = await createTestBuild({
    elements: opts.elements,
    env,
    config: { arch: env.ARCH, ...(opts.config ?? {}) },
    expand: false,
    planOnly: opts.planOnly,
    commands: opts.target === 'chroot' ? 'real' : 'record',
    respond: opts.respond ? (c) => opts.respond!(c.file, c.args) : undefined,
  });
  return {
    build: t.build,
    work: t.build.paths.buildDir,
    root: t.root,
    logs: t.logs,
    get commands() {
      return t.commands.filter((c) => c.where === 'target');
    },
    taps: (hook) => t.taps(hook),
    ctx: (hook, element, tap) => t.context(hook, element, tap),
    runPhase: (hook) => t.runPhase(hook),
    runTap: (hook, name) => t.runTap(hook, name),
    dispose: () => t.dispose(),
  };
}
