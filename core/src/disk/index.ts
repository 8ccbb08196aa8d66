/**
 * dib's disk layer: DIB's block-device config, layout, geometry and image assembly without
 * loop devices. What the build driver calls, in order:
 *
 * ```ts
 * // block-device phase
 * const layout = planLayout(config.blockDevice ?? elementLayout ?? FALLBACK_BLOCK_DEVICE_CONFIG,
 *   'config key blockDevice', { rootLabel, fsType, mkfsOptions, arch });      // DibError E_BLOCK_DEVICE_CONFIG
 * build.state.set(DISK_LAYOUT_KEY, layout);
 * Object.assign(env, layoutEnv(layout));                 // DIB_ROOT_LABEL, DIB_ROOT_FSTYPE, DIB_BOOT_LABEL, DIB_MOUNTPOINTS
 * await writeFile(join(targetRoot, 'etc/fstab'), fstab(layout));
 * // … pre-finalise, finalise (the bootloader stores BIOS_BOOT_KEY), cleanup …
 * const content = measureTree(targetRoot, layout);       // bytes per mount point
 * const geometry = computeGeometry(layout, content, config.imageSize);   // DibError E_DISK when too small
 * await assembleImage({ layout, geometry, treeDir: targetRoot, workDir: imageDir,
 *   outFile: join(imageDir, 'image.raw'), run: host, log, biosBoot: build.state.get(BIOS_BOOT_KEY) });
 * ```
 */
export { parseAbsoluteSize, parseSizeSpec, sizeToBytes, formatBytes, formatSizeSpec, alignUp, alignDown, KiB, MiB, GiB, TiB } from './size.js';
export type { SizeSpec } from './size.js';
export { parseBlockDeviceConfig, toGraph, PLUGINS } from './config.js';
export type { ConfigNode, PartitionEntry, ParsedConfig, PluginName } from './config.js';
export { planLayout, layoutFromParsed, layoutEnv, fstab, filesystemAt, FALLBACK_BLOCK_DEVICE_CONFIG, SUPPORTED_FS_TYPES, LABEL_LIMITS } from './layout.js';
export type { DiskLayout, LayoutPartition, LayoutFilesystem, LayoutParams, LayoutLvm, DiskProblem, FstabEntry, FsType, TableKind } from './layout.js';
export { computeGeometry, minimumFsSize, suggestedFsSize, GPT_TAIL } from './geometry.js';
export type { DiskGeometry, PartitionGeometry, FilesystemGeometry } from './geometry.js';
export { measureTree } from './measure.js';
export { assembleImage, nestedMountPoints } from './assemble.js';
export type { AssembleOptions } from './assemble.js';
export { makeFilesystem } from './mkfs.js';
export { sfdiskScript, writePartitionTable } from './partition-table.js';
export { patchMbr, patchCoreImage, biosBootPlacement, checkBiosImages } from './bios-boot.js';
export type { BiosBootFiles, BiosBootFiles as BiosBootCode } from './bios-boot.js';
export { gptTypeGuid, mbrTypeByte, GPT_TYPE_GUIDS } from './partition-types.js';
export { loadBlockDeviceConfigText, blockDeviceConfigFromEnv } from './source.js';
export { assertDiskBuildable, needsDiskImage, DISK_IMAGE_TYPES } from './buildable.js';
export { mbrSectors, chs } from './mbr.js';
export { xfsSupport, xfsProtofile, mkfsXfsArgs } from './xfs.js';
export type { XfsSupport, Protofile } from './xfs.js';

/** build.state key: the DiskLayout, stored by the driver at the block-device phase. */
export const DISK_LAYOUT_KEY = 'disk:layout';
/** build.state key: `{ bootImg, coreImg }` host paths (under build.paths.imageDir), stored by the bootloader. */
export const BIOS_BOOT_KEY = 'disk:bios-boot';
