/**
 * How other elements shape the bootstrapped root: they register package and source providers
 * (functions of the final environment) on the build's state during `apply`; the debootstrap
 * root tap calls them. Folding the OS element's base packages into the bootstrap puts them in
 * the cached root, so later builds do not install them again.
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

/** Ask for packages in the bootstrapped root (honoured unless DIB_DEBOOTSTRAP_PREINSTALL=0). */
export function addBootstrapPackages(build: HasState, pkgs: EnvList): void {
  const list = build.state.get<EnvList[]>(PACKAGES) ?? [];
  build.state.set(PACKAGES, [...list, pkgs]);
}

/** The apt source lines to bootstrap from (the OS element's; the last call wins). */
export function setBootstrapSources(build: HasState, lines: EnvList): void {
  build.state.set(SOURCES, lines);
}

/** Whether elements' packages and sources are folded into the bootstrap (default yes). */
export function preinstallEnabled(env: Readonly<Env>): boolean {
  return (env.DIB_DEBOOTSTRAP_PREINSTALL ?? '1') !== '0';
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
