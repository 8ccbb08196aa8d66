/**
 * The element contract: what an element package exports (default export of `defineElement`).
 * This is dib's public API; bump ELEMENT_CONTRACT only for incompatible changes.
 */
import type { BlockDeviceConfig } from '../config/schema.js';
import type { Env, HostTool } from '../vocabulary.js';
import type { Build } from './build.js';

export type { Env, HostTool } from '../vocabulary.js';

/** Version of the element contract implemented by this core. */
export const ELEMENT_CONTRACT = 1;

/**
 * One package request in DIB's package-installs schema (docs/dib-behaviour.md#package-installs).
 * `null` means "install in install.d with no filter".
 */
export interface PackageParams {
  phase?: 'pre-install.d' | 'install.d' | 'post-install.d';
  /** presence (even false) means: remove this package */
  uninstall?: boolean | null;
  /** install, then remove at the end of the phase's uninstall point */
  'build-only'?: boolean | null;
  installtype?: string;
  arch?: string;
  'not-arch'?: string;
  dib_python_version?: string | number;
  /** `VAR=value` / `VAR!=value`, or a list of them (all must hold) */
  when?: string | string[];
}
export type PackageInstalls = Record<string, PackageParams | PackageParams[] | null>;

/** DIB's pkg-map schema (docs/dib-behaviour.md#pkg-map). */
export interface PkgMap {
  default?: Record<string, string>;
  family?: Record<string, Record<string, string>>;
  distro?: Record<string, Record<string, string>>;
  release?: Record<string, Record<string, Record<string, string>>>;
}

/** What an element's taps read that dib cannot see (see `cacheInputs`). */
export interface CacheInputs {
  /** absolute paths of host files the taps read: their content is hashed (a missing file counts too) */
  files?: readonly string[];
  /** variables of the caller's environment that host taps read (build variables are keyed already) */
  env?: readonly string[];
  /** other inputs by name, as text: a mirror's Release file digest, a version asked from an API */
  values?: Readonly<Record<string, string>>;
}

export interface CacheInputsContext {
  /** the build environment */
  env: Readonly<Env>;
  /** true for --offline: compute nothing that needs the network */
  offline: boolean;
}

export interface ElementDefinition {
  /** Element name as users write it (`debian-minimal`), DIB's spelling. */
  name: string;
  description?: string;
  /** element-deps */
  deps?: string[];
  /** element-provides (virtual names such as `operating-system`, `block-device`) */
  provides?: string[];
  /**
   * environment.d. A function receives the environment so far (the user's values, the standard
   * variables and what functions of elements that depend on this one returned) and returns the
   * variables it sets; functions run first, an element before its dependencies. An object
   * gives defaults, applied after every function, only to variables still unset.
   */
  environment?: Env | ((env: Readonly<Env>) => Env);
  /** package-installs requests, in DIB's schema */
  packages?: PackageInstalls;
  /** pkg-map for this element's package names */
  pkgMap?: PkgMap;
  /** block-device-default.yaml: the layout this element proposes (first element wins) */
  blockDevice?: BlockDeviceConfig | ((env: Readonly<Env>) => BlockDeviceConfig | undefined);
  /**
   * The architectures this element can build for (Debian names: amd64, arm64, …), checked
   * before any work; absent: any. An element that builds a root from host binaries (busybox-root)
   * or needs an emulator for foreign ones (debootstrap) says so here.
   */
  arches?: readonly string[] | ((env: Readonly<Env>) => readonly string[] | undefined);
  /** host tools needed (by `dib doctor` and the pre-flight check) */
  hostTools?: HostTool[] | ((env: Readonly<Env>) => HostTool[]);
  /**
   * What this element's taps read besides what phase checkpoints key already (the element's own
   * package, the build environment, the config): host files, variables of the caller's
   * environment, anything else as named values. `false`: the element cannot be keyed (it
   * fetches something that changes without notice), so no checkpoint is used or stored from
   * the first phase it taps on. A function is called once per build, before the first phase.
   */
  cacheInputs?: false | CacheInputs | ((ctx: CacheInputsContext) => false | CacheInputs | Promise<false | CacheInputs>);
  /** Tap the build's hooks. Called once per build, in resolved element order. */
  apply?(build: Build): void | Promise<void>;
}

export interface Element extends ElementDefinition {
  /** the contract version this element was written for */
  readonly contract: number;
}

/** Declare an element. The result is the default export of an element package. */
export function defineElement(def: ElementDefinition): Element {
  return Object.freeze({ ...def, contract: ELEMENT_CONTRACT });
}

export function isElement(x: unknown): x is Element {
  return typeof x === 'object' && x !== null && typeof (x as Element).name === 'string' && typeof (x as Element).contract === 'number';
}

/** An element after resolution: where it came from. */
export interface ResolvedElement {
  name: string;
  element: Element;
  /** package name, or undefined for directory elements */
  packageName?: string;
  /** directory holding the element (package root or DIB element dir) */
  dir: string;
  /** 'package' for npm elements, 'directory' for DIB-style elements on elementsPath */
  kind: 'package' | 'directory';
}
