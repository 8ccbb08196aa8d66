/**
 * The core's image hooks: what elements tell the core about the finished image tree.
 * `inventory` is called once, after the cleanup phase (the tree is final, the outputs not yet
 * written): each OS family's element adds the packages its package database lists (dpkg reads
 * `/var/lib/dpkg/status`); the core writes the bill of materials (`<name>.d/sbom.spdx.json`,
 * `sbom.cdx.json`) from the result once the outputs and their sha256 exist. A build no element
 * inventories (no tap) gets no bill of materials.
 *
 *   getImageHooks(build).inventory.tapPromise('dpkg', async (inv, req) => ({
 *     ...inv, packages: [...inv.packages, ...(await readDpkgStatus(req.targetRoot))],
 *   }));
 */
import { AsyncSeriesWaterfallHook } from 'tapable';
import type { ImageInventory, OsRelease } from '../sbom/types.js';
import type { Env, Logger } from '../vocabulary.js';
import { createHooksRegistry } from './hooks-registry.js';
import type { Build } from './build.js';

export interface InventoryRequest {
  /** the image tree */
  targetRoot: string;
  env: Readonly<Env>;
  /** the tree's os-release (for the purl `distro` qualifier) */
  osRelease: OsRelease;
  log: Logger;
}

export interface ImageHooks {
  /** A waterfall: each tap returns the inventory with its packages added. */
  inventory: AsyncSeriesWaterfallHook<[ImageInventory, InventoryRequest]>;
}

export const getImageHooks: (build: Build) => ImageHooks = createHooksRegistry('image', () =>
  Object.freeze({ inventory: new AsyncSeriesWaterfallHook<[ImageInventory, InventoryRequest]>(['inventory', 'request']) }),
);
