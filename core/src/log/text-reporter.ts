/**
 * Renders build events as DIB-style lines: `YYYY-MM-DD HH:MM:SS.mmm | message`, with the
 * element in front of its lines, and a per-phase timing table at the end. The log file (when
 * set) always gets every line, timestamped.
 */
import fs from 'node:fs';
import type { BuildEvent, EventBus } from './events.js';
import { dibTimestamp, tapLabel } from './events.js';
import { formatBytes } from '../util/bytes.js';

export interface TextReporterOptions {
  /** where lines go (default process.stderr) */
  write?: (line: string) => void;
  /** append every line here too */
  logfile?: string;
  /** show debug lines */
  debug?: boolean;
  /** only warnings and errors on the terminal (the log file still gets everything) */
  quiet?: boolean;
  /** DIB_NO_TIMESTAMP */
  noTimestamp?: boolean;
}

export function formatLine(ev: BuildEvent, noTimestamp = false): string | undefined {
  const ts = noTimestamp ? '' : `${dibTimestamp(ev.time)} | `;
  switch (ev.type) {
    case 'log': {
      const lvl = ev.level === 'warn' ? 'WARNING: ' : ev.level === 'error' ? 'ERROR: ' : '';
      return `${ts}${ev.scope ? `${ev.scope}: ` : ''}${lvl}${ev.message}`;
    }
    case 'tap-start':
      return `${ts}${ev.element}: running ${ev.phase}/${tapLabel(ev.stage, ev.tap)}`;
    case 'tap-end':
      return `${ts}${ev.element}: ${ev.phase}/${tapLabel(ev.stage, ev.tap)} ${ev.ok ? 'completed' : 'FAILED'} in ${ev.seconds.toFixed(3)} s`;
    case 'phase-end':
      if (ev.cached) return `${ts}phase ${ev.phase}: cached`;
      return `${ts}phase ${ev.phase} done in ${ev.seconds.toFixed(3)} s${ev.reason ? ` (not cached: ${ev.reason})` : ''}`;
    case 'checkpoint': {
      const what = ev.checkpoint === 'image' ? 'the outputs' : `checkpoint ${ev.checkpoint}`;
      const size = ev.bytes !== undefined ? `, ${formatBytes(ev.bytes)}` : '';
      if (ev.action === 'restored') return `${ts}${what} restored from the cache in ${ev.seconds.toFixed(3)} s (${ev.key})`;
      if (ev.action === 'stored') return `${ts}${what} stored in the cache in ${ev.seconds.toFixed(3)} s (${ev.key}${size})`;
      return `${ts}${what} not stored: ${ev.reason ?? 'unknown'}`;
    }
    case 'output':
      return undefined; // the writers log each output themselves; the event is for --json
    case 'result':
      return ev.ok ? `${ts}Build completed successfully in ${ev.seconds.toFixed(1)} s` : `${ts}Build FAILED after ${ev.seconds.toFixed(1)} s`;
    default:
      return undefined;
  }
}

/** The per-phase timing table printed at the end of a build. */
export function timingTable(phases: ReadonlyArray<{ phase: string; seconds: number; cached?: boolean }>, total: number): string[] {
  const lines = ['Phase timings:', `  ${'phase'.padEnd(14)} ${'seconds'.padStart(9)}`];
  for (const p of phases) lines.push(`  ${p.phase.padEnd(14)} ${p.cached ? '   cached' : p.seconds.toFixed(3).padStart(9)}`);
  lines.push(`  ${'total'.padEnd(14)} ${total.toFixed(3).padStart(9)}`);
  return lines;
}

export function attachTextReporter(bus: EventBus, opts: TextReporterOptions = {}): { close(): void; line(text: string): void } {
  const write = opts.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const fd = opts.logfile ? fs.openSync(opts.logfile, 'a') : undefined;
  const toFile = (l: string) => {
    if (fd !== undefined) fs.writeSync(fd, l + '\n');
  };
  const off = bus.on((ev) => {
    if (ev.type === 'log' && ev.level === 'debug' && !opts.debug) return;
    const line = formatLine(ev, opts.noTimestamp);
    if (line === undefined) return;
    toFile(opts.noTimestamp ? `${dibTimestamp(ev.time)} | ${line}` : line);
    const important = (ev.type === 'log' && (ev.level === 'warn' || ev.level === 'error')) || ev.type === 'result';
    if (opts.quiet && !important) return;
    write(line);
  });
  return {
    close() {
      off();
      if (fd !== undefined) fs.closeSync(fd);
    },
    line(text: string) {
      toFile(text);
      write(text);
    },
  };
}

/** `--json`: one JSON object per event per line. */
export function attachJsonReporter(bus: EventBus, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): () => void {
  return bus.on((ev) => write(JSON.stringify(ev)));
}
