/**
 * What the process is waiting for, innermost last: the config load, the elements' apply(), the
 * running tap. When Node's event loop drains while something here is still pending, a promise
 * never settled and nothing can settle it any more; the CLI then names the innermost entry
 * instead of exiting 0 with nothing done (see cli/process-guard.ts).
 */
import { DibError, isDibError, type ErrorContext } from '../errors.js';

export interface PendingWork {
  /** what it is, as a phrase: `loading the config dib.config.ts` */
  label: string;
  /** where, as error fields (a tap: its phase, element and tap) */
  where?: ErrorContext;
  /** the fix, should it never settle */
  hint?: string;
}

const pending: PendingWork[] = [];

/** Register `work` as pending until `p` settles. */
export async function trackPending<T>(work: PendingWork, p: Promise<T>): Promise<T> {
  pending.push(work);
  try {
    return await p;
  } finally {
    const i = pending.lastIndexOf(work);
    if (i >= 0) pending.splice(i, 1);
  }
}

/** Everything pending, outermost first. */
export function pendingWork(): readonly PendingWork[] {
  return [...pending];
}

/** The error for `work` when the process drained while it was pending. */
export function stalledError(work: PendingWork): DibError {
  const text = 'its promise never settled, and nothing else was left to run';
  return new DibError('E_STALLED', work.where ? text : `${work.label}: ${text}`, {
    hint: work.hint ?? 'fix the code that returned it: the promise must resolve or reject (a missing await, a callback never called?)',
    ...work.where,
  });
}

/**
 * `p` raced against `signal`: rejects with the abort reason (said about `work` when the reason
 * is E_STALLED) as soon as the signal fires. `work` is pending meanwhile.
 */
export function raceAbort<T>(work: PendingWork, p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return trackPending(work, p);
  return trackPending(
    work,
    new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const reason: unknown = signal.reason;
        if (isDibError(reason) && reason.code === 'E_STALLED') reject(stalledError(work));
        else if (isDibError(reason)) reject(reason);
        else reject(new DibError('E_INTERRUPTED', `interrupted during ${work.label}`));
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
