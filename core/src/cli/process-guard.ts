/**
 * What stands between a running build and the process around it: signals, a draining event
 * loop, and exceptions nobody catches.
 *  - SIGINT, SIGTERM, SIGHUP abort the build (its AbortSignal): every pending tap and wait
 *    rejects, commands are stopped, the cleanup runs, and dib exits 130, 143 or 129. The same
 *    signal again within a second is one signal (a Ctrl-C reaches dib both from the terminal and
 *    through the sandbox's supervisor). Outside a sandbox a second signal SIGKILLs every running
 *    command and a third exits at once.
 *  - If the event loop drains while the build or the config load is still pending, a promise
 *    never settled: the build is aborted with E_STALLED, naming what never finished, instead of
 *    letting the process exit 0 with nothing done.
 *  - An uncaught exception or unhandled rejection (element code in a timer or an event handler)
 *    fails the build like a failing tap (E_UNCAUGHT), with its cleanup: no raw stack trace.
 */
import os from 'node:os';
import { DibError } from '../errors.js';
import { stopRunningCommands } from '../chroot/run.js';
import { pendingWork, raceAbort, stalledError } from '../util/pending.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ProcessGuardOptions {
  /** true inside the build's sandbox: the supervisor escalates a second signal */
  sandboxed: boolean;
}

export class ProcessGuard {
  private readonly controller = new AbortController();
  private signals: { sig: NodeJS.Signals; at: number }[] = [];
  private stalled = false;
  private finished = false;
  private readonly handlers: Array<[string, (...a: any[]) => void]> = [];
  /** where the guard's own lines go; the CLI points it at the build's text reporter */
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`);

  constructor(private readonly opts: ProcessGuardOptions) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The exit status for a build stopped by a signal (128 + its number), else undefined. */
  get signalExitCode(): number | undefined {
    const first = this.signals[0];
    return first ? 128 + os.constants.signals[first.sig] : undefined;
  }

  /** `p`, raced against the guard's signal and registered as pending under `label`. */
  race<T>(label: string, p: Promise<T>): Promise<T> {
    return raceAbort({ label }, p, this.signal);
  }

  install(): this {
    for (const s of SIGNALS) this.on(s, () => this.onSignal(s));
    this.on('beforeExit', () => this.onDrain());
    this.on('uncaughtException', (e: unknown) => this.onUncaught(e, 'uncaught exception'));
    this.on('unhandledRejection', (e: unknown) => this.onUncaught(e, 'unhandled promise rejection'));
    return this;
  }

  /** The command is done: nothing is pending any more. */
  dispose(): void {
    this.finished = true;
    for (const [ev, fn] of this.handlers) process.off(ev, fn);
    this.handlers.length = 0;
  }

  private on(ev: string, fn: (...a: any[]) => void): void {
    process.on(ev, fn);
    this.handlers.push([ev, fn]);
  }

  private onSignal(sig: NodeJS.Signals): void {
    const now = Date.now();
    const last = this.signals[this.signals.length - 1];
    if (last && last.sig === sig && now - last.at < 1000) return;
    this.signals.push({ sig, at: now });
    const n = this.signals.length;
    if (n === 1) {
      this.say(`dib: ${sig} received: stopping and cleaning up (mounts, processes, work dir)…`);
      this.controller.abort(new DibError('E_INTERRUPTED', `interrupted by ${sig}`, { exitCode: this.signalExitCode }));
    } else if (this.opts.sandboxed) {
      // the supervisor kills the sandbox on its second signal
    } else if (n === 2) {
      this.say(`dib: ${sig} again: killing every running command now, then finishing the cleanup (once more to exit at once)`);
      void stopRunningCommands(0);
    } else {
      this.say(`dib: ${sig} a third time: exiting without cleanup; mounts below the work dir may remain (findmnt; umount -R)`);
      process.exit(this.signalExitCode);
    }
  }

  private onDrain(): void {
    if (this.finished) return;
    const work = pendingWork().at(-1) ?? { label: 'the build' };
    if (!this.stalled) {
      this.stalled = true;
      // the races reject with the tap's own E_STALLED; that schedules the cleanup and the report
      this.controller.abort(new DibError('E_STALLED', `${work.label} never finished`));
      return;
    }
    // the abort did not get anything moving: say so and leave
    process.stderr.write(`dib: error ${stalledError(work).toLine()}\n`);
    process.exit(1);
  }

  private onUncaught(e: unknown, kind: string): void {
    const work = pendingWork().at(-1);
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    // said about what was running when it happened: the tap (as error fields), or the step
    const err = new DibError('E_UNCAUGHT', `${work && !work.where ? `${work.label}: ` : ''}${kind} in element code: ${msg}`, {
      hint: work?.where ? `fix the element '${work.where.element}' (set DIB_DEBUG_TRACE=1 for the stack trace)` : 'set DIB_DEBUG_TRACE=1 for the stack trace',
      cause: e,
      ...work?.where,
    });
    if (!this.controller.signal.aborted) {
      this.controller.abort(err);
      return;
    }
    // already stopping: this one cannot change the outcome, but is not hidden
    this.say(`dib: warning: ${err.toLine()}`);
  }
}
