/** apt sources as DIB writes them (pure). */
import { DibError } from '@dib/core';

export interface AptSourceEntry {
  /** file name without `.list` */
  name: string;
  /** the sources.list line */
  line: string;
}

/**
 * Parse DIB_APT_SOURCES_CONF: one `name:deb …` entry per line, split at the first `:`.
 * Blank lines are skipped.
 */
export function parseSourcesConf(conf: string, variable = 'DIB_APT_SOURCES_CONF'): AptSourceEntry[] {
  const out: AptSourceEntry[] = [];
  for (const raw of conf.split('\n')) {
    const entry = raw.trim();
    if (!entry) continue;
    const i = entry.indexOf(':');
    const name = i < 0 ? '' : entry.slice(0, i).trim();
    const line = i < 0 ? '' : entry.slice(i + 1).trim();
    if (!name || !line || !/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) {
      throw new DibError('E_CONFIG_VALUE', `${variable}: entry '${entry}' is not 'name:deb URI SUITE COMPONENTS'`, {
        hint: `write one entry per line as name:line, e.g. 'default:deb http://deb.debian.org/debian bookworm main' (name: letters, digits, . _ -)`,
      });
    }
    if (!/^deb(-src)?\s/.test(line)) {
      throw new DibError('E_CONFIG_VALUE', `${variable}: entry '${name}' is not a one-line apt source ('deb …' or 'deb-src …')`, {
        hint: `write it as ${name}:deb URI SUITE COMPONENTS`,
      });
    }
    out.push({ name, line });
  }
  return out;
}

/** Files to write below etc/apt/sources.list.d: `<name>.list` → content. Same names append. */
export function sourcesListFiles(entries: readonly AptSourceEntry[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of entries) {
    const f = `${e.name}.list`;
    files.set(f, (files.get(f) ?? '') + `${e.line}\n`);
  }
  return files;
}

/** The `deb` lines alone (binary sources, for the bootstrap). */
export function debLines(entries: readonly AptSourceEntry[]): string[] {
  return entries.map((e) => e.line).filter((l) => /^deb\s/.test(l));
}
