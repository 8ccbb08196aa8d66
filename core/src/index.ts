/**
 * @dib/core public API: the config schema, the element contract, the build and phase
 * context interfaces, errors and helpers elements may use.
 */
export { defineConfig, OUTPUT_TYPES } from './config/schema.js';
export type { DibConfig, ResolvedConfig, BlockDeviceConfig, BlockDeviceEntry, OutputType, ConfigEnv, DibConfigFn, DibConfigExport } from './config/schema.js';
export { defineElement, isElement, ELEMENT_CONTRACT } from './contract/element.js';
export type { Element, ElementDefinition, ResolvedElement, Env, PackageInstalls, PackageParams, PkgMap, HostTool, CacheInputs, CacheInputsContext } from './contract/element.js';
export { PHASES, PHASE_NAMES, phaseInfo, isPhaseName } from './contract/phases.js';
export type { PhaseName, HookName, PhaseWhere } from './contract/phases.js';
export type {
  Build,
  BuildPaths,
  DibTapOptions,
  ElementPhaseHook,
  ElementPhaseHooks,
  StateKey,
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
export type { CacheEntryManifest, TreeStore, TreeStoreOptions } from './vocabulary.js';
export { DibError, isDibError, toDibError } from './errors.js';
export type { ErrorCode, ErrorContext } from './errors.js';
export { createHooksRegistry } from './contract/hooks-registry.js';
export { stateKey } from './contract/state-key.js';
export { getDiskHooks } from './contract/disk-hooks.js';
export type { DiskHooks, BiosBootRequest } from './contract/disk-hooks.js';
export { getPackageHooks } from './contract/package-hooks.js';
export { defineOsElement, isOsElement, osElementOf, osFamilyOf, releaseTargetOf, OS_FAMILIES } from './contract/os.js';
export type { OsDefinition, OsElement, OsFamily, PackageProgress, ProgressReader, ReleaseTarget } from './contract/os.js';
export { getImageHooks } from './contract/image-hooks.js';
export { getCheckpointHooks } from './contract/checkpoint-hooks.js';
export type { CheckpointHooks, CheckpointPoint } from './contract/checkpoint-hooks.js';
export type { ImageHooks, InventoryRequest } from './contract/image-hooks.js';
export { packageUrl, parseOsRelease, distroQualifier } from './sbom/index.js';
export type { ImageInventory, InventoryPackage, LicenseRef, OsRelease, PackageUrlParts } from './sbom/index.js';
export type { PackageHooks, PackageAction, PackageRequest, MapRequest, PkgMapToolRequest, PkgMapToolResult, PlannedPackages, PlannedPackagesAnswer } from './contract/package-hooks.js';
export { createHostRunner, createChrootRunner, commandLine } from './chroot/run.js';
export { bindMount, unmount } from './chroot/mounts.js';
export { silentLogger } from './log/logger.js';
export { writeOutputs, requiredHostTools, stageOutput, isDibTempOutput, sweepStaleOutputs, defineOutputFormat, BUILTIN_OUTPUT_FORMATS } from './output/index.js';
export type { OutputFile, WriteOutputsOptions, OutputFormat, OutputJob, OutputOptions } from './output/index.js';
export { getOutputHooks } from './contract/output-hooks.js';
export type { OutputHooks, OutputFormatCollector } from './contract/output-hooks.js';
export { outputFormats } from './pipeline/output-formats.js';
export { seededIds } from './disk/ids.js';
export type { IdSource } from './disk/ids.js';
export { bootImage } from './boot/index.js';
export type { BootOptions, BootResult } from './boot/index.js';
export { planLayout } from './disk/index.js';
export type { DiskLayout, BiosBootFiles } from './disk/index.js';
export { blockDeviceSource, planBuildLayout } from './pipeline/finish.js';
export { archFamily, normaliseArch } from './util/arch.js';
export { isSecretName, redactEnv, secretMasker, REDACTED } from './util/secrets.js';
export { shellQuote, shellWord } from './util/shell.js';
export { formatBytes } from './util/bytes.js';
export { imagePath } from './util/image-path.js';
export type { ArchFamily } from './util/arch.js';
export { defineBlockDeviceElement } from './contract/block-device-element.js';
export type { BlockDeviceElementOptions } from './contract/block-device-element.js';
