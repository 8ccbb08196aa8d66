/**
 * Host programs the output formats need (each format's `hostTools`), and the pre-flight check
 * that names the missing program's output type and Debian package.
 */
import { DibError } from '../errors.js';
import { findTool } from '../util/find-tool.js';
import type { OutputFormat, OutputHostTool } from './types.js';

/**
 * Host tools needed to write `formats`, one entry per command (`why` lists every output type
 * that needs it), for `dib doctor` and the build's pre-flight.
 */
export function requiredHostTools(formats: readonly Pick<OutputFormat, 'type' | 'hostTools'>[]): OutputHostTool[] {
  const byCommand = new Map<string, { command: string; package: string; types: string[] }>();
  for (const f of formats) {
    for (const t of f.hostTools ?? []) {
      const e = byCommand.get(t.command) ?? { command: t.command, package: t.package, types: [] };
      if (!e.types.includes(f.type)) e.types.push(f.type);
      byCommand.set(t.command, e);
    }
  }
  return [...byCommand.values()].map((e) => ({ command: e.command, package: e.package, why: `${e.types.join(', ')} output` }));
}

export { findTool };

/** Throw E_HOST_TOOL_MISSING for the first program `formats` need that is not installed. */
export function assertHostTools(formats: readonly Pick<OutputFormat, 'type' | 'hostTools'>[], pathEnv?: string): void {
  const missing = requiredHostTools(formats).filter((t) => !findTool(t.command, pathEnv));
  if (missing.length === 0) return;
  const first = missing[0]!;
  const pkgs = [...new Set(missing.map((t) => t.package))];
  throw new DibError('E_HOST_TOOL_MISSING', `${first.why} needs '${first.command}', which is not installed`, {
    hint: `apt-get install ${pkgs.join(' ')}`,
    details: missing.map((t) => `${t.command} (package ${t.package}) for ${t.why}`),
  });
}

/** Prefer pigz (parallel gzip, same format) when installed. */
export function gzipProgram(pathEnv?: string): string {
  return findTool('pigz', pathEnv) ? 'pigz' : 'gzip';
}
