/**
 * The JSON Schema of a config file, derived from the settings table: each key's schema
 * (converted from valibot), its description and default. Written to `schema.json` at build
 * time (write-schema.ts); editors use it for `.dibrc.json` and `.dibrc.yaml`.
 * Build-time only: @valibot/to-json-schema is a development dependency.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import { SETTINGS, type SettingSpec } from './settings.js';

function describe(s: SettingSpec): string {
  const bits = [`${s.doc.replace(/`/g, '')}.`];
  if (s.flag) bits.push(`Command line: --${s.flag.long}${s.flag.short ? ` (-${s.flag.short})` : ''}.`);
  if (s.env && !s.env.name.includes('*')) bits.push(`Environment: ${s.env.name}.`);
  return bits.join(' ');
}

export function configJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as Array<[string, SettingSpec]>) {
    const base = s.jsonSchema ?? (toJsonSchema(s.schema, { errorMode: 'ignore' }) as Record<string, unknown>);
    const { $schema: _drop, ...rest } = base;
    const prop: Record<string, unknown> = { ...rest, description: describe(s) };
    if (s.default !== undefined && typeof s.default !== 'function') prop.default = s.default;
    properties[key] = prop;
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'dib config (dib.config.ts, .dibrc.json, .dibrc.yaml, package.json#dib)',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}
