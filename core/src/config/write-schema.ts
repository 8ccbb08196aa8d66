/**
 * Build step: write @dib/core's `schema.json` from the settings table
 * (`node core/dist/config/write-schema.js`, run by `npm run build` after tsc).
 */
import { writeFileSync, renameSync } from 'node:fs';
import { configJsonSchema } from './json-schema.js';
import { shippedSchemaPath } from './schema-file.js';

export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

const file = shippedSchemaPath();
const tmp = `${file}.${process.pid}.tmp`;
writeFileSync(tmp, schemaText());
renameSync(tmp, file);
