/** The JSON build report written to `<name>.d/build-report.json` next to the image. */
import fs from 'fs-extra';
import path from 'node:path';
import type { DibBuild } from './build.js';
import type { BuildResult } from './driver.js';
import { stageOutput } from '../output/set.js';

/** The user who ran sudo owns `<name>.d` (DIB's manifests copy does the same). */
export function ownerOf(): { owner?: { uid: number; gid: number } } {
  const uid = Number(process.env.SUDO_UID);
  const gid = Number(process.env.SUDO_GID);
  return process.getuid?.() === 0 && Number.isInteger(uid) && Number.isInteger(gid) && process.env.SUDO_UID ? { owner: { uid, gid } } : {};
}

export interface BuildReport {
  name: string;
  finished: string;
  seconds: number;
  arch: string;
  elements: Array<{ name: string; kind: string; package?: string; dir: string }>;
  phases: Array<{ phase: string; seconds: number; taps: Array<{ element: string; tap: string; stage: number; seconds: number }> }>;
  outputs: Array<{ path: string; format: string; bytes: number; sha256: string }>;
}

export function reportDir(build: DibBuild): string {
  return `${build.config.name}.d`;
}

/** Write the report into the build's output set (committed with the images), 0600 in a 0700 dir. */
export async function writeReport(build: DibBuild, result: BuildResult): Promise<string> {
  const report: BuildReport = {
    name: build.config.name,
    finished: new Date().toISOString(),
    seconds: Number(result.seconds.toFixed(3)),
    arch: build.config.arch,
    elements: build.elements.map((e) => ({ name: e.name, kind: e.kind, ...(e.packageName ? { package: e.packageName } : {}), dir: e.dir })),
    phases: result.phases.map((p) => ({
      phase: p.phase,
      seconds: Number(p.seconds.toFixed(3)),
      taps: build.tapTimings.filter((t) => t.phase === p.phase).map((t) => ({ element: t.element, tap: t.name, stage: t.stage, seconds: Number(t.seconds.toFixed(3)) })),
    })),
    outputs: result.outputs.map((o) => ({ path: o.path, format: o.format, bytes: o.bytes, sha256: o.sha256 })),
  };
  const file = path.join(reportDir(build), 'build-report.json');
  const staged = await stageOutput(build, file, { parentMode: 0o700, ...ownerOf() });
  // nothing recorded shows a secret (element paths or tap names could, in principle)
  await fs.writeFile(staged, build.bus.mask(JSON.stringify(report, null, 2)) + '\n', { mode: 0o600 });
  await fs.chmod(staged, 0o600);
  return file;
}
