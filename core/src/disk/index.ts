/**
 * dib's disk layer: DIB's block-device config, layout, geometry and image assembly without
 * loop devices. What the build does with it, in order:
 *
 * ```ts
 * const layout = await build.diskPlan();   // planLayout(…) once per build; E_BLOCK_DEVICE_CONFIG
 * build.sealEnv(layoutEnv(layout));        // DIB_ROOT_LABEL, DIB_ROOT_FSTYPE, DIB_BOOT_LABEL, DIB_MOUNTPOINTS
 * // … root … post-root; before block-device:
 * await writeFile(join(targetRoot, 'etc/fstab'), fstab(layout));
 * // … pre-finalise, finalise (the bootloader makes its boot code), cleanup …
 * const content = measureTree(targetRoot, layout);       // bytes per mount point
 * const geometry = computeGeometry(layout, content, config.imageSize);   // DibError E_DISK when too small
 * await assembleImage({ layout, geometry, treeDir: targetRoot, workDir: imageDir,
 *   outFile: join(imageDir, 'image.raw'), run: host, log,
 *   biosBoot: await getDiskHooks(build).biosBootCode.promise({ layout }) });
 * ```
 */
export { parseAbsoluteSize, parseSizeSpec, sizeToBytes, formatSizeSpec, alignUp, alignDown, KiB, MiB, GiB, TiB } from './size.js';
export type { SizeSpec } from './size.js';
export { parseBlockDeviceConfig, toGraph, PLUGINS } from './config.js';
export type { ConfigNode, PartitionEntry, ParsedConfig, PluginName } from './config.js';
export { planLayout, layoutFromParsed, layoutEnv, fstab, fstabEscape, FALLBACK_BLOCK_DEVICE_CONFIG, SUPPORTED_FS_TYPES, LABEL_LIMITS } from './layout.js';
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
