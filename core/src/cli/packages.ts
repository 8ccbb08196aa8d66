/** `dib packages [--json] [elements…]`: the squashed package-installs result, without building. */
import { getPackageHooks } from '../contract/package-hooks.js';
import { DibError } from '../errors.js';
import { loadCommandConfig, planBuild, prepareCommand } from './common.js';

export async function packagesCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('packages', argv);
  if (!parsed) return 0;
  const { config } = await loadCommandConfig(parsed);
  const build = await planBuild(config, argv);
  const planned = await getPackageHooks(build).plannedPackages.promise();
  if (!planned) {
    throw new DibError('E_PACKAGE_INSTALLS', 'no element of this build plans package installs', { hint: 'package-installs answers this; it comes with base (do not use -n) or add it to the elements' });
  }
  if (parsed.values.has('json')) {
    process.stdout.write(planned.text + '\n');
    return 0;
  }
  for (const [phase, v] of Object.entries(planned.packages)) {
    process.stdout.write(`${phase}\n`);
    for (const [pkg, el] of v.install ?? []) process.stdout.write(`  install    ${pkg.padEnd(32)} ${el}\n`);
    for (const [pkg, el] of v.uninstall ?? []) process.stdout.write(`  uninstall  ${pkg.padEnd(32)} ${el}\n`);
  }
  return 0;
}
