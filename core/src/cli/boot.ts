/**
 * `dib boot IMAGE`: boot a disk image in QEMU, show its serial console and report whether it
 * reached a login prompt.
 */
import { resolve } from 'node:path';
import { DibError } from '../errors.js';
import type { Logger } from '../vocabulary.js';
import { bootImage, type BootOptions, type BootResult } from '../boot/index.js';
import type { Accel, Firmware } from '../boot/qemu-args.js';
import { commandOptions, parseArgv, stringValue } from './args.js';
import { commandSpec } from './commands.js';

export interface BootCliOptions {
  image: string;
  firmware: Firmware;
  timeout: number;
  memoryMiB: number;
  accel: Accel | 'auto';
  quiet: boolean;
  network: boolean;
}

function usageError(message: string, hint = "see 'dib boot --help'"): DibError {
  return new DibError('E_USAGE', message, { hint });
}

function positiveNumber(name: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!value.trim() || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw usageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number, not '${value}'`, `for example --${name} ${name === 'memory' ? '2048' : '300'}`);
  }
  return n;
}

/** Parse `dib boot` arguments (pure); `'help'` when help was asked for. */
export function parseBootArgs(argv: readonly string[], cwd = process.cwd()): BootCliOptions | 'help' {
  const spec = commandSpec('boot')!;
  let parsed;
  try {
    parsed = parseArgv('boot', argv, commandOptions(spec));
  } catch (e) {
    if (argv.includes('--help') || argv.includes('-h')) return 'help';
    throw e;
  }
  const { positionals } = parsed;
  const values = {
    help: parsed.values.has('help'),
    firmware: stringValue(parsed, 'firmware'),
    accel: stringValue(parsed, 'accel'),
    timeout: stringValue(parsed, 'timeout'),
    memory: stringValue(parsed, 'memory'),
    quiet: parsed.values.has('quiet'),
    'no-network': parsed.values.has('no-network'),
  };
  if (values.help) return 'help';
  if (positionals.length === 0) throw usageError('dib boot needs the disk image to boot', 'dib boot image.qcow2');
  if (positionals.length > 1) throw usageError(`dib boot takes one image, got ${positionals.length}: ${positionals.join(' ')}`, 'dib boot image.qcow2');
  const firmware = values.firmware ?? 'uefi';
  if (firmware !== 'uefi' && firmware !== 'bios') throw usageError(`--firmware must be uefi or bios, not '${firmware}'`, 'for example --firmware bios');
  const accel = values.accel ?? 'auto';
  if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') throw usageError(`--accel must be auto, kvm or tcg, not '${accel}'`);
  return {
    image: resolve(cwd, positionals[0]!),
    firmware,
    timeout: values.timeout === undefined ? 600 : positiveNumber('timeout', values.timeout, false),
    memoryMiB: values.memory === undefined ? 1024 : positiveNumber('memory', values.memory, true),
    accel,
    quiet: values.quiet ?? false,
    network: !values['no-network'],
  };
}

/** The closing line of `dib boot` (without the `dib: boot: ` prefix). */
export function describeBootResult(r: BootResult, timeout: number): string {
  const how = `(${r.firmware}, ${r.accel})`;
  const at = `after ${r.seconds.toFixed(1)} s`;
  switch (r.reason) {
    case 'login':
      return `login prompt reached ${at} ${how}`;
    case 'panic':
      return `kernel panic ${at} ${how}: ${r.detail ?? ''}`.trimEnd();
    case 'emergency':
      return `emergency shell ${at} ${how}: ${r.detail ?? ''}`.trimEnd();
    case 'initramfs':
      return `dropped to the initramfs shell ${at} ${how}: ${r.detail ?? ''}`.trimEnd();
    case 'timeout':
      return `timeout: no login prompt within ${timeout} s ${how}`;
    case 'exited':
      return `${r.detail ?? 'QEMU exited before a login prompt'} ${at} ${how}`;
  }
}

export interface BootCommandIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** replaces bootImage (tests) */
  boot?: (opts: BootOptions) => Promise<BootResult>;
}

function stderrLogger(err: NodeJS.WritableStream): Logger {
  const debug = !!process.env.DIB_DEBUG_TRACE && process.env.DIB_DEBUG_TRACE !== '0';
  const l: Logger = {
    debug: (m) => {
      if (debug) err.write(`dib: ${m}\n`);
    },
    info: (m) => err.write(`dib: ${m}\n`),
    warn: (m) => err.write(`dib: warning: ${m}\n`),
    error: (m) => err.write(`dib: error: ${m}\n`),
    child: () => l,
  };
  return l;
}

/** `dib boot`: returns the exit status; usage errors and failures to start are thrown as DibErrors. */
export async function bootCommand(argv: string[], io: BootCommandIO = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const opts = parseBootArgs(argv);
  if (opts === 'help') {
    const { formatHelp } = await import('./help.js');
    out.write(`${formatHelp(commandSpec('boot')!)}\n`);
    return 0;
  }
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await (io.boot ?? bootImage)({
      image: opts.image,
      firmware: opts.firmware,
      timeout: opts.timeout,
      memoryMiB: opts.memoryMiB,
      accel: opts.accel,
      network: opts.network,
      log: stderrLogger(err),
      signal: ac.signal,
      onConsoleLine: opts.quiet ? undefined : (line) => out.write(`${line}\n`),
    });
    out.write(`dib: boot: ${describeBootResult(r, opts.timeout)}\n`);
    return r.ok ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
