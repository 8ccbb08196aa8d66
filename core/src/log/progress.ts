/**
 * The live status line of `dib build` at a terminal, and the end-of-build summary.
 *
 * At a terminal one status line (phase, current element and tap, elapsed time, and a bar when a
 * total is known) sits below the scrolling log: every log line is written after erasing the
 * status line, which is then redrawn. Nothing here writes an escape sequence unless the
 * renderer was made `interactive`; without a terminal (CI, pipes) the text reporter writes
 * plain lines on its own and no renderer is attached.
 *
 * The renderer is a plain class that writes to any `{ write(s) }` stream, with an injectable
 * clock, so tests can drive it with events and read back exactly what a terminal would get.
 */
import { formatBytes } from '../util/bytes.js';
import type { ProgressReader } from '../vocabulary.js';
import type { BuildEvent, EventBus } from './events.js';
import { now, tapLabel } from './events.js';

/** Erase the current line and return to its start (CSI 2K after a carriage return). */
export const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressStream {
  write(chunk: string): unknown;
  /** terminal width; 0/undefined means 80 */
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** milliseconds clock (default performance.now) */
  clock?: () => number;
  /** redraw this often so the elapsed time moves (0: only on events). Default 250 ms. */
  tickMs?: number;
  /**
   * Draw the status line once per burst of events and lines (in a microtask) rather than after
   * each. Default true; tests turn it off to see every redraw synchronously.
   */
  coalesce?: boolean;
}

interface ProgressState {
  label: string;
  done: number;
  total?: number;
  unit?: string;
}

const PHASE_COUNT = 10;

/** `1:02`, `12.3s` */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.floor(s % 60);
  if (m < 60) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** An ASCII bar: `[#####-----]`. */
export function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}


/**
 * Whether `dib build` should draw the live status line on `stream`: only at a terminal, not
 * with TERM=dumb, and not when DIB_PROGRESS=0 (DIB_PROGRESS=1 forces it, for tests).
 */
export function wantsLiveProgress(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DIB_PROGRESS === '0') return false;
  if (env.DIB_PROGRESS === '1') return true;
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export class ProgressRenderer {
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private started: number | undefined;
  private phase: string | undefined;
  private phaseIndex = 0;
  private phaseTaps = 0;
  private phaseTapsDone = 0;
  private element: string | undefined;
  private tap: string | undefined;
  private progress: ProgressState | undefined;
  private outputsWanted = 0;
  private outputsDone = 0;
  private finished = false;
  /** text of the status line currently on screen ('' when none) */
  private shown = '';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly coalesce: boolean;
  private scheduled = false;

  constructor(opts: ProgressOptions) {
    this.stream = opts.stream;
    this.coalesce = opts.coalesce ?? true;
    this.clock = opts.clock ?? (() => performance.now());
    const tick = opts.tickMs ?? 250;
    if (tick > 0) {
      this.timer = setInterval(() => this.redraw(), tick);
      this.timer.unref();
    }
  }

  /** Follow a build's events; returns the function that stops following. */
  attach(bus: EventBus): () => void {
    return bus.on((ev) => this.handle(ev));
  }

  /** Update the state from one event and redraw the status line. */
  handle(ev: BuildEvent): void {
    switch (ev.type) {
      case 'build-start':
        this.started = this.clock();
        this.outputsWanted = new Set(ev.types).size;
        break;
      case 'phase-start':
        this.phase = ev.phase;
        this.phaseIndex++;
        this.phaseTaps = ev.taps;
        this.phaseTapsDone = 0;
        this.element = undefined;
        this.tap = undefined;
        this.progress = undefined;
        break;
      case 'phase-end':
        this.element = undefined;
        this.tap = undefined;
        this.progress = undefined;
        if (ev.phase === 'cleanup') this.phase = 'writing outputs';
        break;
      case 'tap-start':
        this.element = ev.element;
        this.tap = tapLabel(ev.stage, ev.tap);
        this.progress = undefined;
        break;
      case 'tap-end':
        this.phaseTapsDone++;
        this.element = undefined;
        this.tap = undefined;
        this.progress = undefined;
        break;
      case 'progress':
        this.progress = ev.total !== undefined && ev.total > 0 && ev.done >= ev.total ? undefined : { label: ev.label, done: ev.done, total: ev.total, unit: ev.unit };
        break;
      case 'output':
        this.outputsDone++;
        this.progress = undefined;
        break;
      case 'result':
        this.finished = true;
        break;
      default:
        break;
    }
    if (this.finished) this.clear();
    else this.schedule();
  }

  private schedule(): void {
    if (!this.coalesce) return this.redraw();
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.redraw();
    });
  }

  /** The status text (no escape sequences), cut to the terminal width. */
  statusLine(): string {
    if (this.started === undefined || this.finished) return '';
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const where = this.phase === 'writing outputs' ? 'writing outputs' : this.phase ? `[${this.phaseIndex}/${PHASE_COUNT}] ${this.phase}` : 'starting';
    const head = `dib ${formatElapsed(this.clock() - this.started)} ${where}`;
    let tail = '';
    const p = this.progress;
    if (p) {
      if (p.total !== undefined && p.total > 0) {
        const pct = Math.floor((Math.min(p.done, p.total) / p.total) * 100);
        tail = `${bar(p.done, p.total)} ${String(pct).padStart(3)}% ${p.label} ${p.done}/${p.total}${p.unit ? ` ${p.unit}` : ''}`;
      } else {
        tail = p.done > 0 ? `${p.label} (${p.done}${p.unit ? ` ${p.unit}` : ''})` : `${p.label}…`;
      }
    } else if (this.phase === 'writing outputs' && this.outputsWanted > 0) {
      tail = `${bar(this.outputsDone, this.outputsWanted, 10)} ${this.outputsDone}/${this.outputsWanted} outputs`;
    } else if (this.phase && this.phaseTaps > 0) {
      tail = `${bar(this.phaseTapsDone, this.phaseTaps, 10)} ${this.phaseTapsDone}/${this.phaseTaps} taps`;
    }
    // the running tap is what gets shortened when the terminal is narrow
    let middle = this.element && this.tap ? `${this.element}: ${this.tap}` : '';
    const fixed = head.length + (tail ? tail.length + 3 : 0);
    if (middle && fixed + 3 + middle.length > width) {
      const room = width - fixed - 3;
      middle = room >= 8 ? `${middle.slice(0, room - 1)}…` : '';
    }
    const text = [head, middle, tail].filter(Boolean).join(' | ');
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  }

  /** Write one log line above the status line. */
  log(line: string): void {
    if (this.closed) {
      this.stream.write(line + '\n');
      return;
    }
    this.stream.write((this.shown ? CLEAR_LINE : '') + line + '\n');
    this.shown = '';
    this.schedule();
  }

  /** Draw the status line if it changed. */
  redraw(): void {
    if (this.closed) return;
    const text = this.statusLine();
    if (text === this.shown) return;
    if (!text) {
      this.clear();
      return;
    }
    this.stream.write(CLEAR_LINE + text);
    this.shown = text;
  }

  /** Erase the status line (it is drawn again on the next event). */
  clear(): void {
    if (this.shown) this.stream.write(CLEAR_LINE);
    this.shown = '';
  }

  /** Erase the status line and stop drawing. Lines logged afterwards are written plainly. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.closed = true;
  }
}

/**
 * Package manager progress as `progress` events with a total, read from the log lines by the
 * OS element's reader (apt's: `N newly installed`, then `Get:K …` and `Setting up …`).
 */
export function attachPackageProgress(bus: EventBus, reader: ProgressReader | undefined): () => void {
  if (!reader) return () => undefined;
  let emitting = false;
  return bus.on((ev) => {
    if (emitting || ev.type !== 'log') return;
    const p = reader(ev.message);
    if (!p) return;
    emitting = true;
    try {
      bus.emit({ type: 'progress', time: now(), label: p.label, done: p.done, total: p.total, unit: 'packages' });
    } finally {
      emitting = false;
    }
  });
}

export interface SummaryInput {
  ok: boolean;
  seconds: number;
  outputs: ReadonlyArray<{ path: string; format: string; bytes: number }>;
  taps: ReadonlyArray<{ phase: string; element: string; name: string; stage: number; seconds: number }>;
  /** how many slow taps to list (default 5; 0 for none) */
  slowest?: number;
}

/** The end-of-build summary: outputs with sizes, total time, the slowest taps. */
export function summaryLines(s: SummaryInput): string[] {
  const lines: string[] = [];
  lines.push(`Summary: build ${s.ok ? 'succeeded' : 'FAILED'} in ${formatElapsed(s.seconds * 1000)}`);
  if (s.outputs.length) {
    const w = Math.max(...s.outputs.map((o) => o.path.length));
    lines.push('  outputs:');
    for (const o of s.outputs) lines.push(`    ${o.path.padEnd(w)}  ${o.format.padEnd(8)} ${formatBytes(o.bytes, { fixed: true }).padStart(10)}`);
  }
  const n = s.slowest ?? 5;
  const slow = [...s.taps].sort((a, b) => b.seconds - a.seconds).slice(0, n);
  if (slow.length) {
    lines.push(`  slowest taps:`);
    for (const t of slow) {
      lines.push(`    ${t.seconds.toFixed(3).padStart(9)} s  ${t.phase}/${tapLabel(t.stage, t.name)} (${t.element})`);
    }
  }
  return lines;
}
