/**
 * Booting images in QEMU for `dib boot` and the e2e tests.
 */
export { bootImage, requiredBootTools, requiredBootFiles, QEMU_SYSTEM } from './boot.js';
export type { BootOptions, BootResult, BootReason } from './boot.js';
export { ConsoleWatcher, classifyConsoleLine, cleanConsoleText } from './console.js';
export type { ConsoleVerdict, ConsoleVerdictKind, ConsoleUpdate } from './console.js';
export { buildQemuArgs, OVMF_CODE, OVMF_VARS } from './qemu-args.js';
export type { Accel, Firmware, QemuArgsOptions } from './qemu-args.js';
export { probeAccel, resetAccelProbe, probeBootSector, probeArgs } from './accel.js';
export type { AccelProbe } from './accel.js';
export { detectImageFormat, parseImageFormat } from './image-info.js';
