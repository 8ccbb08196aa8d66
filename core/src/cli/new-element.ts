/** `dib new-element NAME`: create the element package dib-element-NAME/ in the current directory. */
import fs from 'node:fs';
import path from 'node:path';
import { DibError } from '../errors.js';
import { assertElementName, elementFiles, elementPackageName } from '../scaffold/element.js';
import { stringValue } from './args.js';
import { prepareCommand } from './common.js';
import { version } from './main.js';

export async function newElementCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('new-element', argv);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const flags = { force: parsed.values.has('force'), dir: stringValue(parsed, 'dir'), scope: stringValue(parsed, 'scope') };
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
