/** `dib init`: write a commented dib.config.ts (or a .dibrc.json/.dibrc.yaml naming the JSON Schema) here. */
import fs from 'node:fs';
import path from 'node:path';
import { DibError } from '../errors.js';
import { configTemplate } from '../scaffold/config.js';
import { jsonConfigText, schemaReference, yamlConfigText } from '../config/schema-file.js';
import { commaList } from '../config/settings.js';
import { stringValue } from './args.js';
import { prepareCommand } from './common.js';

const FORMATS = { ts: 'dib.config.ts', json: '.dibrc.json', yaml: '.dibrc.yaml' } as const;

export async function initCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('init', argv);
  if (!parsed) return 0;
  const format = stringValue(parsed, 'format') ?? 'ts';
  if (!Object.hasOwn(FORMATS, format)) {
    throw new DibError('E_USAGE', `dib init: --format ${format} is not ts, json or yaml`, { hint: 'write --format json (or yaml, or ts)' });
  }
  const cwd = process.cwd();
  const file = path.join(cwd, FORMATS[format as keyof typeof FORMATS]);
  if (fs.existsSync(file) && !parsed.values.has('force')) {
    throw new DibError('E_USAGE', `${file} already exists`, { hint: 'dib init --force replaces it' });
  }
  const typesRaw = parsed.values.get('type');
  const options = { elements: parsed.positionals, types: typesRaw === undefined ? undefined : commaList(typesRaw as string[]), name: stringValue(parsed, 'output') };
  const text = format === 'json' ? jsonConfigText(options, schemaReference(cwd)) : format === 'yaml' ? yamlConfigText(options, schemaReference(cwd)) : configTemplate(options);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  process.stdout.write(`wrote ${file}\nnext: dib doctor (what this host lacks), dib plan (what will run), dib build\n`);
  return 0;
}
