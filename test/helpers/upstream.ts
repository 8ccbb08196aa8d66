/**
 * Upstream diskimage-builder as installed by Debian's python3-diskimage-builder (the parity
 * tests' oracle): its elements, block-device test configs and library. Tests skip when it is
 * missing; CI installs it (scripts/setup-host).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const UPSTREAM_DIR = process.env.DIB_UPSTREAM_DIR ?? '/usr/lib/python3/dist-packages/diskimage_builder';
export const UPSTREAM_ELEMENTS = path.join(UPSTREAM_DIR, 'elements');
export const UPSTREAM_BLOCK_DEVICE_TESTS = path.join(UPSTREAM_DIR, 'block_device', 'tests', 'config');
export const HAVE_UPSTREAM = existsSync(UPSTREAM_ELEMENTS);
