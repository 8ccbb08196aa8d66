/**
 * A build's output formats: the registry of the built-in ones and those its elements add
 * (through `getOutputHooks(build).formats`), made once per build after the elements are
 * applied; and the check, before any work, that every type asked for (`-t`, `types`) is in it.
 */
import type { Build } from '../contract/build.js';
import { buildIdentity } from '../contract/hooks-registry.js';
import { getOutputHooks } from '../contract/output-hooks.js';
import { outputTypeProviders } from '../elements/output-providers.js';
import { DibError } from '../errors.js';
import { OutputFormatRegistry } from '../output/registry.js';
import type { OutputFormat, OutputOptions } from '../output/types.js';
import type { ResolvedConfig } from '../config/schema.js';
import { didYouMean } from '../util/suggest.js';

const registries = new WeakMap<object, OutputFormatRegistry>();

/** The build's output-format registry (asked of the elements' taps on first use). */
export function outputFormats(build: Build): OutputFormatRegistry {
  const id = buildIdentity(build);
  let registry = registries.get(id);
  if (registry) return registry;
  const reg = new OutputFormatRegistry();
  const hook = getOutputHooks(build).formats;
  let tap = '';
  hook.intercept({ tap: (t) => void (tap = t.name) });
  hook.call({ add: (format) => reg.add(format, `element ${tap}`), types: () => reg.types() });
  registry = reg;
  registries.set(id, registry);
  return registry;
}

/** The settings output writers read, from the build's config. */
export function outputOptions(c: Pick<ResolvedConfig, 'compress' | 'qcow2Compression' | 'qemuImgOptions'>): OutputOptions {
  return { compress: c.compress, qcow2Compression: c.qcow2Compression, ...(c.qemuImgOptions !== undefined ? { qemuImgOptions: c.qemuImgOptions } : {}) };
}

/** The formats the build writes, in the order asked (each once). Throws E_OUTPUT_TYPE. */
export function selectedFormats(build: Build): OutputFormat[] {
  const reg = outputFormats(build);
  return [...new Set(build.config.types)].map((t) => reg.get(t));
}

/**
 * Every type asked for is provided; else E_OUTPUT_TYPE naming the installed element that
 * provides it (its package.json says so), or the closest known type.
 */
export async function assertOutputTypes(build: Build): Promise<void> {
  const reg = outputFormats(build);
  const unknown = build.config.types.find((t) => !reg.has(t));
  if (unknown === undefined) return;
  const providers = await outputTypeProviders(build.config.baseDir);
  const p = providers.find((x) => x.type === unknown);
  if (p) {
    throw new DibError('E_OUTPUT_TYPE', `output type '${unknown}' is provided by element ${p.element} (${p.package}), which is not part of this build`, {
      hint: `add ${p.element} to the elements (dib build … ${p.element}, or elements: [… '${p.element}'] in the config)`,
    });
  }
  const others = providers.filter((x) => !reg.has(x.type));
  const known = [...new Set([...reg.types(), ...others.map((x) => x.type)])];
  throw new DibError('E_OUTPUT_TYPE', `unknown output type '${unknown}'${didYouMean(unknown, known)}: neither dib nor an element of this build provides it`, {
    hint: `use one of: ${reg.types().join(', ')}${others.length ? `; or add the element that provides ${[...new Set(others.map((x) => `${x.type} (element ${x.element})`))].join(', ')}` : ''}`,
  });
}
