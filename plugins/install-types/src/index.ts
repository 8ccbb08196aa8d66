import { join } from 'node:path';
import { defineElement } from '@dib/core';
import type { PhaseContext } from '@dib/core';
import { applyInstallTypeLinks, defaultInstallType, planInstallTypeLinks } from './lib.js';

export { planInstallTypeLinks, applyInstallTypeLinks, defaultInstallType } from './lib.js';
export type { InstallTypeLink } from './lib.js';

/**
 * extra-data 99 `enable-install-types`: log the install type chosen for each element (the
 * core runs only the install taps of that type) and, for DIB-style directory elements,
 * link the selected `install.d/<prefix>-<type>-install/*` scripts into the hooks tree.
 */
export async function enableInstallTypes(ctx: PhaseContext): Promise<void> {
  const names = ctx.elements.map((e) => e.name).sort();
  ctx.log.info(`install types: ${names.map((n) => `${n}=${ctx.build.installTypeOf(n)}`).join(' ')}`);
  const installD = join(ctx.build.paths.hooksDir, 'install.d');
  const links = await planInstallTypeLinks(installD, ctx.env, defaultInstallType(ctx.env, ctx.config.installType));
  for (const l of links) ctx.log.info(`install.d/${l.name} -> ${l.target}`);
  await applyInstallTypeLinks(installD, links);
}

/** Selects install-type alternatives (source, package, …) for install taps. */
export default defineElement({
  name: 'install-types',
  description: 'Selects install-type alternatives (source, package, …) for install taps.',
  deps: [],
  provides: [],
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'enable-install-types', stage: 99 }, enableInstallTypes);
  },
});
