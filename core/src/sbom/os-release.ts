/** The image's os-release (os-release(5)): `/etc/os-release`, else `/usr/lib/os-release`. */
import { readFile } from 'node:fs/promises';
import { imagePath } from '../util/image-path.js';
import type { OsRelease } from './types.js';

/** Parse os-release text: `KEY=value` lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([\\"$`])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}

/** The os-release of the tree at `root` (empty when it has none). */
export async function readOsRelease(root: string): Promise<OsRelease> {
  for (const p of ['etc/os-release', 'usr/lib/os-release']) {
    try {
      return parseOsRelease(await readFile(await imagePath(root, p), 'utf8'));
    } catch {
      /* the next one */
    }
  }
  return {};
}

/** `debian-12`: the distro qualifier of a package URL (ID and VERSION_ID, else the codename). */
export function distroQualifier(os: OsRelease): string | undefined {
  const id = os.ID;
  const version = os.VERSION_ID ?? os.VERSION_CODENAME;
  if (!id) return undefined;
  return version ? `${id}-${version}` : id;
}
