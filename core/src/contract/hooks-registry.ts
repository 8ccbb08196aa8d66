/**
 * Owned hook families, webpack's `createHooksRegistry` pattern (as behind
 * `NormalModule.getCompilationHooks`): the owner of a channel — an element, or the core —
 * exports a getter made here; every party calls it with the build and gets the same hooks
 * object for that build, made on first use and dropped with the build (a WeakMap).
 *
 *   export const getMotdHooks = createHooksRegistry('motd', () => ({
 *     banner: new AsyncSeriesWaterfallHook<[string, PhaseContext]>(['banner', 'ctx']),
 *   }));
 *   // another element: getMotdHooks(build).banner.tapPromise('greeter', async (b) => b + '!');
 */
import type { Build } from './build.js';

/**
 * Every dib Build carries its own identity under this symbol; the views an element's apply()
 * and taps receive inherit it, so they share the build's hooks. `Symbol.for`: two copies of
 * @dib/core in one project (an element with its own nested copy) still agree.
 */
export const BUILD_IDENTITY: unique symbol = Symbol.for('dib.build') as never;

/** The build behind `build` (itself, or the build an element's view was made from). */
export function buildIdentity(build: unknown): object {
  const id = typeof build === 'object' && build !== null ? (build as { [BUILD_IDENTITY]?: unknown })[BUILD_IDENTITY] : undefined;
  if (typeof id !== 'object' || id === null) {
    throw new TypeError("expected a dib Build (the 'build' your element's apply() receives, or ctx.build in a tap)");
  }
  return id;
}

/**
 * Make the getter of an owned hook family. `owner` names who owns it (for messages);
 * `createHooks` makes a fresh hooks object for one build (freeze it).
 */
export function createHooksRegistry<T extends object>(owner: string, createHooks: (build: Build) => T): (build: Build) => T {
  const map = new WeakMap<object, T>();
  const get = (build: Build): T => {
    let id: object;
    try {
      id = buildIdentity(build);
    } catch (e) {
      throw new TypeError(`${owner} hooks: ${(e as Error).message}`);
    }
    let hooks = map.get(id);
    if (hooks === undefined) {
      hooks = createHooks(build);
      map.set(id, hooks);
    }
    return hooks;
  };
  return get;
}
