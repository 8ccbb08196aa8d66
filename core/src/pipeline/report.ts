/**
 * The files written to `<name>.d/` next to the image once the outputs exist: the JSON build
 * report (`build-report.json`) and, when an element inventoried the image's packages, its
 * bill of materials (`sbom.spdx.json`, `sbom.cdx.json`). All go through `writeReportFile`.
 */
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
import { getImageHooks } from '../contract/image-hooks.js';
import { cyclonedxDocument, readOsRelease, spdxDocument, type ImageInventory, type OsRelease, type SbomInput, type SbomTool } from '../sbom/index.js';
import { dibVersion, packageVersion } from '../util/version.js';

export interface BuildReport {
  name: string;
  finished: string;
  seconds: number;
  arch: string;
  dib: { version: string };
  elements: Array<{ name: string; kind: string; package?: string; version?: string; dir: string }>;
  /** per phase: its time, whether it came from a checkpoint (`cached`) and, when not, why (`reason`) */
  phases: Array<{ phase: string; seconds: number; cached: boolean; reason?: string; taps: Array<{ element: string; tap: string; stage: number; seconds: number }> }>;
  /** each phase checkpoint (and `image`, the cached outputs): its key, and whether it was restored or stored */
  checkpoints?: Array<{ name: string; key: string; action: string; reason?: string }>;
  outputs: Array<{ path: string; format: string; bytes: number; sha256: string }>;
  sbom?: string[];
}

export function reportDir(build: DibBuild): string {
  return `${build.config.name}.d`;
}

/**
 * Write one file of `<name>.d/` into the build's output set (put in place with the images once
 * the build has succeeded), 0600 in a 0700 directory, secrets masked; returns its final path.
 */
export async function writeReportFile(build: DibBuild, name: string, content: string): Promise<string> {
  const file = path.join(reportDir(build), name);
  const staged = await stageOutput(build, file, { parentMode: 0o700, ...ownerOf() });
  await fs.writeFile(staged, build.bus.mask(content), { mode: 0o600 });
  await fs.chmod(staged, 0o600);
  return file;
}

/** dib and every element, with the version of the package it came from. */
export async function buildTools(build: DibBuild): Promise<SbomTool[]> {
  const tools: SbomTool[] = [{ name: 'dib', version: dibVersion(), package: '@dib/core', kind: 'dib' }];
  for (const e of build.elements) {
    const version = e.kind === 'package' ? await packageVersion(e.dir) : undefined;
    tools.push({ name: e.name, kind: 'element', ...(e.packageName ? { package: e.packageName } : {}), ...(version ? { version } : {}) });
  }
  return tools;
}

export async function writeReport(build: DibBuild, result: BuildResult): Promise<string> {
  const tools = await buildTools(build);
  const report: BuildReport = {
    name: build.config.name,
    finished: new Date().toISOString(),
    seconds: Number(result.seconds.toFixed(3)),
    arch: build.config.arch,
    dib: { version: tools[0]!.version! },
    elements: build.elements.map((e, i) => {
      const version = tools[i + 1]!.version;
      return { name: e.name, kind: e.kind, ...(e.packageName ? { package: e.packageName } : {}), ...(version ? { version } : {}), dir: e.dir };
    }),
    phases: result.phases.map((p) => ({
      phase: p.phase,
      seconds: Number(p.seconds.toFixed(3)),
      cached: p.cached === true,
      ...(p.reason ? { reason: p.reason } : {}),
      taps: build.tapTimings.filter((t) => t.phase === p.phase).map((t) => ({ element: t.element, tap: t.name, stage: t.stage, seconds: Number(t.seconds.toFixed(3)) })),
    })),
    ...(result.checkpoints ? { checkpoints: result.checkpoints } : {}),
    outputs: result.outputs.map((o) => ({ path: o.path, format: o.format, bytes: o.bytes, sha256: o.sha256 })),
    ...(result.sbom ? { sbom: result.sbom } : {}),
  };
  return writeReportFile(build, 'build-report.json', JSON.stringify(report, null, 2) + '\n');
}

/** What the elements inventoried in the finished tree, or undefined when no element does. */
export interface CollectedInventory {
  inventory: ImageInventory;
  os: OsRelease;
}

/**
 * Ask the elements for the image's packages (the `inventory` hook), while the tree exists.
 * Undefined when no element taps the hook (an image without a package manager).
 */
export async function collectInventory(build: DibBuild): Promise<CollectedInventory | undefined> {
  const hook = getImageHooks(build).inventory;
  if (!hook.taps.length) return undefined;
  const root = build.paths.targetRoot;
  const os = await readOsRelease(root);
  const inventory = await hook.promise({ packages: [], licenseRefs: {}, sources: [] }, { targetRoot: root, env: build.env, osRelease: os, log: build.log.child('sbom') });
  return { inventory, os };
}

/** The documents' time: SOURCE_DATE_EPOCH when the build has one (reproducible), else now. */
function creationTime(build: DibBuild): Date {
  const epoch = build.env.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
  return epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
}

/** Write `sbom.spdx.json` and `sbom.cdx.json` for the outputs of the build. */
export async function writeSbom(build: DibBuild, result: BuildResult, collected: CollectedInventory): Promise<string[]> {
  const input: SbomInput = {
    name: path.basename(build.config.name),
    created: creationTime(build),
    os: collected.os,
    outputs: result.outputs.map((o) => ({ name: path.basename(o.path), format: o.format, sha256: o.sha256, bytes: o.bytes })),
    tools: await buildTools(build),
    inventory: collected.inventory,
  };
  return [
    await writeReportFile(build, 'sbom.spdx.json', JSON.stringify(spdxDocument(input), null, 2) + '\n'),
    await writeReportFile(build, 'sbom.cdx.json', JSON.stringify(cyclonedxDocument(input), null, 2) + '\n'),
  ];
}
