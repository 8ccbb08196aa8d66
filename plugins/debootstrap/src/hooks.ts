/**
 * debootstrap's hooks: how the OS element shapes the bootstrapped root. The OS element taps
 * them in its `apply`; the root tap calls them with the final environment. Folding the OS
 * element's base packages into the bootstrap puts them in the cached root, so later builds do
 * not install them again; DIB installs them in root.d too, so nothing an element does later can
 * see a difference. Packages that later phases install (package-installs, base, bootloader…)
 * are installed by those phases, as in DIB: an element's pre-install.d debconf answers, apt
 * sources or apt configuration must be in place before them. Only DIB_DEBOOTSTRAP_PRESEED=1
 * folds them into the bootstrap too (package-installs' preseed list), a speed trick that can
 * change the image.
 *
 *   getDebootstrapHooks(build).include.tap('debian-minimal', (pkgs, env) => [...pkgs, 'systemd-sysv']);
 *   getDebootstrapHooks(build).sources.tap('debian-minimal', (_lines, env) => debianSources(env));
 */
import { SyncWaterfallHook } from 'tapable';
import { createHooksRegistry, stateKey, type Build, type Env, type StateStore } from '@dib/core';
import type { BootstrapResult } from './bootstrap.js';

export interface DebootstrapHooks {
  /**
   * Packages the bootstrapped root must hold (the bootstrap fails without them): each tap
   * returns the list with its own appended. Honoured unless DIB_DEBOOTSTRAP_PREINSTALL=0.
   */
  include: SyncWaterfallHook<[string[], Readonly<Env>]>;
  /**
   * The apt source lines to bootstrap from (mmdebstrap): each tap returns the lines to use
   * (the OS element's replace the default, the mirror's release). Unless DIB_DEBOOTSTRAP_PREINSTALL=0.
   */
  sources: SyncWaterfallHook<[string[], Readonly<Env>]>;
}

export const getDebootstrapHooks: (build: Build) => DebootstrapHooks = createHooksRegistry('debootstrap', () =>
  Object.freeze({
    include: new SyncWaterfallHook<[string[], Readonly<Env>]>(['packages', 'env']),
    sources: new SyncWaterfallHook<[string[], Readonly<Env>]>(['lines', 'env']),
  }),
);

/** Whether the OS element's base packages and sources are folded into the bootstrap (default yes). */
export function preinstallEnabled(env: Readonly<Env>): boolean {
  return (env.DIB_DEBOOTSTRAP_PREINSTALL ?? '1') !== '0';
}

/**
 * Whether packages of later phases are installed into the bootstrapped root (default no:
 * DIB's result needs them installed when their phase runs, after the elements that configure
 * them). DIB_DEBOOTSTRAP_PRESEED=1 opts in.
 */
export function preseedEnabled(env: Readonly<Env>): boolean {
  return preinstallEnabled(env) && env.DIB_DEBOOTSTRAP_PRESEED === '1';
}

export function bootstrapPackages(build: Build, env: Readonly<Env>): string[] {
  return preinstallEnabled(env) ? getDebootstrapHooks(build).include.call([], env) : [];
}

export function bootstrapSources(build: Build, env: Readonly<Env>): string[] {
  return preinstallEnabled(env) ? getDebootstrapHooks(build).sources.call([], env) : [];
}

/** What the root tap did (tool, cache key, hit, timings), for elements and tests that look. */
export type DebootstrapResult = Pick<BootstrapResult, 'key' | 'tool' | 'hit' | 'tarball' | 'timings'> & { include: string[]; preseed: string[] };
export const DEBOOTSTRAP_RESULT = stateKey<DebootstrapResult>('debootstrap:result');

export function debootstrapResult(state: StateStore): DebootstrapResult | undefined {
  return state.get(DEBOOTSTRAP_RESULT);
}
