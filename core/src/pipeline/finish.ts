/**
 * The disk plan and the steps around the last phases that turn the tree into images:
 * `planBuildLayout` (what `build.diskPlan()` memoises), `writeFstab` (before block-device,
 * DIB's writefstab) and `writeImages` (after cleanup: assemble the disk from files and write
 * the outputs).
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { OutputType } from '../config/schema.js';
import { now } from '../log/events.js';
import { archFamily } from '../util/arch.js';
import {
  assembleImage,
  blockDeviceConfigFromEnv,
  loadBlockDeviceConfigText,
  computeGeometry,
  fstab,
  measureTree,
  planLayout,
  type DiskLayout,
  MiB,
} from '../disk/index.js';
import { OUTPUT_SET_KEY, writeOutputs } from '../output/index.js';
import type { DibBuild } from './build.js';
import type { Build } from '../contract/build.js';
import { getDiskHooks } from '../contract/disk-hooks.js';
import type { CommandRunner } from '../vocabulary.js';
import { buildIds } from './seed.js';
import { outputOptions, selectedFormats } from './output-formats.js';

export interface WrittenOutput {
  path: string;
  format: OutputType;
  bytes: number;
  sha256: string;
}

/** Where the block-device config comes from, as DIB looks for it (docs/dib-behaviour.md, block-device config). */
export async function blockDeviceSource(build: Pick<Build, 'config' | 'env' | 'elements'>): Promise<{ config: unknown; source: string }> {
  if (build.config.blockDevice) return { config: build.config.blockDevice, source: 'config key blockDevice' };
  const envConf = build.env.DIB_BLOCK_DEVICE_CONFIG;
  if (envConf) return blockDeviceConfigFromEnv(envConf);
  const archFile = archFamily(build.config.arch) === 'ppc' ? 'ppc64el' : build.config.arch;
  for (const r of build.elements) {
    const bd = r.element.blockDevice;
    const value = typeof bd === 'function' ? bd(build.env) : bd;
    if (value) return { config: value, source: `element ${r.name}` };
    if (r.kind === 'directory') {
      for (const f of [`block-device-${archFile}.yaml`, 'block-device-default.yaml']) {
        const p = path.join(r.dir, f);
        if (await fs.pathExists(p)) return { config: loadBlockDeviceConfigText(await fs.readFile(p, 'utf8'), p), source: p };
      }
    }
  }
  return { config: undefined, source: 'default layout' };
}

/**
 * The layout a build will use, decided from its config, environment and elements only (no
 * side effects): what the block-device phase plans, what the pre-flight checks before any work,
 * and what `dib doctor` and the bootloader's preseed need to know early. Throws
 * E_BLOCK_DEVICE_CONFIG for a bad config.
 */
export async function planBuildLayout(build: Pick<Build, 'config' | 'env' | 'elements'>): Promise<DiskLayout> {
  const { config, source } = await blockDeviceSource(build);
  const c = build.config;
  return planLayout(config, source, {
    // every UUID, volume id, hash seed and GUID of the disk comes from the build's seed
    ids: await buildIds(build),
    rootLabel: c.rootLabel,
    fsType: c.fsType,
    mkfsOptions: c.mkfsOptions,
    arch: c.arch,
    ...(c.mkfsJournalSize !== undefined ? { journalSizeMiB: c.mkfsJournalSize / MiB } : {}),
    ...(c.maxOnlineResize !== undefined ? { maxOnlineResize: c.maxOnlineResize } : {}),
  });
}

/** Before block-device: write the planned layout's fstab into the tree (DIB's writefstab). */
export async function writeFstab(build: DibBuild, layout: DiskLayout): Promise<void> {
  const etc = path.join(build.paths.targetRoot, 'etc');
  await fs.ensureDir(etc);
  await fs.writeFile(path.join(etc, 'fstab'), fstab(layout));
  build.log.info(`block-device layout from ${layout.source}`);
}

export async function writeImages(build: DibBuild, host: CommandRunner): Promise<WrittenOutput[]> {
  const formats = selectedFormats(build);
  const treeDir = build.paths.targetRoot;
  const sourceDateEpoch = build.config.sourceDateEpoch;
  const epoch = sourceDateEpoch !== undefined ? { sourceDateEpoch } : {};
  let rawImage: string | undefined;
  if (formats.some((f) => f.from === 'disk')) {
    const layout = await build.diskPlan();
    const content = await measureTree(treeDir, layout);
    const geometry = computeGeometry(layout, content, build.config.imageSize, build.config.imageExtraSize);
    rawImage = path.join(build.paths.imageDir, 'image.raw');
    build.bus.emit({ type: 'progress', time: now(), label: 'assembling disk image', done: 0 });
    await assembleImage({
      layout,
      geometry,
      treeDir,
      workDir: build.paths.imageDir,
      outFile: rawImage,
      run: host,
      log: build.log,
      biosBoot: await getDiskHooks(build).biosBootCode.promise({ layout }),
      ...epoch,
    });
  }
  const written = await writeOutputs({
    formats,
    outputBase: build.config.name,
    treeDir,
    rawImage,
    ...outputOptions(build.config),
    checksum: build.config.checksum,
    ...epoch,
    ids: await buildIds(build),
    env: build.env,
    run: host,
    log: build.log,
    signal: build.signal,
    // staged: the driver commits them with <name>.d once the whole build has succeeded
    ...(build.state.get(OUTPUT_SET_KEY) ? { set: build.state.get(OUTPUT_SET_KEY) } : {}),
    onProgress: (label, percent) => build.bus.emit({ type: 'progress', time: now(), label, done: Math.round(percent), total: 100, unit: '%' }),
  });
  return written.map((o) => ({ path: o.path, format: o.format, bytes: o.bytes, sha256: o.sha256 }));
}
