#!/usr/bin/env node
/**
 * dib's command line. Commands load lazily so that `dib --help` starts fast.
 */
import { isDibError, toDibError, EXIT_USAGE } from '../errors.js';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Command {
  summary: string;
  load: () => Promise<(argv: string[]) => Promise<number>>;
}

const COMMANDS: Record<string, Command> = {
  build: { summary: 'build an image from dib.config.ts or DIB-style arguments', load: async () => (await import('./build.js')).buildCommand },
  plan: { summary: 'print the ordered taps of every phase, without building', load: async () => (await import('./plan.js')).planCommand },
  'element-info': { summary: "resolve and expand elements (DIB's element-info)", load: async () => (await import('./element-info.js')).elementInfoCommand },
  packages: { summary: 'print the squashed package-installs result', load: async () => (await import('./packages.js')).packagesCommand },
  'pkg-map': { summary: "map generic package names for a distro (DIB's pkg-map)", load: async () => (await import('./pkg-map.js')).pkgMapCommand },
  boot: { summary: 'boot an image in QEMU and wait for the login prompt', load: async () => (await import('./boot.js')).bootCommand },
  doctor: { summary: 'check the host for what the config needs; print the apt-get line', load: async () => (await import('./doctor.js')).doctorCommand },
  init: { summary: 'write a commented dib.config.ts in the current directory', load: async () => (await import('./init.js')).initCommand },
  'new-element': { summary: 'create an element package dib-element-NAME/', load: async () => (await import('./new-element.js')).newElementCommand },
};

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
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`),
    '',
    'Every command takes --config PATH (default: dib.config.ts/.dibrc*/package.json#dib in the current directory).',
    "Run 'dib <command> --help' for a command's options.",
    '',
    'Examples:',
    '  dib build                                 build the image described by ./dib.config.ts',
    '  dib build -o img -t tar busybox-root      no config file: DIB-style arguments',
    '  dib build -o debian -t qcow2 vm debian-minimal',
    '  dib plan                                  show what would run, phase by phase',
    '  dib boot debian.qcow2 --firmware uefi     boot it in QEMU',
    '  dib doctor --fix                          install the host tools the config needs',
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    return cmd === undefined ? EXIT_USAGE : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`dib ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  try {
    if (!command) {
      const { didYouMean } = await import('../util/suggest.js');
      const { DibError } = await import('../errors.js');
      throw new DibError('E_USAGE', `unknown command '${cmd}'${didYouMean(cmd, Object.keys(COMMANDS))}`, { hint: "run 'dib --help' for the list of commands" });
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
