/**
 * Which installed element packages provide which output types, read from their package.json
 * (`"dib": { "outputFormats": ["cpio"] }`) without loading them: so that `-t cpio` in a build
 * without the cpio element names the element to add. Packages are looked for where element
 * resolution looks (the project's node_modules and its parents', the running dib's, the core's),
 * by the element naming conventions (`@dib/element-*`, `dib-element-*`, `@scope/dib-element-*`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dibInstall } from '../util/dib-install.js';
import { ancestors, elementNameOf } from './resolve.js';

const CORE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface OutputTypeProvider {
  type: string;
  /** the element name to add (`cpio`) */
  element: string;
  /** its package (`@dib/element-cpio`) */
  package: string;
}

async function elementPackagesIn(nm: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(nm).catch(() => [] as string[])) {
    if (e.startsWith('dib-element-')) out.push(path.join(nm, e));
    else if (e.startsWith('@')) {
      for (const s of await fs.readdir(path.join(nm, e)).catch(() => [] as string[])) {
        if ((e === '@dib' && s.startsWith('element-')) || s.startsWith('dib-element-')) out.push(path.join(nm, e, s));
      }
    }
  }
  return out;
}

/** Every installed element package that declares output formats, nearest first. */
export async function outputTypeProviders(baseDir: string): Promise<OutputTypeProvider[]> {
  const bases = [baseDir, ...(dibInstall() ? [dibInstall()!.dir] : []), CORE_DIR];
  const seen = new Set<string>();
  const out: OutputTypeProvider[] = [];
  for (const base of bases) {
    for (const d of ancestors(base)) {
      for (const dir of await elementPackagesIn(path.join(d, 'node_modules'))) {
        let pj: { name?: unknown; dib?: { outputFormats?: unknown } };
        try {
          pj = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as typeof pj;
        } catch {
          continue;
        }
        const formats = pj.dib?.outputFormats;
        if (typeof pj.name !== 'string' || !Array.isArray(formats) || seen.has(pj.name)) continue;
        seen.add(pj.name);
        for (const type of formats) if (typeof type === 'string') out.push({ type, element: elementNameOf(pj.name), package: pj.name });
      }
    }
  }
  return out;
}
