/**
 * Dependency expansion with DIB's rules (docs/dib-behaviour.md#element-expansion): BFS over element-deps,
 * element-provides registering virtual names, `operating-system` required, already-provided
 * and missing elements as errors. Unlike DIB the result order is deterministic and does not
 * depend on the order elements were listed in.
 */
import { DibError } from '../errors.js';
import { archFamily } from '../util/arch.js';
import type { ResolvedElement } from '../contract/element.js';
import type { RequiredBy } from './resolve.js';

export interface ExpandOptions {
  /** resolve a name to an element, as required by `by` (throws E_ELEMENT_NOT_FOUND) */
  resolve(name: string, by?: RequiredBy): Promise<ResolvedElement>;
  /** who asked for each requested name (the config, the command line, dib itself) */
  requestedBy?: (name: string) => RequiredBy | undefined;
  /** skip the operating-system check (element-info, tests) */
  requireOs?: boolean;
}

export interface Expansion {
  /** elements of the build, sorted by name */
  elements: ResolvedElement[];
  /** virtual name → providing element */
  provided: Map<string, string>;
  /** element → its direct deps (after provides were applied) */
  graph: Map<string, string[]>;
  /** elements in environment order: an element before the elements it depends on */
  envOrder: ResolvedElement[];
}

/**
 * DIB's pre-processing of the requested list: `vm` without a block-device element gets
 * block-device-efi (arm64) or block-device-mbr; `base` is added unless skipped.
 */
export function withImplicitElements(names: readonly string[], opts: { arch: string; skipBase: boolean }): string[] {
  const out = [...names];
  if (out.includes('vm') && !out.some((n) => n.startsWith('block-device-'))) {
    out.push(archFamily(opts.arch) === 'arm64' ? 'block-device-efi' : 'block-device-mbr');
  }
  if (!opts.skipBase && !out.includes('base')) out.unshift('base');
  return out;
}

export async function expandElements(requested: readonly string[], opts: ExpandOptions): Promise<Expansion> {
  const byName = new Map<string, ResolvedElement>();
  const final = new Set<string>();
  const provided = new Map<string, string>();
  const queue: string[] = [];
  const order: string[] = [];

  // requested names resolve first; a name that resolves to a differently named element
  // (a path or package name) is recorded under the element's own name. A requested name that
  // resolves to nothing may be a virtual name another requested element provides
  // (`operating-system`): it waits in the queue, as in DIB, and is an error only if nothing
  // provides it by the time it is processed.
  const requiredBy = new Map<string, RequiredBy>();
  const edges: Array<[string, ResolvedElement]> = [];
  const unresolved = new Map<string, unknown>();
  for (const n of requested) {
    let r: ResolvedElement;
    try {
      r = await opts.resolve(n, opts.requestedBy?.(n));
    } catch (e) {
      if (!(e instanceof DibError && e.code === 'E_ELEMENT_NOT_FOUND')) throw e;
      if (!final.has(n)) {
        final.add(n);
        queue.push(n);
        unresolved.set(n, e);
      }
      continue;
    }
    if (!final.has(r.name)) {
      final.add(r.name);
      queue.push(r.name);
      byName.set(r.name, r);
    }
  }
  const requestedNames = new Set(queue);

  while (queue.length) {
    const name = queue.shift()!;
    if (provided.has(name)) continue;
    if (unresolved.has(name)) throw unresolved.get(name);
    const r = byName.get(name) ?? (await opts.resolve(name, requiredBy.get(name)));
    byName.set(name, r);
    order.push(name);
    for (const p of r.element.provides ?? []) {
      const by = provided.get(p);
      if (by !== undefined && by !== name) {
        throw new DibError('E_ALREADY_PROVIDED', `${p}: already provided by [${by}], and ${name} provides it too`, {
          hint: `build with only one of ${by} and ${name}`,
        });
      }
      provided.set(p, name);
    }
    for (const dep of r.element.deps ?? []) {
      if (!final.has(dep) && !provided.has(dep)) {
        queue.push(dep);
        requiredBy.set(dep, { kind: 'element', element: r });
      } else edges.push([dep, r]);
      final.add(dep);
    }
  }
  // every other element that depends on a name already in the build: the resolver warns when
  // that element's own lookup finds another version than the one the build uses
  for (const [dep, by] of edges) if (byName.has(dep) && !provided.has(dep)) await opts.resolve(dep, { kind: 'element', element: by });

  const clash = [...requestedNames].filter((n) => provided.has(n) && provided.get(n) !== n);
  if (clash.length) {
    const n = clash[0]!;
    throw new DibError('E_ALREADY_PROVIDED', `${n} : already provided by [${provided.get(n)}]`, {
      hint: `remove '${n}' from the element list; '${provided.get(n)}' provides it`,
    });
  }
  if (opts.requireOs !== false && !provided.has('operating-system')) {
    throw new DibError('E_NO_OS', 'Please include an operating system element', {
      hint: 'add one of debian-minimal, ubuntu-minimal or busybox-root to the elements',
    });
  }

  const names = [...final].filter((n) => !provided.has(n) || provided.get(n) === n).filter((n) => byName.has(n));
  names.sort();
  const graph = new Map<string, string[]>();
  for (const n of names) {
    const deps = (byName.get(n)!.element.deps ?? []).map((d) => provided.get(d) ?? d).filter((d) => byName.has(d) && d !== n);
    graph.set(n, [...new Set(deps)].sort());
  }
  return { elements: names.map((n) => byName.get(n)!), provided, graph, envOrder: envOrder(names, graph).map((n) => byName.get(n)!) };
}

/**
 * Order in which element environments are evaluated: an element comes before the elements it
 * depends on (so it can set defaults its dependencies read), ties broken by name; cycles are
 * cut deterministically.
 */
export function envOrder(names: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const indeg = new Map<string, number>(names.map((n) => [n, 0]));
  for (const n of names) for (const d of graph.get(n) ?? []) if (indeg.has(d)) indeg.set(d, indeg.get(d)! + 1);
  const out: string[] = [];
  const done = new Set<string>();
  while (out.length < names.length) {
    const ready = names.filter((n) => !done.has(n) && indeg.get(n) === 0).sort();
    const next = ready[0] ?? names.filter((n) => !done.has(n)).sort()[0]!;
    done.add(next);
    out.push(next);
    for (const d of graph.get(next) ?? []) if (indeg.has(d)) indeg.set(d, indeg.get(d)! - 1);
  }
  return out;
}
