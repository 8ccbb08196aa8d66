/** The report `dib diff` prints: a headline, the two inputs, then one line per difference. */
import type { DiffResult, Difference } from './types.js';

const SHOWN = 64;

function short(v: string | undefined): string {
  if (v === undefined) return '(absent)';
  const m = /^sha256:([0-9a-f]{64})$/.exec(v);
  if (m) return `sha256:${m[1]!.slice(0, 16)}…`;
  return v.length > SHOWN ? `${v.slice(0, SHOWN - 1)}…` : v || '(empty)';
}

/** One difference as a line: `partition 1 (root) ext4: Filesystem UUID: 1… → 2…`. */
export function differenceLine(d: Difference): string {
  return `${d.where}${d.path ? ` ${d.path}` : ''}: ${d.field}: ${short(d.a)} → ${short(d.b)}`;
}

/** `mtime 306, content 2, Filesystem UUID 1`: how many differences of each field, in order of first appearance. */
export function fieldCounts(diffs: readonly Difference[], most = 12): string {
  const counts = new Map<string, number>();
  for (const d of diffs) counts.set(d.field, (counts.get(d.field) ?? 0) + 1);
  const parts = [...counts].map(([f, n]) => `${f} ${n}`);
  return parts.length > most ? `${parts.slice(0, most).join(', ')}, … (${parts.length - most} more fields)` : parts.join(', ');
}

/** The text report; `max` differences are listed (0: all). */
export function formatDiff(r: DiffResult, max = 20): string[] {
  const lines: string[] = [];
  if (r.identical) {
    lines.push(`dib diff: identical${r.a.sha256 && r.a.sha256 === r.b.sha256 ? ` (sha256 ${r.a.sha256})` : ''}`);
    lines.push(`  A: ${r.a.path}`, `  B: ${r.b.path}`);
    return lines;
  }
  const n = r.differences.length;
  lines.push(`dib diff: A and B differ (${n} difference${n === 1 ? '' : 's'})`);
  lines.push(`  A: ${r.a.path}: ${r.a.summary}${r.a.sha256 ? `, sha256 ${r.a.sha256.slice(0, 16)}…` : ''}`);
  lines.push(`  B: ${r.b.path}: ${r.b.summary}${r.b.sha256 ? `, sha256 ${r.b.sha256.slice(0, 16)}…` : ''}`);
  lines.push(`  by field: ${fieldCounts(r.differences)}`);
  const shown = max > 0 ? r.differences.slice(0, max) : r.differences;
  for (const d of shown) lines.push(`  ${differenceLine(d)}`);
  if (shown.length < n) lines.push(`  … and ${n - shown.length} more (--max 0 lists them all, --json gives every one with full values)`);
  return lines;
}
