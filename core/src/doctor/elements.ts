/**
 * The doctor's element section: which dib runs (and whether a global one handed over to it),
 * every element of the build with its package and version, the resolver's warnings, and the
 * `npm i -D` line for what cannot be found.
 */
import path from 'node:path';
import type { ClosureReport } from '../elements/closure.js';
import type { DibInstall } from '../util/dib-install.js';

export function formatDibInstall(install: DibInstall | undefined, coreDir: string, coreVersion: string): string {
  if (!install) return `dib: @dib/core ${coreVersion} at ${coreDir} (run without the dib package)`;
  const from = install.handedOverFrom ? `; the dib ${install.handedOverFrom.version} at ${install.handedOverFrom.dir} handed over to this project's dib` : '';
  return `dib: ${install.version} at ${install.dir}${from}`;
}

export function formatClosure(r: ClosureReport, baseDir: string): string[] {
  const lines = ['', 'element packages:'];
  const w = Math.max(8, ...r.elements.map((e) => e.name.length), ...r.missing.map((m) => m.name.length));
  for (const e of r.elements) {
    const where = e.package ? `${e.package}${e.version ? `@${e.version}` : ''}` : `directory ${path.relative(baseDir, e.dir) || e.dir}`;
    lines.push(`  ok    ${e.name.padEnd(w)}  ${where}`);
  }
  for (const m of r.missing) lines.push(`  FAIL  ${m.name.padEnd(w)}  not found (${m.requiredBy}); package ${m.package}`);
  for (const warning of r.warnings) lines.push(`  WARN  ${warning}`);
  if (r.npmLine) lines.push('', `missing elements. Install with (in ${baseDir}):`, `  ${r.npmLine}`, '(dib doctor --fix runs it)');
  return lines;
}
