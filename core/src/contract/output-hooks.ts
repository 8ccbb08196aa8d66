/**
 * The core's output hooks: how elements add output formats to a build's registry (mkosi's
 * `OutputFormat`, open). An element taps `formats` in its `apply()` and adds its formats; the
 * core calls the hook once, after every element is applied, and checks `-t` against the result
 * before any work:
 *
 *   getOutputHooks(build).formats.tap('cpio', (formats) => formats.add(cpioFormat));
 *
 * An element package that adds formats says so in its package.json (`"dib": { "outputFormats":
 * ["cpio"] }`), so that `-t cpio` without the element can name the element to add.
 */
import { SyncHook } from 'tapable';
import type { OutputFormat } from '../output/types.js';
import { createHooksRegistry } from './hooks-registry.js';
import type { Build } from './build.js';

/** What a tap of `formats` receives. */
export interface OutputFormatCollector {
  /** add a format (its type and extension must be new: built-in formats cannot be replaced) */
  add(format: OutputFormat): void;
  /** the types known so far (built in, then those added by earlier taps) */
  types(): string[];
}

export interface OutputHooks {
  /** Called once per build, after every element's apply(): add output formats. */
  formats: SyncHook<[OutputFormatCollector]>;
}

export const getOutputHooks: (build: Build) => OutputHooks = createHooksRegistry('output', () => Object.freeze({ formats: new SyncHook<[OutputFormatCollector]>(['formats']) }));
