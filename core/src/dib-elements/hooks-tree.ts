/**
 * DIB's generate_hooks (docs/dib-behaviour.md#hooks-tree): every directory element's
 * subdirectories (except `tests`, `__pycache__`) and top-level regular files (except `*.pyc`)
 * merged into TMP_HOOKS_PATH. An entry of a subdirectory that is already there as a regular
 * file is DIB's "There is a duplicated hook in your elements" error; deeper entries merge
 * silently. Package elements contribute their `bin/` tools (DIB scripts call
 * `$TMP_HOOKS_PATH/bin/cache-url`), the one part of an element directory DIB scripts use by path.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import type { ResolvedElement } from '../contract/element.js';
import { DibError } from '../errors.js';
import type { Logger } from '../vocabulary.js';

const SKIP_DIRS = new Set(['tests', '__pycache__']);

export interface HooksTreeResult {
  /** `<subdir>/<entry>` → element that supplied it */
  origin: Map<string, string>;
}

async function statFollow(p: string): Promise<fs.Stats | undefined> {
  return fs.stat(p).catch(() => undefined);
}

/** Merge the directory elements (in the given order) into `hooksDir`. */
export async function generateHooksTree(elements: readonly ResolvedElement[], hooksDir: string, log?: Logger): Promise<HooksTreeResult> {
  const origin = new Map<string, string>();
  await fs.ensureDir(hooksDir);
  for (const el of elements) {
    const names = el.kind === 'directory' ? (await fs.readdir(el.dir)).sort() : ['bin'];
    for (const name of names) {
      const src = path.join(el.dir, name);
      const st = await statFollow(src);
      if (!st) continue;
      if (st.isDirectory()) {
        if (SKIP_DIRS.has(name)) continue;
        const destDir = path.join(hooksDir, name);
        await fs.ensureDir(destDir);
        const entries = (await fs.readdir(src)).filter((e) => !e.startsWith('.')).sort();
        for (const entry of entries) {
          const rel = `${name}/${entry}`;
          const dest = path.join(destDir, entry);
          const there = await statFollow(dest);
          if (there?.isFile()) {
            throw new DibError('E_DUPLICATE_TAP', `There is a duplicated hook in your elements: ${rel} (elements ${origin.get(rel) ?? '?'} and ${el.name})`, {
              hint: `rename ${rel} in one of the two elements (${el.dir})`,
            });
          }
          // cp -a: links stay links, modes and times kept; directories merge
          await execa('cp', ['-a', path.join(src, entry), destDir]);
          if (!origin.has(rel)) origin.set(rel, el.name);
        }
      } else if (st.isFile() && el.kind === 'directory') {
        if (name.endsWith('.pyc')) continue;
        await execa('cp', ['-a', src, hooksDir]);
        origin.set(name, el.name);
      }
    }
    log?.debug(`hooks tree: merged element ${el.name} from ${el.dir}`);
  }
  return { origin };
}
