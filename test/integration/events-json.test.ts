/**
 * `dib build --json` against docs/events.md: every line of a real busybox-root build is one
 * JSON object whose type and fields are documented there (types, required fields, no others).
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, dib, fixtureElement } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

interface FieldSpec {
  name: string;
  type: string;
  required: boolean;
}

/** The tables of docs/events.md: event type → fields. */
function documentedSchema(): Map<string, FieldSpec[]> {
  const md = fs.readFileSync(path.join(REPO, 'docs', 'events.md'), 'utf8');
  const schema = new Map<string, FieldSpec[]>();
  for (const section of md.split(/^### /m).slice(1)) {
    const m = /^`([a-z-]+)`/.exec(section);
    if (!m) continue;
    const fields: FieldSpec[] = [];
    for (const line of section.split('\n')) {
      const cells = line
        .replace(/\\\|/g, '\u0000')
        .split('|')
        .map((c) => c.trim().replace(/\u0000/g, '|'));
      // | `name` | `type` | yes/no | meaning |
      if (cells.length < 5 || !/^`[\w.]+`$/.test(cells[1]!)) continue;
      fields.push({ name: cells[1]!.slice(1, -1), type: cells[2]!.replace(/`/g, ''), required: cells[3] === 'yes' });
    }
    schema.set(m[1]!, fields);
  }
  return schema;
}

function typeOk(type: string, v: unknown): boolean {
  if (type.startsWith('"')) return type.split('|').map((s) => JSON.parse(s.trim())).includes(v);
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      throw new Error(`docs/events.md: unknown type ${type}`);
  }
}

/** Problems of one event against the schema ([] when valid). */
function validate(schema: Map<string, FieldSpec[]>, ev: Record<string, unknown>): string[] {
  const fields = schema.get(String(ev.type));
  if (!fields) return [`undocumented event type ${String(ev.type)}`];
  const problems: string[] = [];
  const check = (obj: Record<string, unknown>, prefix: string) => {
    const specs = fields.filter((f) => f.name.startsWith(prefix) && !f.name.slice(prefix.length).includes('.'));
    for (const key of Object.keys(obj)) if (!specs.some((f) => f.name === prefix + key)) problems.push(`${ev.type}: undocumented field ${prefix}${key}`);
    for (const f of specs) {
      const v = obj[f.name.slice(prefix.length)];
      if (v === undefined) {
        if (f.required) problems.push(`${ev.type}: missing ${f.name}`);
        continue;
      }
      if (v === null) problems.push(`${ev.type}: ${f.name} is null`);
      else if (!typeOk(f.type, v)) problems.push(`${ev.type}: ${f.name} is ${JSON.stringify(v)}, not ${f.type}`);
      else if (f.type === 'object') check(v as Record<string, unknown>, `${f.name}.`);
    }
  };
  check(ev, '');
  if (typeof ev.time === 'string' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ev.time)) problems.push(`${ev.type}: time ${ev.time} is not ISO 8601 UTC`);
  return problems;
}

test('docs/events.md documents every event type of core/src/log/events.ts', (t) => {
  const src = fs.readFileSync(path.join(REPO, 'core', 'src', 'log', 'events.ts'), 'utf8');
  const union = /export type BuildEvent =([\s\S]+?);\n\n/.exec(src)![1]!;
  const types = [...union.matchAll(/type: '([a-z-]+)'/g)].map((m) => m[1]!);
  t.true(types.length >= 9);
  const schema = documentedSchema();
  t.deepEqual(types.filter((x) => !schema.has(x)), []);
  t.deepEqual([...schema.keys()].filter((x) => !types.includes(x)), []);
  for (const [type, fields] of schema) {
    t.truthy(fields.find((f) => f.name === 'type' && f.type === `"${type}"` && f.required), `${type}: type field`);
    t.truthy(fields.find((f) => f.name === 'time' && f.required), `${type}: time field`);
  }
});

test('every line of a busybox-root build with --json is a documented event', async (t) => {
  const dir = await tmpDir('dib-events-');
  const r = await dib(['build', '--json', '-o', 'img', '-t', 'tar,raw', '--work-dir', path.join(dir, 'work'), 'busybox-root', fixtureElement('probe')], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const schema = documentedSchema();
  const lines = r.stdout.split('\n').filter(Boolean);
  t.true(lines.length > 50, `${lines.length} lines`);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const problems = events.flatMap((e) => validate(schema, e));
  t.deepEqual(problems, []);
  const types = new Set(events.map((e) => e.type));
  for (const ty of ['build-start', 'phase-start', 'phase-end', 'tap-start', 'tap-end', 'log', 'progress', 'output', 'result']) t.true(types.has(ty), `saw ${ty}`);
  t.is(events[0]!.type, 'build-start');
  t.is(events.at(-1)!.type, 'result');
  t.is(events.at(-1)!.ok, true);
  t.deepEqual(events.filter((e) => e.type === 'phase-start').map((e) => e.phase), ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'block-device', 'pre-finalise', 'finalise', 'cleanup']);
  t.true(events.some((e) => e.type === 'log' && e.scope === 'probe'), 'log lines carry their element');
  t.deepEqual(events.filter((e) => e.type === 'output').map((e) => e.format).sort(), ['raw', 'tar']);
  // nothing else on stdout; the validator itself rejects what it should
  t.deepEqual(validate(schema, { type: 'tap-end', time: '2026-01-01T00:00:00.000Z', phase: 'x', element: 'e', tap: 't', stage: 1, seconds: 1 }), ['tap-end: missing ok']);
  t.deepEqual(validate(schema, { type: 'log', time: 'yesterday', level: 'loud', message: 'x', extra: 1 }), ['log: undocumented field extra', 'log: level is "loud", not "debug" | "info" | "warn" | "error"', 'log: time yesterday is not ISO 8601 UTC']);
});

test('with phase checkpoints: checkpoint events, and phase-end saying cached or why not, are documented', async (t) => {
  const dir = await tmpDir('dib-events-');
  const args = ['build', '--json', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(dir, 'cache'), 'busybox-root', fixtureElement('probe')];
  const schema = documentedSchema();
  const events = async () => {
    const r = await dib(args, { cwd: dir, env: { DIB_NO_CACHE: '' } });
    t.is(r.exitCode, 0, r.all);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  const cold = await events();
  t.deepEqual(cold.flatMap((e) => validate(schema, e)), []);
  t.deepEqual(cold.filter((e) => e.type === 'checkpoint').map((e) => [e.checkpoint, e.action]), [['root', 'stored'], ['post-install', 'stored'], ['post-root', 'stored'], ['image', 'stored']]);
  t.true(cold.filter((e) => e.type === 'phase-end').every((e) => e.cached === false && typeof e.reason === 'string'));
  const warm = await events();
  t.deepEqual(warm.flatMap((e) => validate(schema, e)), []);
  t.true(warm.filter((e) => e.type === 'phase-end').every((e) => e.cached === true && e.reason === undefined));
  t.deepEqual(warm.filter((e) => e.type === 'checkpoint').map((e) => [e.checkpoint, e.action]), [['image', 'restored']]);
  t.false(warm.some((e) => e.type === 'tap-start'));
});

test('a failing build ends with a result carrying the error code, message and hint', async (t) => {
  const dir = await tmpDir('dib-events-');
  const r = await dib(['build', '--json', '-o', 'img', '-t', 'tar', '--work-dir', path.join(dir, 'work'), 'busybox-root', fixtureElement('fail-at')], {
    cwd: dir,
    env: { DIB_TEST_FAIL_PHASE: 'install' },
  });
  t.is(r.exitCode, 1);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const schema = documentedSchema();
  t.deepEqual(events.flatMap((e) => validate(schema, e)), []);
  const last = events.at(-1)!;
  t.is(last.type, 'result');
  t.is(last.ok, false);
  t.like(last.error as object, { code: 'E_TAP_FAILED' });
  t.true(events.some((e) => e.type === 'tap-end' && e.ok === false && e.element === 'fail-at'));
});
