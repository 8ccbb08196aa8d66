/** Pieces shared by the commands that load a config and elements. */
import { resolveConfig } from '../config/resolve.js';
import type { DibConfig, ResolvedConfig } from '../config/schema.js';
import { createBuild, type DibBuild } from '../pipeline/build.js';
import { planBuildLayout } from '../pipeline/finish.js';
import { EventBus } from '../log/events.js';

export async function loadConfig(opts: { configPath?: string; overrides?: Partial<DibConfig>; requireElements?: boolean }): Promise<ResolvedConfig> {
  return resolveConfig({ cwd: process.cwd(), configPath: opts.configPath, overrides: opts.overrides, requireElements: opts.requireElements });
}

/**
 * A build that only registers taps (dib plan, dib packages, dib doctor). Its warnings go to
 * stderr; the block-device config is checked as dib build checks it, so a config the build
 * refuses is refused here too.
 */
export async function planBuild(config: ResolvedConfig, argv: string[] = []): Promise<DibBuild> {
  const bus = new EventBus();
  bus.on((e) => {
    if (e.type === 'log' && (e.level === 'warn' || e.level === 'error')) process.stderr.write(`dib: warning: ${e.scope ? `${e.scope}: ` : ''}${e.message}\n`);
  });
  const build = await createBuild({ config, argv, planOnly: true, bus });
  const layout = await planBuildLayout(build);
  for (const w of layout.warnings) build.log.warn(w);
  return build;
}

export function helpRequested(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
