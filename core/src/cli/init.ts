/** `dib init`: write a commented dib.config.ts in the current directory. */
import fs from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { DibError } from '../errors.js';
import { configTemplate } from '../scaffold/config.js';
import { parseCommand } from './args.js';
import { helpRequested } from './common.js';

export const INIT_USAGE = `Usage: dib init [--force] [-o NAME] [-t TYPES] [elements…]

Writes a commented dib.config.ts in the current directory (default elements: vm debian-minimal,
output image.qcow2). Refuses to replace an existing one without --force.

Options:
  -o NAME        output base name (default: image)
  -t TYPES       output types, comma-separated (default: qcow2)
  --force        replace an existing dib.config.ts`;

const OPTIONS = {
  force: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  type: { type: 'string', short: 't', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export async function initCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(INIT_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<{ force?: boolean; output?: string; type?: string[] }>('init', argv, OPTIONS);
  const file = path.join(process.cwd(), 'dib.config.ts');
  if (fs.existsSync(file) && !flags.force) {
    throw new DibError('E_USAGE', `${file} already exists`, { hint: 'dib init --force replaces it' });
  }
  const types = flags.type?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, configTemplate({ elements: positionals, types, name: flags.output }));
  fs.renameSync(tmp, file);
  process.stdout.write(`wrote ${file}\nnext: dib doctor (what this host lacks), dib plan (what will run), dib build\n`);
  return 0;
}
