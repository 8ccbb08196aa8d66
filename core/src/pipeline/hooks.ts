/**
 * The phase hooks: one tapable AsyncSeriesHook per DIB phase, with dib's tap options
 * (`DibTapOptions`) declared to tapable. Everything here goes through tapable's public API:
 *  - a `register` interceptor gives each tap its stage (default 50) and a `before` list so that
 *    tapable's own insertion keeps the taps in (stage, name) order, as dib-run-parts orders
 *    `NN-name` scripts, whatever order the elements register them in;
 *  - the same interceptor rejects a second tap of one name in a phase (DIB's "duplicated
 *    hook"), leaves out (as a no-op, not listed) a tap for an install type that is not
 *    selected, and wraps each tap so it receives a context of its own and its failure carries
 *    the phase, element and tap as fields;
 *  - elements tap hooks bound to their name with `withOptions({ element })`.
 */
import { AsyncSeriesHook } from 'tapable';
import { DibError, isDibError } from '../errors.js';
import { PHASES, type HookName, type PhaseName } from '../contract/phases.js';
import type { DibTapOptions, ElementPhaseHooks, PhaseContext, PhaseHook, PhaseHooks, TapInfo } from '../contract/build.js';

export const DEFAULT_STAGE = 50;

/** What the hooks need from the build while taps register and run. */
export interface HookHost {
  /** install type selected for an element */
  installTypeOf(element: string): string;
  /** run a tap: derive its context, time it, race it against the build's abort signal */
  runTap(info: TapInfo, ctx: PhaseContext, call: (ctx: PhaseContext) => Promise<unknown>): Promise<void>;
}

/** What dib knows of a registered tap (kept beside tapable's tap object, never on it). */
interface TapMeta extends TapInfo {
  /** the name taps of one stage are ordered by (DIB scripts: without their number) */
  sortName: string;
  /** false for an install-type alternative that is not selected: registered as a no-op */
  selected: boolean;
}

type RegisteredTap = PhaseHook['taps'][number];

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

/** A DIB script's name without its number and one separator (`10-foo` → `foo`). */
function scriptSortName(name: string): string {
  const m = /^[0-9]+[-_]?(.*)$/.exec(name);
  return m && m[1] ? m[1] : name;
}

/** Call a tap as tapable would, whatever its type, as a promise. */
function invoke(tap: RegisteredTap, ctx: PhaseContext): Promise<unknown> {
  if (tap.type === 'async') {
    return new Promise((resolve, reject) => tap.fn(ctx, (err: unknown, v: unknown) => (err ? reject(err) : resolve(v))));
  }
  return Promise.resolve().then(() => tap.fn(ctx));
}

/** A tap's failure as a DibError carrying where it happened (the message is kept as it was). */
export function tapError(e: unknown, where: { phase: PhaseName; element: string; tap: string }): DibError {
  if (isDibError(e)) {
    if (e.code === 'E_INTERRUPTED' || e.phase !== undefined) return e;
    return e.withContext(where, e.code === 'E_COMMAND_FAILED' ? 'E_TAP_FAILED' : e.code);
  }
  const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  return new DibError('E_TAP_FAILED', msg, {
    hint: `fix the element '${where.element}' (set DIB_DEBUG_TRACE=1 for a stack trace)`,
    cause: e,
    ...where,
  });
}

function createHook(phase: PhaseName, host: HookHost, meta: WeakMap<object, TapMeta>): PhaseHook {
  const hook: PhaseHook = new AsyncSeriesHook<[PhaseContext], DibTapOptions>(['context'], phase);
  hook.intercept({
    name: 'dib-order',
    register(tap) {
      const element = tap.element;
      if (!element) {
        throw new DibError('E_ELEMENT_INVALID', `tap '${tap.name}' in ${phase} belongs to no element`, {
          hint: "tap the hooks your element's apply(build) receives (build.hooks): they are bound to your element",
        });
      }
      const stage = tap.stage === undefined ? DEFAULT_STAGE : tap.stage;
      if (!Number.isInteger(stage) || stage < 0) {
        throw new DibError('E_ELEMENT_INVALID', `element ${element}: tap '${tap.name}' in ${phase} has stage ${String(tap.stage)}; stages are whole numbers ≥ 0`, {
          hint: "use the number DIB puts in the script name, e.g. { name: 'copy-apt-keys', stage: 1 }",
        });
      }
      if (tap.before !== undefined) {
        throw new DibError('E_ELEMENT_INVALID', `element ${element}: tap '${tap.name}' in ${phase} sets 'before'`, {
          hint: 'taps run by (stage, name), as dib-run-parts runs NN-name scripts: choose the stage instead',
        });
      }
      const kind = tap.kind ?? 'ts';
      const selected = tap.installType === undefined || tap.installType === host.installTypeOf(element);
      const info: TapMeta = { phase, name: tap.name, stage, element, installType: tap.installType, kind, sortName: kind === 'script' ? scriptSortName(tap.name) : tap.name, selected };
      const listed = hook.taps.map((t) => meta.get(t)).filter((m): m is TapMeta => m !== undefined && m.selected);
      if (selected) {
        const dup = listed.find((m) => m.name === tap.name);
        if (dup) {
          throw new DibError('E_DUPLICATE_TAP', `There is a duplicated hook in your elements: ${phase}/${tap.name} (elements ${dup.element} and ${element})`, {
            hint: `rename one of the two taps named '${tap.name}' in the ${phase} phase`,
          });
        }
      }
      // tapable inserts a tap after the taps of a lower or equal stage, or right before the tap
      // named in `before`: naming the first tap of this stage that sorts after it keeps the
      // list in (stage, name) order
      const before = listed.find((m) => m.stage === stage && compareTaps(info, m) < 0)?.name;
      const { fn: _fn, type: _type, ...options } = tap;
      const registered: RegisteredTap & DibTapOptions = {
        ...options,
        stage,
        ...(before !== undefined ? { before } : {}),
        type: 'promise',
        fn: (ctx: PhaseContext) => (selected ? host.runTap(info, ctx, (c) => invoke(tap, c)) : Promise.resolve()),
      };
      meta.set(registered, info);
      return registered;
    },
  });
  return hook;
}

/** The hooks of one build, and the per-element views of them. */
export interface PhaseHookSet {
  hooks: PhaseHooks;
  /** the hooks bound to `element` (tapable's withOptions), as its apply(build) sees them */
  forElement(element: string): ElementPhaseHooks;
  /** the registered, selected taps of every phase, in run order (what `dib plan` prints) */
  list(): TapInfo[];
}

export function createPhaseHooks(host: HookHost): PhaseHookSet {
  const meta = new WeakMap<object, TapMeta>();
  const hooks = {} as Record<HookName, PhaseHook>;
  for (const p of PHASES) hooks[p.hook] = createHook(p.phase, host, meta);
  Object.freeze(hooks);
  const bound = new Map<string, ElementPhaseHooks>();
  return {
    hooks,
    forElement(element) {
      let b = bound.get(element);
      if (!b) {
        const view = {} as Record<HookName, ElementPhaseHooks[HookName]>;
        for (const p of PHASES) view[p.hook] = hooks[p.hook].withOptions({ element });
        b = Object.freeze(view);
        bound.set(element, b);
      }
      return b;
    },
    list() {
      const out: TapInfo[] = [];
      for (const p of PHASES) {
        for (const t of hooks[p.hook].taps) {
          const m = meta.get(t);
          if (!m?.selected) continue;
          out.push({ phase: m.phase, name: m.name, stage: m.stage, element: m.element, installType: m.installType, kind: m.kind });
        }
      }
      return out;
    },
  };
}
