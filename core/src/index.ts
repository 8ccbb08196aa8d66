/**
 * @dib/core public API: the config schema, the element contract, the build and phase
 * context interfaces, errors and helpers elements may use.
 */
export { defineConfig, OUTPUT_TYPES } from './config/schema.js';
export type { DibConfig, ResolvedConfig, BlockDeviceConfig, BlockDeviceEntry, OutputType } from './config/schema.js';
export { defineElement, isElement, ELEMENT_CONTRACT } from './contract/element.js';
export type { Element, ElementDefinition, ResolvedElement, Env, PackageInstalls, PackageParams, PkgMap, HostTool } from './contract/element.js';
export { PHASES, PHASE_NAMES, phaseInfo, isPhaseName } from './contract/phases.js';
export type { PhaseName, HookName, PhaseWhere } from './contract/phases.js';
export type {
  Build,
  BuildPaths,
  Cache,
  CleanupStack,
  CommandRunner,
  Logger,
  LogLevel,
  PhaseContext,
  PhaseHook,
  PhaseHooks,
  RunOptions,
  RunResult,
  StateStore,
  TapInfo,
  TapOptions,
} from './contract/build.js';
export { DibError, isDibError, toDibError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { createHostRunner, createChrootRunner, commandLine } from './chroot/run.js';
export { bindMount, unmount } from './chroot/mounts.js';
export { silentLogger } from './log/logger.js';
export { writeOutputs, requiredHostTools } from './output/index.js';
export type { OutputFile, WriteOutputsOptions } from './output/index.js';
export { bootImage } from './boot/index.js';
export type { BootOptions, BootResult } from './boot/index.js';
export { DISK_LAYOUT_KEY, BIOS_BOOT_KEY, planLayout } from './disk/index.js';
export type { DiskLayout, BiosBootFiles } from './disk/index.js';
export { blockDeviceSource, planBuildLayout } from './pipeline/finish.js';
export { archFamily } from './util/arch.js';
export type { ArchFamily } from './util/arch.js';
export { defineBlockDeviceElement } from './contract/block-device-element.js';
export type { BlockDeviceElementOptions } from './contract/block-device-element.js';
