/** Identifiers both documents share, derived from what they describe (same image, same ids). */
import { createHash } from 'node:crypto';
import type { SbomInput } from './types.js';

/**
 * A UUID (RFC 9562 version 8, name-based) from the image's name and its outputs' sha256: the
 * same image gets the same document namespace and serial number, another image another one.
 */
export function documentUuid(input: Pick<SbomInput, 'name' | 'outputs'>): string {
  const h = createHash('sha256')
    .update(input.name)
    .update('\0')
    .update(input.outputs.map((o) => `${o.format}:${o.sha256}`).join('\n'))
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Every `LicenseRef-…` id the expressions use, sorted. */
export function licenseRefsIn(expressions: ReadonlyArray<string | undefined>): string[] {
  const out = new Set<string>();
  for (const e of expressions) for (const m of e?.matchAll(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) out.add(m[0]);
  return [...out].sort();
}
