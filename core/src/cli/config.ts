/**
 * `dib config`: the resolved config (mkosi's `summary`, eslint's `--print-config`): every
 * setting as a build sees it, with where each value came from (config file, command line,
 * environment, default), the build variables, and the element closure with each element's
 * package, version and directory. `--json` for machines.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedDetails, ValueSource } from '../config/resolve.js';
import type { ResolvedConfig } from '../config/schema.js';
import { SETTINGS, type SettingSpec } from '../config/settings.js';
import { formatBytes } from '../util/bytes.js';
import { expandElements, withImplicitElements } from '../elements/expand.js';
import { ElementResolver } from '../elements/resolve.js';
import { toDibError } from '../errors.js';
import { loadCommandConfig, prepareCommand } from './common.js';

export interface ElementRow {
  name: string;
  kind: 'package' | 'directory';
  /** npm package name (package elements) */
  package?: string;
  version?: string;
  dir: string;
}

export interface ConfigReport {
  file: string | null;
  settings: Record<string, { value: unknown; from: string[] }>;
  env: Record<string, { value: string; from: string }>;
  elements: ElementRow[];
  /** why the elements could not be expanded */
  elementsError?: { code: string; message: string; hint?: string };
}

// values of variables that look like credentials are not printed
const SECRET = /PASS|SECRET|TOKEN|PRIVATE|CREDENTIAL/i;

function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The closure a build of `config` would have (implicit elements included), without loading taps. */
export async function elementClosure(config: ResolvedConfig): Promise<ElementRow[]> {
  if (config.elements.length === 0) return [];
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath });
  const requested = withImplicitElements(config.elements, { arch: config.arch, skipBase: config.skipBase });
  const { elements } = await expandElements(requested, { resolve: (n) => resolver.resolve(n) });
  return elements.map((e) => {
    const row: ElementRow = { name: e.name, kind: e.kind, dir: e.dir };
    if (e.packageName) row.package = e.packageName;
    const version = e.kind === 'package' ? packageVersion(e.dir) : undefined;
    if (version) row.version = version;
    return row;
  });
}

export async function configReport(details: ResolvedDetails): Promise<ConfigReport> {
  const { config, sources, envSources } = details;
  const settings: ConfigReport['settings'] = {};
  for (const key of Object.keys(SETTINGS)) {
    if (key === '$schema') continue;
    const value = (config as Record<string, unknown>)[key];
    settings[key] = { value: key === 'env' ? undefined : (value ?? null), from: (sources[key] ?? []).map((s: ValueSource) => s.label) };
  }
  delete settings.env;
  const env: ConfigReport['env'] = {};
  for (const [k, x] of Object.entries(config.env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    env[k] = { value: SECRET.test(k) ? '***' : x, from: envSources[k]?.label ?? 'default' };
  }
  const report: ConfigReport = { file: config.file ?? null, settings, env, elements: [] };
  try {
    report.elements = await elementClosure(config);
  } catch (e) {
    const err = toDibError(e);
    report.elementsError = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  return report;
}

function show(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  const s = (SETTINGS as Record<string, SettingSpec>)[key];
  if (typeof value === 'number' && s?.bytes) return `${formatBytes(value)} (${value} bytes)`;
  if (Array.isArray(value)) return value.length ? value.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatConfigReport(r: ConfigReport): string[] {
  const out: string[] = [`config file: ${r.file ?? 'none (command line, environment and defaults only)'}`, ''];
  const unset = (k: string) => {
    const d = (SETTINGS as Record<string, SettingSpec>)[k]?.defaultText;
    return d && !d.startsWith('—') ? `unset: ${d.replace(/`/g, '')}` : 'unset';
  };
  const rows = Object.entries(r.settings).map(([k, v]) => [k, show(k, v.value), v.from.length ? v.from.join(' + ') : unset(k)]);
  const w0 = Math.max(7, ...rows.map((x) => x[0]!.length));
  const w1 = Math.min(60, Math.max(5, ...rows.map((x) => x[1]!.length)));
  out.push(`${'setting'.padEnd(w0)}  ${'value'.padEnd(w1)}  from`);
  for (const [k, v, f] of rows) out.push(`${k!.padEnd(w0)}  ${v!.length > w1 ? v : v!.padEnd(w1)}  ${f}`);
  out.push('', `build variables (env): ${Object.keys(r.env).length ? '' : 'none'}`.trimEnd());
  const envRows = Object.entries(r.env);
  const we = Math.max(0, ...envRows.map(([k, v]) => k.length + 1 + v.value.length));
  for (const [k, v] of envRows) out.push(`  ${`${k}=${v.value}`.padEnd(we)}  ${v.from}`);
  out.push('');
  if (r.elementsError) {
    out.push(`elements: cannot expand: [${r.elementsError.code}] ${r.elementsError.message}`);
    if (r.elementsError.hint) out.push(`  hint: ${r.elementsError.hint}`);
    return out;
  }
  if (!r.elements.length) {
    out.push('elements: none');
    return out;
  }
  out.push(`elements (${r.elements.length}, with dependencies and the implicit ones, in build order):`);
  const er = r.elements.map((e) => [e.name, e.package ?? '(DIB element directory)', e.version ?? '—', e.dir]);
  const widths = [0, 1, 2].map((i) => Math.max(...er.map((x) => x[i]!.length), ['name', 'package', 'version'][i]!.length));
  out.push(`  ${'name'.padEnd(widths[0]!)}  ${'package'.padEnd(widths[1]!)}  ${'version'.padEnd(widths[2]!)}  directory`);
  for (const x of er) out.push(`  ${x[0]!.padEnd(widths[0]!)}  ${x[1]!.padEnd(widths[1]!)}  ${x[2]!.padEnd(widths[2]!)}  ${x[3]}`);
  return out;
}

export async function configCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('config', argv);
  if (!parsed) return 0;
  const details = await loadCommandConfig(parsed, { requireElements: false });
  const report = await configReport(details);
  if (parsed.values.has('json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatConfigReport(report).join('\n')}\n`);
  return report.elementsError ? 1 : 0;
}
