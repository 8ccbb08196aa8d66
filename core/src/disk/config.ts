/**
 * Parse DIB's block-device config (docs/dib-behaviour.md#block-device-config): a list of
 * single-key maps keyed by plugin, in tree form (nested plugin keys) or graph form (`base`
 * references, upstream's canonical form, `base` on partitions too) or both mixed, into a flat
 * list of named nodes, as upstream's config_tree_to_graph does. This module checks shape only;
 * `layout.ts` gives the nodes meaning. Keys a plugin does not know are ignored with a warning,
 * as upstream ignores them.
 */
import { DibError } from '../errors.js';
import { closest } from '../util/suggest.js';

export const PLUGINS = ['local_loop', 'partitioning', 'lvm', 'mkfs', 'mount', 'fstab'] as const;
export type PluginName = (typeof PLUGINS)[number];

/** Keys each plugin accepts besides nested plugin keys. */
const PLUGIN_KEYS: Record<PluginName, readonly string[]> = {
  local_loop: ['name', 'size', 'directory', 'block_size'],
  partitioning: ['name', 'base', 'label', 'align', 'partitions'],
  lvm: ['name', 'base', 'pvs', 'vgs', 'lvs'],
  mkfs: ['name', 'base', 'type', 'label', 'opts', 'uuid'],
  mount: ['name', 'base', 'mount_point'],
  fstab: ['name', 'base', 'options', 'dump-freq', 'fsck-passno'],
};
const PARTITION_KEYS = ['name', 'base', 'size', 'flags', 'type'] as const;

/** One node of the block-device graph. */
export interface ConfigNode {
  plugin: PluginName;
  name: string;
  /** name of the node this one builds on (undefined only for local_loop) */
  base?: string;
  /** the node's own keys (nested plugin keys removed) */
  params: Record<string, unknown>;
  /** entry path for messages: `blockDevice[1].partitioning.partitions[0].mkfs` */
  path: string;
}

/** One partition of a `partitioning` node. */
export interface PartitionEntry {
  name: string;
  /** the partitioning node holding it */
  table: string;
  params: Record<string, unknown>;
  path: string;
}

export interface ParsedConfig {
  /** where the config came from (a file name or `config key blockDevice`) */
  source: string;
  nodes: ConfigNode[];
  partitions: PartitionEntry[];
  /** what was accepted but ignored (unknown keys), path-named */
  warnings: string[];
}

/** A DibError for a block-device config problem at `path`. */
export function configError(source: string, path: string, problem: string, hint: string): DibError {
  return new DibError('E_BLOCK_DEVICE_CONFIG', `${source}: ${path}: ${problem}`, { hint });
}

const FORM_HINT = "write the block-device config as a list of single-key maps, e.g. [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', … } }]";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPlugin(k: string): k is PluginName {
  return (PLUGINS as readonly string[]).includes(k);
}

/** An unknown key: upstream's plugins ignore it, so dib does, saying so. */
function unknownKey(out: ParsedConfig, path: string, key: string, allowed: readonly string[]): void {
  const near = closest(key, [...allowed, ...PLUGINS]);
  out.warnings.push(`${out.source}: ${path}.${key}: unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ''} ignored, as DIB ignores it (known here: ${allowed.join(', ')})`);
}

/**
 * Parse the config (the value of `blockDevice`, or DIB's YAML loaded) into nodes.
 * `root` is the name the entry paths start with (default `blockDevice`).
 */
export function parseBlockDeviceConfig(config: unknown, source: string, root = 'blockDevice'): ParsedConfig {
  if (!Array.isArray(config)) {
    throw configError(source, root, `must be a list of single-key maps, not ${describe(config)}`, FORM_HINT);
  }
  if (config.length === 0) throw configError(source, root, 'is an empty list', FORM_HINT);
  const out: ParsedConfig = { source, nodes: [], partitions: [], warnings: [] };
  config.forEach((entry, i) => {
    const path = `${root}[${i}]`;
    if (!isPlainObject(entry)) throw configError(source, path, `config entry is not a map (${describe(entry)})`, FORM_HINT);
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      throw configError(source, path, `config entry must be a single-key map, it has ${keys.length} keys (${keys.join(', ') || 'none'})`, FORM_HINT);
    }
    const plugin = keys[0]!;
    if (!isPlugin(plugin)) {
      const near = closest(plugin, PLUGINS);
      throw configError(source, `${path}.${plugin}`, `'${plugin}' is not a block-device plugin${near ? ` (did you mean '${near}'?)` : ''}`, `use one of ${PLUGINS.join(', ')}`);
    }
    walk(out, plugin, entry[plugin], `${path}.${plugin}`, undefined);
  });
  return out;
}

function walk(out: ParsedConfig, plugin: PluginName, value: unknown, path: string, parent: string | undefined): void {
  const { source } = out;
  if (value === null || value === undefined) value = {};
  if (!isPlainObject(value)) throw configError(source, path, `must be a map of parameters, not ${describe(value)}`, `give ${plugin} its parameters as key: value pairs`);
  const given = value;
  // lvm's base may list its partitions (upstream's lvm_tree_multiple_partitions: base: [root])
  if (plugin === 'lvm' && Array.isArray(given.base)) {
    if (given.base.length !== 1 || typeof given.base[0] !== 'string') throw configError(source, `${path}.base`, `must be a node name or a list of one, not ${describe(given.base)}`, "write base: 'root'");
    given.base = given.base[0];
  }
  for (const k of ['name', 'base'] as const) {
    if (k in given && typeof given[k] !== 'string') throw configError(source, `${path}.${k}`, `must be a string, not ${describe(given[k])}`, `write ${k}: '<node name>'`);
    if (typeof given[k] === 'string' && (given[k] as string).trim() === '') throw configError(source, `${path}.${k}`, 'is empty', `give the ${k} a node name`);
  }
  if (plugin === 'local_loop') {
    if (parent !== undefined) throw configError(source, path, 'local_loop cannot be nested in another entry', 'make local_loop a top-level entry');
    if (typeof given.name !== 'string') throw configError(source, `${path}.name`, 'local_loop needs a name', "add name: image0");
  }
  if (parent !== undefined && 'base' in given && given.base !== parent) {
    throw configError(source, `${path}.base`, `base '${String(given.base)}' contradicts the enclosing entry '${parent}'`, 'drop base from nested entries: they build on the entry they are nested in');
  }
  const base = (given.base as string | undefined) ?? parent;
  if (plugin !== 'local_loop' && plugin !== 'lvm' && base === undefined) {
    throw configError(source, path, `${plugin} needs a base (the name of the entry it builds on)`, `add base: '<name>' or nest this ${plugin} inside that entry`);
  }
  const name = (given.name as string | undefined) ?? `${plugin}_${base}`;
  const params: Record<string, unknown> = {};
  const nested: Array<[PluginName, unknown, string]> = [];
  const allowed = PLUGIN_KEYS[plugin];
  for (const [k, v] of Object.entries(given)) {
    if (isPlugin(k)) {
      nested.push([k, v, `${path}.${k}`]);
      continue;
    }
    if (!allowed.includes(k)) {
      unknownKey(out, path, k, allowed);
      continue;
    }
    params[k] = v;
  }
  const node: ConfigNode = { plugin, name, params, path };
  if (base !== undefined) node.base = base;
  out.nodes.push(node);

  if (plugin === 'partitioning') {
    const parts = params.partitions;
    if (parts === undefined) throw configError(source, `${path}.partitions`, 'partitioning needs a list of partitions', "add partitions: [{ name: 'root', size: '100%', … }]");
    if (!Array.isArray(parts) || parts.length === 0) throw configError(source, `${path}.partitions`, `must be a non-empty list, not ${describe(parts)}`, 'list the partitions, each a map with name and size');
    parts.forEach((p: unknown, i: number) => {
      const ppath = `${path}.partitions[${i}]`;
      if (!isPlainObject(p)) throw configError(source, ppath, `partition must be a map, not ${describe(p)}`, 'give each partition name, size and optionally flags and type');
      if (typeof p.name !== 'string' || p.name.trim() === '') throw configError(source, `${ppath}.name`, 'partition needs a name', "add name: '<partition name>'");
      const pparams: Record<string, unknown> = {};
      const pnested: Array<[PluginName, unknown, string]> = [];
      for (const [k, v] of Object.entries(p)) {
        if (isPlugin(k)) {
          if (k === 'local_loop' || k === 'partitioning') throw configError(source, `${ppath}.${k}`, `${k} cannot be nested in a partition`, `nest only mkfs (with mount and fstab) or lvm in a partition`);
          pnested.push([k, v, `${ppath}.${k}`]);
          continue;
        }
        if (!(PARTITION_KEYS as readonly string[]).includes(k)) {
          unknownKey(out, ppath, k, PARTITION_KEYS);
          continue;
        }
        pparams[k] = v;
      }
      // graph form: a partition's base names the disk; upstream replaces it with the
      // partitioning's base, and so does dib (saying so when they differ)
      if (pparams.base !== undefined && pparams.base !== base) {
        out.warnings.push(`${source}: ${ppath}.base: '${String(pparams.base)}' is not the partitioning's base '${String(base)}'; the partition is on '${String(base)}', as DIB places it`);
      }
      delete pparams.base;
      out.partitions.push({ name: p.name, table: name, params: pparams, path: ppath });
      for (const [k, v, np] of pnested) walk(out, k, v, np, p.name);
    });
    delete params.partitions;
  }
  for (const [k, v, np] of nested) {
    if (k === 'local_loop') throw configError(source, np, 'local_loop cannot be nested in another entry', 'make local_loop a top-level entry');
    walk(out, k, v, np, name);
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `'${v}'`;
  return `${typeof v} ${String(v)}`;
}

/**
 * The parsed config in upstream's canonical graph form (config_tree_to_graph's output): one
 * single-key map per node with its `name` and `base`, partitions inside their partitioning
 * entry with the disk as `base`. Tree and graph forms of one layout give the same list.
 */
export function toGraph(parsed: ParsedConfig): Record<string, Record<string, unknown>>[] {
  return parsed.nodes.map((n) => {
    const body: Record<string, unknown> = { name: n.name, ...(n.base !== undefined ? { base: n.base } : {}), ...n.params };
    if (n.plugin === 'partitioning') {
      body.partitions = parsed.partitions.filter((p) => p.table === n.name).map((p) => ({ ...p.params, name: p.name, ...(n.base !== undefined ? { base: n.base } : {}) }));
    }
    return { [n.plugin]: body };
  });
}
