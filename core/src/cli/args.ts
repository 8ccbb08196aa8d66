/**
 * Command-line parsing, generated from the command table (commands.ts) and the settings
 * table (config/settings.ts), with GNU getopt's rules as disk-image-create uses them: an
 * option that takes a value takes the next argument whatever it starts with
 * (`--mkfs-options "-m 1"` and `--mkfs-options=-m 1` alike), short options bundle (`-xu`,
 * `-ofile`), options and element names mix, and `--` ends the options.
 */
import { FlagProblem, SETTINGS, type SettingSpec } from '../config/settings.js';
import type { ConfigProblem } from '../config/problems.js';
import type { DibConfig } from '../config/schema.js';
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { HELP_OPTION, commandSpec, type CommandSpec, type OptionSpec } from './commands.js';

/** An option as the parser sees it, with the setting it sets (settings' flags). */
export interface CliOption extends OptionSpec {
  setting?: string;
  /** the setting's default and variable, for help */
  defaultText?: string;
  env?: string;
}

export type OptionValue = string | string[] | true | number;

export interface ParsedArgs {
  /** by long name: the value, the values of a repeatable option, true or a count for switches */
  values: Map<string, OptionValue>;
  positionals: string[];
}

function defaultText(s: SettingSpec): string | undefined {
  if (s.defaultText !== undefined) return s.defaultText.startsWith('—') ? undefined : s.defaultText.replace(/`/g, '');
  if (typeof s.default === 'function' || s.default === undefined) return undefined;
  if (typeof s.default === 'boolean') return undefined;
  if (Array.isArray(s.default)) return s.default.length ? s.default.join(',') : undefined;
  if (typeof s.default === 'object') return undefined;
  return String(s.default);
}

/** The options of the settings a command takes, in the table's order. */
export function settingOptions(which: CommandSpec['settings']): CliOption[] {
  if (!which) return [];
  const out: CliOption[] = [];
  for (const [key, s] of Object.entries(SETTINGS) as Array<[string, SettingSpec]>) {
    if (!s.flag || (which !== 'all' && !which.includes(key))) continue;
    const o: CliOption = { long: s.flag.long, doc: (s.flag.doc ?? s.doc).replace(/`/g, ''), setting: key };
    if (s.flag.short) o.short = s.flag.short;
    if (s.flag.value) o.value = s.flag.value;
    if (s.flag.repeat) o.repeat = true;
    if (s.flag.complete) o.complete = s.flag.complete;
    const d = defaultText(s);
    if (d) o.defaultText = d;
    if (s.env && !s.env.name.includes('*')) o.env = s.env.name;
    out.push(o);
  }
  return out;
}

/** Every option of a command: its settings' flags, its own options, -h/--help. */
export function commandOptions(spec: CommandSpec): CliOption[] {
  return [...settingOptions(spec.settings), ...spec.options, HELP_OPTION];
}

function usage(command: string, message: string): DibError {
  return new DibError('E_USAGE', `dib ${command}: ${message}`, { hint: `see 'dib ${command} --help'` });
}

/** Parse `argv` against `options` (getopt's rules); unknown options are E_USAGE with a did-you-mean. */
export function parseArgv(command: string, argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(options.map((o) => [o.long, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values = new Map<string, OptionValue>();
  const positionals: string[] = [];
  const set = (o: OptionSpec, value: string | true) => {
    if (value === true) values.set(o.long, o.repeat ? (Number(values.get(o.long) ?? 0) || 0) + 1 : true);
    else if (o.repeat) values.set(o.long, [...((values.get(o.long) as string[] | undefined) ?? []), value]);
    else values.set(o.long, value);
  };
  const spell = (o: OptionSpec) => (o.short ? `-${o.short}/--${o.long}` : `--${o.long}`);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const o = byLong.get(name);
      if (!o) throw usage(command, `unknown option --${name}${didYouMean(`--${name}`, [...byLong.keys()].map((k) => `--${k}`))}`);
      if (o.value === undefined) {
        if (eq > 0) throw usage(command, `--${name} takes no value (got '${arg.slice(eq + 1)}')`);
        set(o, true);
      } else if (eq > 0) set(o, arg.slice(eq + 1));
      else {
        // getopt: the next argument is the value, even when it starts with '-'
        if (i + 1 >= argv.length) throw usage(command, `${spell(o)} needs a value (${o.value})`);
        set(o, argv[++i]!);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const o = byShort.get(c);
        if (!o) throw usage(command, `unknown option -${c}${arg.length > 2 ? ` (in ${arg})` : ''}${arg.length === 2 ? didYouMean(`-${c}`, [...byShort.keys()].map((k) => `-${k}`)) : ''}`);
        if (o.value === undefined) {
          set(o, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest) set(o, rest);
        else {
          if (i + 1 >= argv.length) throw usage(command, `${spell(o)} needs a value (${o.value})`);
          set(o, argv[++i]!);
        }
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}

/**
 * Whether help was asked for: `-h`/`--help` parsed as a switch, or (when the arguments do
 * not parse) given as an argument of its own before `--`.
 */
export function helpRequested(command: string, argv: readonly string[]): boolean {
  const spec = commandSpec(command);
  try {
    if (spec) return parseArgv(command, argv, commandOptions(spec)).values.has('help');
  } catch {
    // fall through: `dib build --bogus --help` still shows the help
  }
  const end = argv.indexOf('--');
  return (end >= 0 ? argv.slice(0, end) : argv).some((a) => a === '--help' || a === '-h');
}

export interface SettingOverrides {
  overrides: Partial<DibConfig>;
  /** how each was spelled (`--image-size`) */
  labels: Record<string, string>;
  problems: ConfigProblem[];
}

/** Config overrides from the parsed flags of the settings, and the positional element names. */
export function settingOverrides(parsed: ParsedArgs, which: CommandSpec['settings'], positionalElements = true): SettingOverrides {
  const overrides: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const o of settingOptions(which)) {
    const raw = parsed.values.get(o.long);
    if (raw === undefined) continue;
    const s = (SETTINGS as Record<string, SettingSpec>)[o.setting!]!;
    try {
      overrides[o.setting!] = s.flag!.parse ? s.flag!.parse(raw as string | string[] | true) : raw;
      labels[o.setting!] = `--${o.long}`;
    } catch (e) {
      if (!(e instanceof FlagProblem)) throw e;
      problems.push({ code: 'E_CONFIG_VALUE', where: 'command line', path: `--${o.long}`, message: e.message, fix: e.fix });
    }
  }
  if (positionalElements && parsed.positionals.length) overrides.elements = [...parsed.positionals];
  return { overrides: overrides as Partial<DibConfig>, labels, problems };
}

/** Parse a command's arguments by the command table. */
export function parseCommandArgs(command: string, argv: readonly string[]): ParsedArgs & { spec: CommandSpec } {
  const spec = commandSpec(command);
  if (!spec) throw new DibError('E_INTERNAL', `no command '${command}' in the command table`);
  return { ...parseArgv(command, argv, commandOptions(spec)), spec };
}

/** The string value of an option (the last one when repeated). */
export function stringValue(parsed: ParsedArgs, long: string): string | undefined {
  const v = parsed.values.get(long);
  if (v === undefined || v === true || typeof v === 'number') return undefined;
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function flag(parsed: ParsedArgs, long: string): boolean {
  return parsed.values.has(long);
}
