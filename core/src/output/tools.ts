/**
 * Host programs each output type needs, and the pre-flight check that names the missing
 * program's output type and Debian package.
 */
import { DibError } from '../errors.js';
import { findTool } from '../util/find-tool.js';
import type { OutputHostTool, OutputType } from './types.js';

const TOOLS: Readonly<Record<OutputType, ReadonlyArray<{ command: string; package: string }>>> = {
  raw: [{ command: 'cp', package: 'coreutils' }],
  qcow2: [{ command: 'qemu-img', package: 'qemu-utils' }],
  vhd: [{ command: 'qemu-img', package: 'qemu-utils' }],
  tar: [{ command: 'tar', package: 'tar' }],
  tgz: [
    { command: 'tar', package: 'tar' },
    { command: 'gzip', package: 'gzip' },
  ],
  squashfs: [{ command: 'mksquashfs', package: 'squashfs-tools' }],
};

/**
 * Host tools needed to write `types`, one entry per command (`why` lists every output type
 * that needs it), for `dib doctor` and the build's pre-flight.
 */
export function requiredHostTools(types: readonly OutputType[]): OutputHostTool[] {
  const byCommand = new Map<string, { command: string; package: string; types: OutputType[] }>();
  for (const type of new Set(types)) {
    for (const t of TOOLS[type] ?? []) {
      const e = byCommand.get(t.command) ?? { ...t, types: [] };
      e.types.push(type);
      byCommand.set(t.command, e);
    }
  }
  return [...byCommand.values()].map((e) => ({ command: e.command, package: e.package, why: `${e.types.join(', ')} output` }));
}

export { findTool };

/** Throw E_HOST_TOOL_MISSING for the first program `types` need that is not installed. */
export function assertHostTools(types: readonly OutputType[], pathEnv?: string): void {
  const missing = requiredHostTools(types).filter((t) => !findTool(t.command, pathEnv));
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
