import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, getPackageHooks } from '@dib/core';
import type { PhaseContext } from '@dib/core';
import { pkgMapMain } from './cli.js';
import { mapPackages, readElementPkgMap, readElementPkgMapFile, validatePkgMap } from './lib.js';

export { FAMILIES, familyOf, majorRelease, effectiveMap, mapPackages, parsePkgMap, validatePkgMap, readElementPkgMap, PKG_MAP_FILE } from './lib.js';
export type { MapPackagesOptions, MapPackagesResult } from './lib.js';
export { pkgMapMain, DEFAULT_PKG_MAP_DIR } from './cli.js';
export type { PkgMapIO, PkgMapMainOptions } from './cli.js';

/** Directory of the per-element maps inside the image. */
export const IMAGE_PKG_MAP_DIR = 'usr/share/pkg-map';

/**
 * extra-data 10 `create-pkg-map-dir`: each element's map → `<target>/usr/share/pkg-map/<element>`.
 * A `pkg-map` file is copied verbatim (as DIB's `cp`), a `pkgMap` field is written as JSON.
 */
export async function createPkgMapDir(ctx: PhaseContext): Promise<void> {
  // usr/share exists in any real root; the path is only created below it, never through a link
  const dir = join(ctx.targetRoot, IMAGE_PKG_MAP_DIR);
  await mkdir(dir, { recursive: true });
  const elements = [...ctx.elements].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const el of elements) {
    let text: string | undefined;
    if (el.element.pkgMap !== undefined) {
      text = `${JSON.stringify(validatePkgMap(el.element.pkgMap, `element ${el.name}`), null, 2)}\n`;
    } else {
      text = await readElementPkgMapFile(el);
    }
    if (text === undefined) continue;
    ctx.log.info(`Copying pkg-map for ${el.name}`);
    await writeFile(join(dir, el.name), text);
  }
}

/** Maps generic package names to distribution package names. */
export default defineElement({
  name: 'pkg-map',
  description: 'Maps generic package names to distribution package names.',
  deps: [],
  provides: [],
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'create-pkg-map-dir', stage: 10 }, createPkgMapDir);
    // the core's package services: mapping for install-packages -m, and DIB's pkg-map command
    const packages = getPackageHooks(build);
    packages.mapPackages.tapPromise('pkg-map', async (ctx, req) => {
      const el = ctx.elements.find((e) => e.name === req.element);
      const map = el ? await readElementPkgMap(el) : undefined;
      const distro = ctx.env.DISTRO_NAME ?? '';
      return mapPackages({ map, distro, release: ctx.env.DIB_RELEASE, names: req.names, missingOk: req.missingOk, source: `element ${req.element}` }).packages;
    });
    packages.pkgMapTool.tapPromise('pkg-map', async (req) => {
      let stdout = '';
      let stderr = '';
      const status = await pkgMapMain([...req.argv], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, { env: { ...req.env } });
      return { status, stdout, stderr };
    });
  },
});
