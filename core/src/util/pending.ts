/**
 * What the process is waiting for, innermost last: the config load, an element's apply(), the
 * running tap. When Node's event loop drains while something here is still pending, a promise
 * never settled and nothing can settle it any more; the CLI then names the innermost entry
 * instead of exiting 0 with nothing done (see cli/process-guard.ts).
 */
import { DibError, isDibError } from '../errors.js';

const pending: string[] = [];

/** Register `what` as pending until `p` settles. */
export async function trackPending<T>(what: string, p: Promise<T>): Promise<T> {
  pending.push(what);
  try {
    return await p;
  } finally {
    const i = pending.lastIndexOf(what);
    if (i >= 0) pending.splice(i, 1);
  }
}

/** Everything pending, outermost first. */
export function pendingWork(): readonly string[] {
  return [...pending];
}

/** The error for `what` when the process drained while it was pending. */
export function stalledError(what: string, hint = 'fix the code that returned it: the promise must resolve or reject (a missing await, a callback never called?)'): DibError {
  return new DibError('E_STALLED', `${what}: its promise never settled, and nothing else was left to run`, { hint });
}

/**
 * `p` raced against `signal`: rejects with the abort reason (said about `what` when the reason
 * is E_STALLED) as soon as the signal fires. `what` is pending meanwhile.
 */
export function raceAbort<T>(what: string, p: Promise<T>, signal: AbortSignal | undefined, hint?: string): Promise<T> {
  if (!signal) return trackPending(what, p);
  return trackPending(
    what,
    new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const reason: unknown = signal.reason;
        if (isDibError(reason) && reason.code === 'E_STALLED') reject(stalledError(what, hint));
        else if (isDibError(reason)) reject(reason);
        else reject(new DibError('E_INTERRUPTED', `interrupted during ${what}`));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    }),
  );
}
