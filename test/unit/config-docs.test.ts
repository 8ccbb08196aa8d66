/**
 * The README's config table and the shipped schema.json are the settings table's: a test
 * fails when either drifts (as ux-errors-doc.test.ts does for error codes).
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, TABLE_BEGIN, TABLE_END } from '#core/config/docs.js';
import { configJsonSchema } from '#core/config/json-schema.js';
import { SETTINGS } from '#core/config/settings.js';
import { shippedSchemaPath } from '#core/config/schema-file.js';
import { REPO } from '../helpers/cli.js';

test('the README config table is the settings table', (t) => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  t.true(start >= 0 && end > start, 'README.md has no generated config table');
  const actual = readme.slice(start, end + TABLE_END.length);
  const expected = configTableMarkdown();
  t.is(actual, expected, `README.md's config table differs from core/src/config/settings.ts; replace it with:\n${expected}`);
  // one row per setting, in the table's order
  const keys = [...actual.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  t.deepEqual(keys, Object.keys(SETTINGS));
});

test('schema.json ships in @dib/core, generated from the table', (t) => {
  const file = shippedSchemaPath();
  t.is(file, path.join(REPO, 'core', 'schema.json'));
  t.true(fs.existsSync(file), 'core/schema.json is missing: run npm run build');
  t.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), configJsonSchema(), 'core/schema.json is stale: run npm run build');
  const pj = JSON.parse(fs.readFileSync(path.join(REPO, 'core', 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
  t.true(pj.files.includes('schema.json'));
  t.is(pj.exports['./schema.json'], './schema.json');
});

test('the JSON Schema describes every key, accepts $schema and refuses others', (t) => {
  const s = configJsonSchema() as { additionalProperties: boolean; properties: Record<string, { description: string; type?: unknown; items?: { enum?: string[] } }> };
  t.false(s.additionalProperties);
  t.deepEqual(Object.keys(s.properties), Object.keys(SETTINGS));
  t.truthy(s.properties.$schema);
  for (const [k, p] of Object.entries(s.properties)) t.true(p.description.length > 5, k);
  // open to elements' output types: the built-in names are the known values editors offer
  t.deepEqual((s.properties.types!.items as { anyOf: Array<{ enum?: string[] }> }).anyOf[0]!.enum, ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs']);
  t.regex(s.properties.imageSize!.description, /--image-size.*DIB_IMAGE_SIZE/);
  t.deepEqual(s.properties.checksum!.type, 'boolean');
});
