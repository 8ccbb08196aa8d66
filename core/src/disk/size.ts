/**
 * DIB size strings (docs/dib-behaviour.md#sizes): `<num>[ ]<unit>`.
 * `TiB GiB MiB KiB` are binary, `TB GB MB KB` and bare `T G M K` decimal, `B` or no unit bytes;
 * `N%` is a share of the space still free (only where DIB allows it).
 */
import { formatBytes } from '../util/bytes.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** A parsed size: absolute bytes or a percentage of the free space. */
export type SizeSpec = { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KiB,
  MiB,
  GiB,
  TiB,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)\s*$/;
const PERCENT_RE = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** Why a size string is not valid, or undefined when it is. */
function unitProblem(unit: string): string | undefined {
  if (unit in UNITS) return undefined;
  return `unknown unit '${unit}' (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, K, M, G or T)`;
}

/**
 * Parse an absolute size (number = bytes) into bytes (floored to whole bytes).
 * Returns an error text instead of throwing, so callers can name their source.
 */
export function parseAbsoluteSize(value: unknown): { bytes: number } | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { error: `size ${value} is not a non-negative number` };
    return { bytes: Math.floor(value) };
  }
  if (typeof value !== 'string') return { error: `size must be a string such as '8MiB' or a number of bytes, not ${describe(value)}` };
  const m = SIZE_RE.exec(value);
  if (!m) return { error: `'${value}' is not a size (expected <number>[ ]<unit>, e.g. '550MiB' or '2GB')` };
  const unit = m[2] ?? '';
  const problem = unitProblem(unit);
  if (problem) return { error: `'${value}': ${problem}` };
  const bytes = Math.floor(Number(m[1]) * (UNITS[unit] ?? 1));
  return { bytes };
}

/** Parse an absolute size or `N%` (0 < N ≤ 100). */
export function parseSizeSpec(value: unknown): SizeSpec | { error: string } {
  if (typeof value === 'string') {
    const p = PERCENT_RE.exec(value);
    if (p) {
      const percent = Number(p[1]);
      if (!(percent > 0 && percent <= 100)) return { error: `'${value}': a percentage must be more than 0 and at most 100` };
      return { kind: 'percent', percent };
    }
  }
  const r = parseAbsoluteSize(value);
  if ('error' in r) return r;
  return { kind: 'bytes', bytes: r.bytes };
}

/** Parse an absolute size, throwing a plain Error with the problem (for internal callers). */
export function sizeToBytes(value: string | number): number {
  const r = parseAbsoluteSize(value);
  if ('error' in r) throw new Error(r.error);
  return r.bytes;
}


/** The text form of a SizeSpec (`8 MiB`, `100%`). */
export function formatSizeSpec(spec: SizeSpec): string {
  return spec.kind === 'percent' ? `${spec.percent}%` : formatBytes(spec.bytes);
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}
