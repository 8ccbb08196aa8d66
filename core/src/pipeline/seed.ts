/**
 * The build's seed: what every identifier dib chooses is derived from (disk/ids.ts). The config
 * key `seed` wins; by default it is a hash of what defines the image — the config keys that
 * shape its content and the elements with their versions (a package's version, a hash of every
 * file of a DIB element directory) — so a rebuild of one config gets the same UUIDs, and a
 * change of config or element gets new ones. Work paths, the image name, the output types and
 * secret variables (by name, as util/secrets.ts judges them) never enter it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import type { ResolvedElement } from '../contract/element.js';
import { seededIds, type IdSource } from '../disk/ids.js';
import { isSecretName, secretPatterns } from '../util/secrets.js';
import { packageVersion } from '../util/version.js';

/** The config keys that decide what goes into the image (and so into the default seed). */
const CONTENT_KEYS = [
  'arch',
  'packages',
  'blockDevice',
  'fsType',
  'rootLabel',
  'mkfsOptions',
  'mkfsJournalSize',
  'maxOnlineResize',
  'imageSize',
  'imageExtraSize',
  'installType',
  'skipBase',
] as const satisfies ReadonlyArray<keyof ResolvedConfig>;

/** sha256 over every file of a directory element (relative path, mode bits, content), sorted. */
async function directoryHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await fs.readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(dir, r);
      if (e.isDirectory()) {
        h.update(`d ${r}\0`);
        await walk(r);
      } else if (e.isSymbolicLink()) {
        h.update(`l ${r} ${await fs.readlink(p)}\0`);
      } else if (e.isFile()) {
        const st = await fs.stat(p);
        h.update(`f ${r} ${(st.mode & 0o111) !== 0 ? 'x' : '-'}\0`);
        h.update(await fs.readFile(p));
      }
    }
  };
  await walk('');
  return h.digest('hex');
}

/** What identifies an element's content: its package and version, or its directory's hash. */
async function elementIdentity(e: ResolvedElement): Promise<string> {
  if (e.kind === 'directory') return `${e.name} dir:${await directoryHash(e.dir)}`;
  return `${e.name} ${e.packageName ?? ''}@${(await packageVersion(e.dir)) ?? ''}`;
}

/** The default seed of a build (hex), as described above. */
export async function defaultSeed(build: { config: ResolvedConfig; elements: readonly ResolvedElement[] }): Promise<string> {
  const c = build.config;
  const patterns = secretPatterns(c.env);
  const env = Object.entries(c.env)
    .filter(([k]) => !isSecretName(k, patterns))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const config = Object.fromEntries(CONTENT_KEYS.map((k) => [k, c[k] ?? null]));
  const elements = await Promise.all(build.elements.map(elementIdentity));
  return createHash('sha256').update(JSON.stringify({ v: 1, config, env, elements })).digest('hex');
}

/** The seed a build uses: the config's `seed`, else the default one. */
export async function buildSeed(build: { config: ResolvedConfig; elements: readonly ResolvedElement[] }): Promise<string> {
  return build.config.seed ?? (await defaultSeed(build));
}

/** The build's identifier source (`seededIds` of its seed). */
export async function buildIds(build: { config: ResolvedConfig; elements: readonly ResolvedElement[] }): Promise<IdSource> {
  return seededIds(await buildSeed(build));
}
