/**
 * Phase checkpoint keys, pure: which phases make a checkpoint, how a key is made from the
 * previous key and a group's inputs, and how a miss is explained by comparing the inputs with
 * those of the entry it would have used (mkosi prints its cache-manifest diff the same way).
 *
 * Inputs are a flat map from a name that says what the input is to its digest:
 *   `dib`                      dib's own package (version and content)
 *   `elements`                 the expanded element list, in order
 *   `element NAME`             an npm element: name, version and integrity (or its files' hash);
 *                              a DIB element directory: every file outside its phase directories
 *   `element NAME PHASE.d`     a DIB element directory's scripts of one phase
 *   `taps PHASE`               the taps of a phase: element, name, stage, kind, install type
 *   `env NAME`                 a build variable (per-build values left out, see checkpoints-inputs)
 *   `config KEY`               a config key that reaches the taps
 *   `input NAME …`             what an element declared in `cacheInputs`
 */
import { createHash } from 'node:crypto';
import type { PhaseName } from '../contract/phases.js';

/** Bump when what a checkpoint holds, or how it is keyed, changes: old checkpoints are not used. */
export const CHECKPOINT_FORMAT = 1;

/** The checkpoints, in order: each holds the tree after its last phase. */
export const CHECKPOINT_GROUPS = [
  { name: 'root', phases: ['root'] },
  { name: 'post-install', phases: ['extra-data', 'pre-install', 'install', 'post-install'] },
  { name: 'post-root', phases: ['post-root'] },
] as const satisfies ReadonlyArray<{ name: PhaseName; phases: readonly PhaseName[] }>;

export type CheckpointName = (typeof CHECKPOINT_GROUPS)[number]['name'];

/** The phases after the last checkpoint: they make the image, which is cached as outputs. */
export const IMAGE_PHASES = ['block-device', 'pre-finalise', 'finalise', 'cleanup'] as const satisfies readonly PhaseName[];

export type Inputs = Record<string, string>;

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function digest(v: unknown): string {
  return createHash('sha256').update(typeof v === 'string' ? v : canonical(v)).digest('hex');
}

/** A short digest for an input's value (the inputs are recorded in the cache: no secret in clear). */
export function valueDigest(v: unknown): string {
  return digest(v).slice(0, 20);
}

/** `<name>-<32 hex>`: the group's name, a hash of the previous key and the inputs. */
export function checkpointKey(name: string, parent: string | undefined, inputs: Inputs): string {
  return `${name}-${digest({ format: CHECKPOINT_FORMAT, parent: parent ?? null, inputs }).slice(0, 32)}`;
}

/** What an input's name says, in words (for a miss). */
export function describeInput(name: string): string {
  const [kind, ...rest] = name.split(' ');
  switch (kind) {
    case 'dib':
      return "dib's own code";
    case 'elements':
      return 'the element list';
    case 'element':
      return rest.length > 1 ? `element ${rest[0]}'s ${rest.slice(1).join(' ')}` : `element ${rest[0]}'s content`;
    case 'taps':
      return `the taps of ${rest.join(' ')}`;
    case 'env':
      return `env ${rest.join(' ')}`;
    case 'config':
      return `config key ${rest.join(' ')}`;
    case 'input':
      return `element ${rest[0]}'s input ${rest.slice(1).join(' ')}`;
    default:
      return name;
  }
}

export interface InputChange {
  input: string;
  change: 'changed' | 'added' | 'removed';
}

/** The inputs that differ between an entry's and ours, in our order (then removed ones). */
export function inputChanges(before: Inputs, now: Inputs): InputChange[] {
  const out: InputChange[] = [];
  for (const [k, v] of Object.entries(now)) {
    if (!Object.hasOwn(before, k)) out.push({ input: k, change: 'added' });
    else if (before[k] !== v) out.push({ input: k, change: 'changed' });
  }
  for (const k of Object.keys(before)) if (!Object.hasOwn(now, k)) out.push({ input: k, change: 'removed' });
  return out;
}

/** "element probe's finalise.d changed, env DIB_RELEASE changed" (the first few). */
export function changesText(changes: readonly InputChange[], max = 4): string {
  const words = changes.slice(0, max).map((c) => {
    const what = describeInput(c.input);
    if (c.change === 'changed') return `${what} changed`;
    if (c.input.startsWith('element ') && c.input.split(' ').length === 2) return `element ${c.input.split(' ')[1]} ${c.change}`;
    return `${what} ${c.change === 'added' ? 'is new' : 'is gone'}`;
  });
  if (changes.length > max) words.push(`${changes.length - max} more`);
  return words.join(', ');
}
