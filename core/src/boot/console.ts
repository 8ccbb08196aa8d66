/**
 * Serial console matching, as a pure incremental parser: feed it the console output in
 * chunks of any size, it returns the cleaned complete lines and, once, a verdict.
 *
 * - success: a login prompt (a line, complete or still being written, ending in `login:`);
 * - failure: `Kernel panic`, systemd's emergency/rescue shell, an initramfs shell.
 * Terminal escape sequences (colours, cursor moves from firmware and GRUB) and carriage
 * returns are removed before matching.
 */

export type ConsoleVerdictKind = 'login' | 'panic' | 'emergency' | 'initramfs';

export interface ConsoleVerdict {
  kind: ConsoleVerdictKind;
  ok: boolean;
  /** the console line that decided it */
  line: string;
}

export interface ConsoleUpdate {
  /** complete lines in this chunk, cleaned */
  lines: string[];
  /** set the first time a verdict is reached (only once per watcher) */
  verdict?: ConsoleVerdict;
}

// CSI (ESC [ … final), OSC (ESC ] … BEL/ST), other 2-byte escapes, and C1 CSI (0x9b).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-Z\\-_=>78]|\x9b[0-?]*[ -/]*[@-~]/g;
// An escape sequence cut off at the end of the pending text.
// eslint-disable-next-line no-control-regex
const ANSI_TAIL = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[()])?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Remove terminal escape sequences, carriage returns and other control characters. */
export function cleanConsoleText(s: string): string {
  return s.replace(ANSI, '').replace(ANSI_TAIL, '').replace(CONTROL, '');
}

interface Rule {
  kind: ConsoleVerdictKind;
  ok: boolean;
  re: RegExp;
  /** whether it may match a line still being written (prompts have no newline) */
  partial: boolean;
}

const RULES: readonly Rule[] = [
  { kind: 'panic', ok: false, re: /Kernel panic\b/, partial: false },
  { kind: 'emergency', ok: false, re: /You are in (?:emergency|rescue) mode|Give root password for maintenance|Cannot open access to console, the root account is locked/, partial: true },
  { kind: 'initramfs', ok: false, re: /^\(initramfs\)\s*$|Gave up waiting for root (?:file system )?device|ALERT! .* does not exist\. {2}Dropping to a shell/, partial: true },
  // `debian login: `; not `Last login: …`, not `systemd-logind` chatter.
  { kind: 'login', ok: true, re: /\blogin:\s*$/i, partial: true },
];

/** Classify one cleaned line (pure). */
export function classifyConsoleLine(line: string, partial = false): ConsoleVerdict | undefined {
  for (const r of RULES) {
    if (partial && !r.partial) continue;
    if (r.re.test(line)) return { kind: r.kind, ok: r.ok, line: line.trim() };
  }
  return undefined;
}

const MAX_PENDING = 64 * 1024;

/** Incremental console watcher. */
export class ConsoleWatcher {
  private pending = '';
  private decided?: ConsoleVerdict;

  /** the verdict, once reached */
  get verdict(): ConsoleVerdict | undefined {
    return this.decided;
  }

  /** Feed console output; returns the completed lines and a verdict when first reached. */
  feed(chunk: string): ConsoleUpdate {
    const lines: string[] = [];
    let verdict: ConsoleVerdict | undefined;
    const decide = (v: ConsoleVerdict | undefined) => {
      if (v && !this.decided) {
        this.decided = v;
        verdict = v;
      }
    };
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = cleanConsoleText(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
      lines.push(line);
      decide(classifyConsoleLine(line));
    }
    if (this.pending.length > MAX_PENDING) {
      // a runaway line without newline: emit it so memory stays bounded
      const line = cleanConsoleText(this.pending);
      this.pending = '';
      lines.push(line);
      decide(classifyConsoleLine(line));
    } else if (this.pending && !this.decided) {
      decide(classifyConsoleLine(cleanConsoleText(this.pending), true));
    }
    return verdict ? { lines, verdict } : { lines };
  }

  /** The incomplete last line (cleaned), e.g. `debian login: `; clears it. */
  flush(): string | undefined {
    const rest = cleanConsoleText(this.pending);
    this.pending = '';
    return rest.length ? rest : undefined;
  }
}
