#!/usr/bin/env node
/**
 * dib's command line. Commands load lazily so that `dib --help` starts fast.
 */
import { isDibError, toDibError, EXIT_USAGE } from '../errors.js';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMMANDS, commandSpec } from './commands.js';

export { setDibInstall } from '../util/dib-install.js';
export type { DibInstall } from '../util/dib-install.js';

export function version(): string {
  const pj = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pj.version;
}

export function usage(): string {
  const lines = [
    'Usage: dib <command> [options] [elements…]',
    '',
    'dib builds bootable disk images from elements, like diskimage-builder.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -V, --version  print the version',
    '',
    'The commands that read a config take --config PATH (default: dib.config.ts, .dibrc*,',
    "package.json#dib in the current directory). Run 'dib help <command>' (or 'dib <command> --help')",
    "for a command's options.",
    '',
    'Examples:',
    '  dib build                                 build the image described by ./dib.config.ts',
    '  dib build -o img -t tar busybox-root      no config file: DIB-style arguments',
    '  dib build -o debian -t qcow2 vm debian-minimal',
    '  dib plan                                  show what would run, phase by phase',
    '  dib config                                the resolved config and where each value came from',
    '  dib boot debian.qcow2 --firmware uefi     boot it in QEMU',
    '  dib doctor --fix                          install the host tools the config needs',
  ];
  return lines.join('\n');
}

/** `dib help [COMMAND]`. */
export async function helpCommand(argv: string[]): Promise<number> {
  const { formatHelp } = await import('./help.js');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(formatHelp(commandSpec('help')!) + '\n');
    return 0;
  }
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const { DibError } = await import('../errors.js');
  if (rest.length) throw new DibError('E_USAGE', `dib help takes one command, got: ${argv.join(' ')}`, { hint: 'dib help build' });
  const spec = commandSpec(name);
  if (!spec) {
    const { didYouMean } = await import('../util/suggest.js');
    throw new DibError('E_USAGE', `unknown command '${name}'${didYouMean(name, COMMANDS.map((c) => c.name))}`, { hint: "run 'dib help' for the list of commands" });
  }
  process.stdout.write(formatHelp(spec) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h') {
    process.stdout.write(usage() + '\n');
    return cmd === undefined ? EXIT_USAGE : 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === '-v') {
    process.stdout.write(`dib ${version()}\n`);
    return 0;
  }
  const command = commandSpec(cmd);
  try {
    if (!command) {
      const { didYouMean } = await import('../util/suggest.js');
      const { DibError } = await import('../errors.js');
      const option = cmd.startsWith('-');
      throw new DibError('E_USAGE', option ? `unknown option ${cmd} (options go after the command)` : `unknown command '${cmd}'${didYouMean(cmd, COMMANDS.map((c) => c.name))}`, {
        hint: "run 'dib --help' for the list of commands",
      });
    }
    const run = await command.load();
    return await run(rest);
  } catch (e) {
    printError(e);
    return isDibError(e) ? e.exitCode : 1;
  }
}

export function printError(e: unknown): void {
  const err = toDibError(e);
  const problems = (err as { lines?: () => string[] }).lines;
  if (typeof problems === 'function') {
    // a config problem per line, each with its fix (config/problems.ts)
    for (const l of problems.call(err)) process.stderr.write(`dib: error ${l}\n`);
    return;
  }
  process.stderr.write(`dib: error ${err.toLine()}\n`);
  for (const d of err.details) process.stderr.write(`  | ${d}\n`);
  if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
  if (process.env.DIB_DEBUG_TRACE && process.env.DIB_DEBUG_TRACE !== '0') {
    process.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack}\n`);
  }
}

function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // A command whose promise never settles must not end as a silent exit 0 when the event loop
  // drains (an element's apply() or a config that never settles, in dib plan, packages, …).
  // dib build has its own guard (cli/process-guard.ts), which cleans up first: it is then the
  // second beforeExit listener and this one stands aside.
  process.on('beforeExit', () => {
    if (process.listenerCount('beforeExit') > 1) return;
    process.stderr.write(`dib: error [E_STALLED] dib ${process.argv[2] ?? ''}: a promise never settled, and nothing else was left to run\n  hint: an element's apply() or the config file returns a promise that never resolves\n`);
    process.exit(1);
  });
  // Exit explicitly: a timer or handle left by element code (an abandoned tap) must not keep
  // dib alive after the command is done (stdout and stderr writes are synchronous here).
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      printError(e);
      process.exit(1);
    },
  );
}
