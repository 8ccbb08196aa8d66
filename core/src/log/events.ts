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
  | { type: 'phase-end'; time: string; phase: string; seconds: number }
  | { type: 'tap-start'; time: string; phase: string; element: string; tap: string; stage: number }
  | { type: 'tap-end'; time: string; phase: string; element: string; tap: string; stage: number; seconds: number; ok: boolean }
  | { type: 'progress'; time: string; label: string; done: number; total?: number; unit?: string }
  | { type: 'output'; time: string; path: string; format: string; bytes: number; sha256?: string }
  | { type: 'result'; time: string; ok: boolean; seconds: number; error?: { code: string; message: string; phase?: string; element?: string; tap?: string; hint?: string; details?: string[] } };

export type EventListener = (event: BuildEvent) => void;

/** A tiny synchronous event bus. */
export class EventBus {
  private listeners: EventListener[] = [];
  on(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  emit(event: BuildEvent): void {
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
