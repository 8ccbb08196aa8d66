/** `dib new-element NAME`: create the element package dib-element-NAME/ in the current directory. */
import fs from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { DibError } from '../errors.js';
import { assertElementName, elementFiles, elementPackageName } from '../scaffold/element.js';
import { parseCommand } from './args.js';
import { helpRequested } from './common.js';
import { version } from './main.js';

export const NEW_ELEMENT_USAGE = `Usage: dib new-element [--scope @SCOPE] [--force] [--dir DIR] NAME

Creates dib-element-NAME/: a publishable npm package dib-element-NAME (or @SCOPE/dib-element-NAME),
keyword dib-element, @dib/core as a peer dependency, dib as a dev dependency, with
src/index.ts holding one tap, a test that runs it on dib's real hooks (@dib/core/testing,
node --test), a tsconfig and a README. Once installed in an image project (npx dib add
PACKAGE), \`dib build … NAME\` picks it up.

Options:
  --scope @SCOPE  publish under an npm scope: @SCOPE/dib-element-NAME
  --dir DIR       where to create the package directory (default: the current directory)
  --force         write into an existing directory`;

const OPTIONS = {
  force: { type: 'boolean' },
  scope: { type: 'string' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export async function newElementCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(NEW_ELEMENT_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<{ force?: boolean; dir?: string; scope?: string }>('new-element', argv, OPTIONS);
  if (positionals.length !== 1) {
    throw new DibError('E_USAGE', 'dib new-element takes one element name', { hint: 'dib new-element my-element' });
  }
  const name = positionals[0]!.replace(/^dib-element-/, '');
  assertElementName(name);
  const dir = path.resolve(flags.dir ?? process.cwd(), `dib-element-${name}`);
  if (fs.existsSync(dir) && !flags.force) {
    throw new DibError('E_USAGE', `${dir} already exists`, { hint: 'choose another name, or --force to write into it' });
  }
  const pkg = elementPackageName(name, flags.scope);
  for (const [rel, text] of Object.entries(elementFiles(name, { coreVersion: version(), scope: flags.scope }))) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  const rel = path.relative(process.cwd(), dir) || '.';
  process.stdout.write(
    [
      `created ${dir} (package ${pkg})`,
      'next:',
      `  cd ${rel} && npm install && npm test`,
      `  npx dib plan busybox-root ${name}                # in ${rel}: where its tap runs`,
      `  sudo npx dib build -t tar busybox-root ${name}   # a real build, in seconds`,
      `  npm publish, then in an image project: npx dib add ${pkg}`,
      '',
    ].join('\n'),
  );
  return 0;
}
