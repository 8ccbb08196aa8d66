/**
 * The JSON Schema file @dib/core ships (`schema.json`, written at build time from the
 * settings table) and the JSON and YAML configs that name it, so editors complete and check
 * `.dibrc.json` (`"$schema"`) and `.dibrc.yaml` (`# yaml-language-server: $schema=`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** schema.json of this core (next to its package.json). */
export function shippedSchemaPath(): string {
  return fileURLToPath(new URL('../../schema.json', import.meta.url));
}

/**
 * How a config in `dir` names the schema: the @dib/core that resolves from `dir` (installed
 * next to the config: `./node_modules/@dib/core/schema.json`), else this core's, relative.
 */
export function schemaReference(dir: string): string {
  let file = shippedSchemaPath();
  try {
    const pj = createRequire(path.join(dir, 'noop.js')).resolve('@dib/core/package.json');
    file = path.join(path.dirname(pj), 'schema.json');
  } catch {
    // not installed here: this dib's own schema
  }
  const rel = path.relative(dir, file).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

export interface ConfigFileOptions {
  elements?: string[];
  types?: string[];
  name?: string;
}

function content(o: ConfigFileOptions): Record<string, unknown> {
  const elements = o.elements?.length ? o.elements : ['vm', 'debian-minimal'];
  return {
    elements,
    name: o.name ?? 'image',
    types: o.types?.length ? o.types : ['qcow2'],
    env: elements.includes('debian-minimal') ? { DIB_RELEASE: 'bookworm' } : {},
  };
}

/** `.dibrc.json` naming the schema with `$schema`. */
export function jsonConfigText(o: ConfigFileOptions, schemaRef: string): string {
  return `${JSON.stringify({ $schema: schemaRef, ...content(o) }, null, 2)}\n`;
}

/** `.dibrc.yaml` naming the schema for yaml-language-server. */
export function yamlConfigText(o: ConfigFileOptions, schemaRef: string): string {
  return [
    `# yaml-language-server: $schema=${schemaRef}`,
    '# What `dib build` builds in this directory (written by `dib init`); `dib config` shows the',
    '# resolved values, `dib build --help` every setting. Command-line options override these keys.',
    stringify(content(o), { flowCollectionPadding: false }).trimEnd(),
    '',
  ].join('\n');
}
