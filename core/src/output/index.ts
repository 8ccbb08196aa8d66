/**
 * Output writers: the output-format registry (raw, qcow2, vhd from the assembled disk; tar,
 * tgz, squashfs from the image tree; more from elements), each output written completely
 * before it appears, with sha256 and optional checksum files.
 */
export { writeOutputs, requestedFormats, loadOf } from './write.js';
export { BUILTIN_OUTPUT_FORMATS, defineOutputFormat } from './formats.js';
export { OutputFormatRegistry, builtInRegistry } from './registry.js';
export { requiredHostTools, assertHostTools, findTool } from './tools.js';
export { outputPath, checksumPaths } from './naming.js';
export { hashFile, checksumLine } from './checksum.js';
export { writeAtomic } from './atomic.js';
export { OutputSet, OUTPUT_SET_KEY, isDibTempOutput, stageOutput, sweepStaleOutputs } from './set.js';
export type { OutputStager, WriteOutputsOptions, OutputFile, OutputHostTool, SquashfsCompression, Qcow2Compression, OutputType, OutputFormat, OutputJob, OutputOptions } from './types.js';
