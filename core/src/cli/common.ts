/** Pieces shared by the commands: parsing by the command table, help, config loading. */
import { resolveConfigDetailed, type ResolvedDetails } from '../config/resolve.js';
import type { DibConfig, ResolvedConfig } from '../config/schema.js';
import { DibError } from '../errors.js';
import { createBuild, type DibBuild } from '../pipeline/build.js';
import { planBuildLayout } from '../pipeline/finish.js';
import { EventBus } from '../log/events.js';
import { helpRequested, parseCommandArgs, settingOverrides, stringValue, type ParsedArgs } from './args.js';
import type { CommandSpec } from './commands.js';

export async function loadConfig(opts: { configPath?: string; overrides?: Partial<DibConfig>; requireElements?: boolean; command?: string }): Promise<ResolvedConfig> {
  return (await resolveConfigDetailed({ cwd: process.cwd(), ...opts })).config;
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
  for (const w of build.resolutionWarnings) process.stderr.write(`dib: warning: ${w}\n`);
  const layout = await planBuildLayout(build);
  for (const w of layout.warnings) build.log.warn(w);
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

/** The PATH a cleared environment gets (the one DIB's chroot scripts get). */
export const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * DIB's `-c` (clear the environment), made to work: DIB re-execs itself with an empty
 * environment and then fails for want of `_LIB`. dib empties its own environment instead, so
 * nothing the caller exported reaches the config, the elements or any command the build runs;
 * only PATH (the standard one), HOME and TERM are kept.
 */
export function clearEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const keep: Record<string, string | undefined> = { PATH: STANDARD_PATH, HOME: env.HOME, TERM: env.TERM };
  for (const k of Object.keys(env)) delete env[k];
  for (const [k, x] of Object.entries(keep)) if (x !== undefined) env[k] = x;
}

export type Parsed = ParsedArgs & { spec: CommandSpec };

/**
 * Parse a command's arguments. Returns undefined after printing the help when it was asked
 * for; DIB options dib refuses are E_USAGE with the reason, those without effect print a note.
 */
export async function prepareCommand(command: string, argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<Parsed | undefined> {
  if (helpRequested(command, argv)) {
    const { formatHelp } = await import('./help.js');
    const { commandSpec } = await import('./commands.js');
    out.write(`${formatHelp(commandSpec(command)!)}\n`);
    return undefined;
  }
  const parsed = parseCommandArgs(command, argv);
  if (parsed.values.has('version')) {
    const { version } = await import('./main.js');
    out.write(`dib ${version()}\n`);
    return undefined;
  }
  for (const o of parsed.spec.options) {
    if (!parsed.values.has(o.long)) continue;
    if (o.refused) throw new DibError('E_USAGE', `dib ${command}: --${o.long} is not supported: ${o.refused.split('; ')[0]}`, { hint: o.refused.split('; ').slice(1).join('; ') || `drop --${o.long}` });
    if (o.noop) err.write(`dib: --${o.long} ignored: ${o.noop}\n`);
  }
  return parsed;
}

/**
 * The config for a parsed command: its setting flags and element names over the config file
 * and the environment (none with `-c`), every problem at once.
 */
export async function loadCommandConfig(parsed: Parsed, opts: { requireElements?: boolean; positionalElements?: boolean } = {}): Promise<ResolvedDetails> {
  if (parsed.values.has('clear-env')) clearEnvironment();
  const { overrides, labels, problems } = settingOverrides(parsed, parsed.spec.settings, opts.positionalElements ?? true);
  const trace = parsed.values.get('trace');
  if (typeof trace === 'number' && trace > 0) {
    overrides.env = { ...(overrides.env ?? {}), DIB_DEBUG_TRACE: String(trace) };
    labels.env ??= '-x';
  }
  return resolveConfigDetailed({
    cwd: process.cwd(),
    configPath: stringValue(parsed, 'config'),
    overrides,
    overrideLabels: labels,
    cliProblems: problems,
    processEnv: process.env,
    requireElements: opts.requireElements,
    command: parsed.spec.name,
  });
}
