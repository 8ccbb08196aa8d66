/**
 * Build events: everything a build reports goes through here, as one typed event each.
 * The text reporter turns them into DIB-style timestamped lines; `--json` writes them as
 * JSON lines (schema documented in README "Events").
 */
import type { LogLevel } from '../vocabulary.js';

export type BuildEvent =
  | { type: 'log'; time: string; level: LogLevel; scope?: string; phase?: string; message: string }
  | { type: 'build-start'; time: string; name: string; elements: string[]; types: string[] }
  | { type: 'phase-start'; time: string; phase: string; taps: number }
  | { type: 'phase-end'; time: string; phase: string; seconds: number; cached: boolean; reason?: string }
  | { type: 'checkpoint'; time: string; checkpoint: string; action: 'restored' | 'stored' | 'kept'; key: string; seconds: number; bytes?: number; reason?: string }
  | { type: 'tap-start'; time: string; phase: string; element: string; tap: string; stage: number }
  | { type: 'tap-end'; time: string; phase: string; element: string; tap: string; stage: number; seconds: number; ok: boolean }
  | { type: 'progress'; time: string; label: string; done: number; total?: number; unit?: string }
  | { type: 'output'; time: string; path: string; format: string; bytes: number; sha256?: string }
  | { type: 'result'; time: string; ok: boolean; seconds: number; error?: { code: string; message: string; phase?: string; element?: string; tap?: string; hint?: string; details?: string[] } };

export type EventListener = (event: BuildEvent) => void;

function maskStrings<T>(v: T, mask: (s: string) => string): T {
  if (typeof v === 'string') return mask(v) as T;
  if (Array.isArray(v)) return v.map((x) => maskStrings(x, mask)) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = maskStrings(x, mask);
    return out as T;
  }
  return v;
}

/** A tiny synchronous event bus. */
export class EventBus {
  private listeners: EventListener[] = [];
  private masks: Array<(text: string) => string> = [];

  /**
   * Pass every string of every event through `mask` before any listener sees it (the build's
   * secrets become `<redacted>` in the log, the log file and the --json events alike).
   */
  addMask(mask: (text: string) => string): void {
    this.masks.push(mask);
  }
  on(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  /** `text` as listeners would see it (secrets masked). */
  mask(text: string): string {
    for (const m of this.masks) text = m(text);
    return text;
  }
  emit(event: BuildEvent): void {
    for (const m of this.masks) event = maskStrings(event, m);
    for (const l of this.listeners) l(event);
  }
}

export function now(): string {
  return new Date().toISOString();
}

/** DIB's timestamp: `YYYY-MM-DD HH:MM:SS.mmm` in UTC. */
export function dibTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '');
}

/** How a tap is shown: DIB's `NN-name` (a DIB script's name already carries its number). */
export function tapLabel(stage: number, name: string): string {
  return /^\d+-/.test(name) ? name : `${String(stage).padStart(2, '0')}-${name}`;
}
