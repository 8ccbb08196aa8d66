/**
 * The core's disk hooks: how elements hand the core what goes into the disk image besides the
 * filesystems. The bootloader answers `biosBootCode` with GRUB's i386-pc boot.img and core.img
 * (made from the target's own GRUB during finalise); the core places them while assembling the
 * disk (the MBR boot code and the BIOS boot partition or the gap after the MBR).
 */
import { AsyncSeriesBailHook } from 'tapable';
import type { BiosBootFiles } from '../disk/bios-boot.js';
import type { DiskLayout } from '../disk/layout.js';
import { createHooksRegistry } from './hooks-registry.js';
import type { Build } from './build.js';

export interface BiosBootRequest {
  /** the build's disk layout (needs BIOS boot code: MBR, or GPT with a BIOS boot partition) */
  layout: DiskLayout;
}

export interface DiskHooks {
  /** Asked once, when the disk is assembled: the first tap that returns files wins. */
  biosBootCode: AsyncSeriesBailHook<[BiosBootRequest], BiosBootFiles | undefined>;
}

export const getDiskHooks: (build: Build) => DiskHooks = createHooksRegistry('disk', () =>
  Object.freeze({ biosBootCode: new AsyncSeriesBailHook<[BiosBootRequest], BiosBootFiles | undefined>(['request']) }),
);
