/**
 * The phase hooks: one tapable AsyncSeriesHook per DIB phase. Taps are kept sorted by
 * (stage, name) as dib-run-parts orders `NN-name` scripts, whatever order elements register
 * them in; a duplicate name in one phase is an error (DIB: "duplicated hook"); a tap for an
 * install type that is not selected is left out. Each tap is wrapped so that it receives a
 * context of its own (element, tap name, scoped logger) and its failure names phase, element
 * and tap.
 */
import { AsyncSeriesHook } from 'tapable';
import { DibError, isDibError } from '../errors.js';
import { PHASES, type HookName, type PhaseName } from '../contract/phases.js';
import type { PhaseContext, PhaseHook, PhaseHooks, TapInfo } from '../contract/build.js';
import { guardTap, type TapGuard } from './tap-guard.js';

export const DEFAULT_STAGE = 50;

/** What the hooks need from the build while taps register and run. */
export interface HookHost {
  /** element whose apply() is running (taps are attributed to it) */
  currentElement(): string | undefined;
  /** install type selected for an element */
  installTypeOf(element: string): string;
  /** derive a tap's own context from the phase context */
  contextFor(ctx: PhaseContext, element: string, tap: string): PhaseContext;
  /** tap lifecycle notifications (events, timings) */
  onTapStart(info: TapInfo): void;
  onTapEnd(info: TapInfo, seconds: number, ok: boolean): void;
  /** races every tap against the build's abort signal and the config's tapTimeout */
  guard?: TapGuard;
}

interface DibTap {
  name: string;
  stage: number;
  type: 'sync' | 'async' | 'promise';
  fn: (...args: unknown[]) => unknown;
  element?: string;
  installType?: string;
  kind?: 'ts' | 'script';
  /** DIB scripts: the name without its number (`10-foo` → `foo`), so they interleave with TS taps */
  sortName?: string;
}

/**
 * Compare like `sort -n` over `NN-name`: stage numerically, then name bytewise. A DIB script
 * tap is named by its full basename (`10-foo`) and compares by `sortName` (`foo`) first, so
 * scripts and TS taps of one stage interleave by name.
 */
export function compareTaps(a: { stage: number; name: string; sortName?: string }, b: { stage: number; name: string; sortName?: string }): number {
  if (a.stage !== b.stage) return a.stage - b.stage;
  const an = a.sortName ?? a.name;
  const bn = b.sortName ?? b.name;
  if (an !== bn) return an < bn ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function toPromise(tap: DibTap, ctx: PhaseContext): Promise<unknown> {
  if (tap.type === 'async') {
    return new Promise((resolve, reject) => tap.fn(ctx, (err: unknown, v: unknown) => (err ? reject(err) : resolve(v))));
  }
  return Promise.resolve().then(() => tap.fn(ctx));
}

function wrapError(e: unknown, phase: PhaseName, element: string, tap: string): DibError {
  const where = `${phase}/${element}/${tap}`;
  if (isDibError(e)) {
    if (e.code === 'E_INTERRUPTED' || e.message.includes(`${phase} phase`)) return e;
    return new DibError(e.code === 'E_COMMAND_FAILED' ? 'E_TAP_FAILED' : e.code, `${phase} phase, element ${element}, tap ${tap}: ${e.message}`, {
      hint: e.hint ?? `see the log lines of ${where} above`,
      details: e.details,
      cause: e,
      exitCode: e.exitCode,
    });
  }
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new DibError('E_TAP_FAILED', `${phase} phase, element ${element}, tap ${tap}: ${msg}`, {
    hint: `fix the element '${element}' (set DIB_DEBUG_TRACE=1 for a stack trace)`,
    cause: e,
  });
}

function createHook(phase: PhaseName, host: HookHost): PhaseHook {
  const hook = new AsyncSeriesHook<[PhaseContext]>(['context'], phase);
  const taps = hook.taps as unknown as DibTap[];
  hook.intercept({
    register(raw) {
      const tap = raw as unknown as DibTap;
      const element = tap.element ?? host.currentElement() ?? 'unknown';
      const stage = typeof tap.stage === 'number' ? tap.stage : DEFAULT_STAGE;
      if (!Number.isInteger(stage) || stage < 0) {
        throw new DibError('E_ELEMENT_INVALID', `element ${element}: tap '${tap.name}' in ${phase} has stage ${String(tap.stage)}; stages are whole numbers ≥ 0`, {
          hint: "use the number DIB puts in the script name, e.g. { name: 'copy-apt-keys', stage: 1 }",
        });
      }
      const original = { ...tap };
      const info: TapInfo = { phase, name: tap.name, stage, element, installType: tap.installType, kind: tap.kind ?? 'ts' };
      const fn = async (ctx: PhaseContext) => {
        host.onTapStart(info);
        const t0 = performance.now();
        try {
          await guardTap(toPromise(original, host.contextFor(ctx, element, tap.name)), info, host.guard);
        } catch (e) {
          host.onTapEnd(info, (performance.now() - t0) / 1000, false);
          throw wrapError(e, phase, element, tap.name);
        }
        host.onTapEnd(info, (performance.now() - t0) / 1000, true);
      };
      return { ...tap, element, stage, type: 'promise', fn } as unknown as typeof raw;
    },
  });
  // Keep taps sorted by (stage, name); reject duplicates; drop unselected install types.
  (hook as unknown as { _insert(item: DibTap): void })._insert = function (item: DibTap) {
    (hook as unknown as { _resetCompilation(): void })._resetCompilation();
    if (item.installType !== undefined && item.installType !== host.installTypeOf(item.element!)) return;
    const dup = taps.find((t) => t.name === item.name);
    if (dup) {
      throw new DibError('E_DUPLICATE_TAP', `There is a duplicated hook in your elements: ${phase}/${item.name} (elements ${dup.element} and ${item.element})`, {
        hint: `rename one of the two taps named '${item.name}' in the ${phase} phase`,
      });
    }
    taps.push(item);
    taps.sort(compareTaps);
  };
  return hook;
}

export function createPhaseHooks(host: HookHost): PhaseHooks {
  const hooks = {} as Record<HookName, PhaseHook>;
  for (const p of PHASES) hooks[p.hook] = createHook(p.phase, host);
  return Object.freeze(hooks);
}

/** The registered taps of every phase, in run order (what `dib plan` prints). */
export function listTaps(hooks: PhaseHooks): TapInfo[] {
  const out: TapInfo[] = [];
  for (const p of PHASES) {
    for (const t of hooks[p.hook].taps as unknown as DibTap[]) {
      out.push({ phase: p.phase, name: t.name, stage: t.stage, element: t.element ?? 'unknown', installType: t.installType, kind: t.kind ?? 'ts' });
    }
  }
  return out;
}
