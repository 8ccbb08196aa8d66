/**
 * Command-line parsing for the build-like commands: DIB's disk-image-create options mapped
 * onto config overrides.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DibConfig, OutputType } from '../config/schema.js';
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

export const BUILD_OPTIONS = {
  config: { type: 'string' },
  arch: { type: 'string', short: 'a' },
  output: { type: 'string', short: 'o' },
  type: { type: 'string', short: 't', multiple: true },
  trace: { type: 'boolean', short: 'x', multiple: true },
  uncompressed: { type: 'boolean', short: 'u' },
  'skip-base': { type: 'boolean', short: 'n' },
  packages: { type: 'string', short: 'p', multiple: true },
  checksum: { type: 'boolean' },
  'image-size': { type: 'string' },
  'image-cache': { type: 'string' },
  'root-label': { type: 'string' },
  'install-type': { type: 'string' },
  'mkfs-options': { type: 'string' },
  logfile: { type: 'string' },
  offline: { type: 'boolean' },
  'work-dir': { type: 'string' },
  'elements-path': { type: 'string', multiple: true },
  env: { type: 'string', short: 'e', multiple: true },
  break: { type: 'string' },
  'check-reproducible': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  'no-tmpfs': { type: 'boolean' },
  'min-tmpfs': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type BuildFlags = {
  [K in keyof typeof BUILD_OPTIONS]?: (typeof BUILD_OPTIONS)[K] extends { multiple: true }
    ? (typeof BUILD_OPTIONS)[K] extends { type: 'boolean' }
      ? boolean[]
      : string[]
    : (typeof BUILD_OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

export interface ParsedCommand<F> {
  flags: F;
  positionals: string[];
}

export function parseCommand<F>(command: string, argv: string[], options: ParseArgsConfig['options']): ParsedCommand<F> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { flags: values as F, positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    const m = /Unknown option '(-{1,2}[^']+)'/.exec(msg);
    const names = Object.keys(options ?? {}).map((k) => `--${k}`);
    throw new DibError('E_USAGE', `dib ${command}: ${m ? `unknown option ${m[1]}${didYouMean(m[1]!, names)}` : msg}`, {
      hint: `see 'dib ${command} --help'`,
    });
  }
}

/** Comma lists, repeatable: `-t qcow2,tar -t raw` → [qcow2, tar, raw]. */
function commaList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Config overrides from build flags and positional element names. */
export function overridesFrom(flags: BuildFlags, positionals: string[]): Partial<DibConfig> {
  const env: Record<string, string> = {};
  for (const kv of flags.env ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new DibError('E_USAGE', `--env ${kv}: expected NAME=value`, { hint: 'write --env DIB_RELEASE=bookworm' });
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (flags.trace?.length) env.DIB_DEBUG_TRACE = String(flags.trace.length);
  let imageSize: number | string | undefined;
  if (flags['image-size'] !== undefined) {
    const s = flags['image-size'];
    imageSize = /^\d+(\.\d+)?$/.test(s) ? Number(s) : s;
  }
  const o: Partial<DibConfig> = {
    elements: positionals.length ? positionals : undefined,
    arch: flags.arch,
    name: flags.output,
    types: commaList(flags.type) as OutputType[] | undefined,
    packages: commaList(flags.packages),
    checksum: flags.checksum,
    imageSize,
    cacheDir: flags['image-cache'],
    rootLabel: flags['root-label'],
    installType: flags['install-type'],
    mkfsOptions: flags['mkfs-options'],
    logfile: flags.logfile,
    offline: flags.offline,
    workDir: flags['work-dir'],
    elementsPath: flags['elements-path'] ? commaList(flags['elements-path'].flatMap((p) => p.split(':'))) : undefined,
    compress: flags.uncompressed ? false : undefined,
    skipBase: flags['skip-base'],
    env: Object.keys(env).length ? env : undefined,
  };
  for (const k of Object.keys(o) as Array<keyof DibConfig>) if (o[k] === undefined) delete o[k];
  return o;
}
