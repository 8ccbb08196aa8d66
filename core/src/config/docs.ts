/**
 * The README's config table, generated from the settings table (a test keeps the README
 * equal to it: change settings.ts, then paste `configTableMarkdown()`'s output).
 */
import { SETTINGS, type SettingSpec } from './settings.js';

export const TABLE_BEGIN = '<!-- config-table: generated from core/src/config/settings.ts; test/unit/config-docs.test.ts checks it -->';
export const TABLE_END = '<!-- /config-table -->';

function code(s: string): string {
  return `\`${s}\``;
}

function defaultCell(s: SettingSpec): string {
  if (s.defaultText !== undefined) return s.defaultText;
  const d = s.default;
  if (d === undefined) return '—';
  if (typeof d === 'string') return code(d);
  if (Array.isArray(d)) return code(`[${d.map((x) => `'${String(x)}'`).join(', ')}]`);
  if (typeof d === 'object') return code(JSON.stringify(d));
  return code(String(d));
}

function flagCell(s: SettingSpec): string {
  if (s.positional) return 'positional';
  if (!s.flag) return '—';
  const f = s.flag;
  const spelled = [...(f.short ? [`-${f.short}`] : []), `--${f.long}`].map(code).join(' ');
  return f.value ? `${spelled} ${f.value.replace(/\|/g, '\\|')}` : spelled;
}

function envCell(s: SettingSpec): string {
  return s.env ? code(s.env.name) : '—';
}

export function configTableMarkdown(): string {
  const rows = ['| key | type | default | command line | environment | what it does |', '|---|---|---|---|---|---|'];
  for (const [key, s] of Object.entries(SETTINGS) as Array<[string, SettingSpec]>) {
    const doc = s.dib ? `${s.doc}; DIB: ${s.dib}` : s.doc;
    rows.push(`| ${code(key)} | ${s.type} | ${defaultCell(s)} | ${flagCell(s)} | ${envCell(s)} | ${doc} |`);
  }
  return [TABLE_BEGIN, ...rows, TABLE_END].join('\n');
}
