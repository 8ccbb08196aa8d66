/**
 * Output writers: raw, qcow2, vhd (from the assembled raw image), tar, tgz, squashfs (from
 * the image tree), each written atomically, with sha256 and optional checksum files.
 */
export { writeOutputs, productionOrder, isTreeOutput } from './write.js';
export { requiredHostTools, assertHostTools, findTool } from './tools.js';
export { outputPath, checksumPaths, OUTPUT_EXTENSIONS } from './naming.js';
export { hashFile, checksumLine } from './checksum.js';
export { writeAtomic } from './atomic.js';
export { OutputSet, OUTPUT_SET_KEY, isDibTempOutput, stageOutput, sweepStaleOutputs } from './set.js';
export type { OutputStager, WriteOutputsOptions, OutputFile, OutputHostTool, SquashfsCompression, OutputType } from './types.js';
