/** Pieces shared by the commands that load a config and elements. */
import { resolveConfig } from '../config/resolve.js';
import type { DibConfig, ResolvedConfig } from '../config/schema.js';
import { createBuild, type DibBuild } from '../pipeline/build.js';
import { EventBus } from '../log/events.js';

export async function loadConfig(opts: { configPath?: string; overrides?: Partial<DibConfig>; requireElements?: boolean }): Promise<ResolvedConfig> {
  return resolveConfig({ cwd: process.cwd(), configPath: opts.configPath, overrides: opts.overrides, requireElements: opts.requireElements });
}

/** A build that only registers taps (dib plan, dib packages); its warnings go to stderr. */
export async function planBuild(config: ResolvedConfig, argv: string[] = []): Promise<DibBuild> {
  const build = await createBuild({ config, argv, planOnly: true, bus: new EventBus() });
  for (const w of build.resolutionWarnings) process.stderr.write(`dib: warning: ${w}\n`);
  return build;
}

/**
 * A planned build of just `elements` (and their deps), no base, no operating system: for
 * commands that ask an element's answer to a core hook (`dib pkg-map`, `dib packages`).
 */
export async function elementsBuild(elements: string[], configPath?: string): Promise<DibBuild> {
  const config = await loadConfig({ configPath, overrides: { elements, skipBase: true } });
  return createBuild({ config, planOnly: true, requireOs: false, bus: new EventBus() });
}

export function helpRequested(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
