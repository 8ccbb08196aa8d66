/**
 * Every await on element code races the build's abort signal (and, when the config sets
 * `tapTimeout`, a timer): a tap whose promise never settles cannot hold the build past a signal,
 * and the process cannot drain to a false exit 0 (the running tap is registered as pending, see
 * util/pending.ts). The abandoned promise is left to itself; the commands it started are stopped
 * by the driver's cleanup and anything else dies with the build's sandbox.
 */
import { DibError } from '../errors.js';
import { raceAbort } from '../util/pending.js';
import type { TapInfo } from '../contract/build.js';

export interface TapGuard {
  /** the build's abort signal */
  signal?: AbortSignal;
  /** fail a tap that runs longer than this (config `tapTimeout`, in seconds) */
  timeoutSeconds?: number;
}

/** `p`, or a rejection as soon as the build is aborted or the tap times out. */
export async function guardTap<T>(p: Promise<T>, info: TapInfo, guard: TapGuard | undefined): Promise<T> {
  const where = { phase: info.phase, element: info.element, tap: info.name };
  const work = {
    label: `${info.phase} phase, element ${info.element}, tap ${info.name}`,
    where,
    hint: `fix the element '${info.element}': the tap must resolve or reject (a missing await, a callback never called?)`,
  };
  const seconds = guard?.timeoutSeconds;
  if (!seconds) return raceAbort(work, p, guard?.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DibError('E_TAP_TIMEOUT', `did not finish within ${seconds} s (tapTimeout)`, {
            hint: `see its last log lines above; raise tapTimeout in the config if '${info.name}' is legitimately slow`,
            ...where,
          }),
        ),
      seconds * 1000,
    );
  });
  try {
    return await raceAbort(work, Promise.race([p, timeout]), guard?.signal);
  } finally {
    clearTimeout(timer);
  }
}
