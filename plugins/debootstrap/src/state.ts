/**
 * How the OS element shapes the bootstrapped root: it registers the packages of its root-stage
 * base install and its apt sources (functions of the final environment) on the build's state
 * during `apply`; the debootstrap root tap calls them. Folding the base packages into the
 * bootstrap puts them in the cached root, so later builds do not install them again; DIB
 * installs them in root.d too, so nothing an element does later can see a difference.
 * Packages that later phases install (package-installs, base, bootloader…) are installed by
 * those phases, as in DIB: an element's pre-install.d debconf answers, apt sources or apt
 * configuration must be in place before them. Only DIB_DEBOOTSTRAP_PRESEED=1 folds them into
 * the bootstrap too (package-installs' `preseedPackages` hook), a speed trick that can change
 * the image.
 */
import type { Build, Env, StateStore } from '@dib/core';

export type EnvList = readonly string[] | ((env: Readonly<Env>) => readonly string[]);

/**
 * State key holding an array of EnvList: elements that cannot import this package may push to
 * it directly (`build.state.set(BOOTSTRAP_PACKAGES_KEY, [...(build.state.get(KEY) ?? []), pkgs])`).
 */
export const BOOTSTRAP_PACKAGES_KEY = 'debootstrap:include-providers';
const PACKAGES = BOOTSTRAP_PACKAGES_KEY;
const SOURCES = 'debootstrap:sources-provider';
export const RESULT = 'debootstrap:result';

type HasState = Pick<Build, 'state'> | { state: StateStore };

/**
 * Require packages in the bootstrapped root: the bootstrap fails without them (honoured unless
 * DIB_DEBOOTSTRAP_PREINSTALL=0). For the OS element's base install; others use preseedPackages.
 */
export function addBootstrapPackages(build: HasState, pkgs: EnvList): void {
  const list = build.state.get<EnvList[]>(PACKAGES) ?? [];
  build.state.set(PACKAGES, [...list, pkgs]);
}

/** The apt source lines to bootstrap from (the OS element's; the last call wins). */
export function setBootstrapSources(build: HasState, lines: EnvList): void {
  build.state.set(SOURCES, lines);
}

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

function evaluate(x: EnvList, env: Readonly<Env>): string[] {
  return [...(typeof x === 'function' ? x(env) : x)];
}

export function collectBootstrapPackages(state: StateStore, env: Readonly<Env>): string[] {
  if (!preinstallEnabled(env)) return [];
  return (state.get<EnvList[]>(PACKAGES) ?? []).flatMap((p) => evaluate(p, env));
}

export function collectBootstrapSources(state: StateStore, env: Readonly<Env>): string[] {
  if (!preinstallEnabled(env)) return [];
  const s = state.get<EnvList>(SOURCES);
  return s ? evaluate(s, env) : [];
}
