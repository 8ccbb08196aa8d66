/** `dib packages [--json] [elements…]`: the squashed package-installs result, without building. */
import { getPackageHooks } from '../contract/package-hooks.js';
import { DibError } from '../errors.js';
import { BUILD_OPTIONS, overridesFrom, parseCommand, type BuildFlags } from './args.js';
import { helpRequested, loadConfig, planBuild } from './common.js';

export const PACKAGES_USAGE = `Usage: dib packages [--json] [--config PATH] [build options] [elements…]

Prints what package-installs would install and remove in each phase, for the config or the
named elements, without building. --json prints the very JSON the build writes to
/tmp/package-installs.json in the image.`;

export async function packagesCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(PACKAGES_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<BuildFlags>('packages', argv, BUILD_OPTIONS);
  const config = await loadConfig({ configPath: flags.config, overrides: overridesFrom(flags, positionals) });
  const build = await planBuild(config, argv);
  const planned = await getPackageHooks(build).plannedPackages.promise();
  if (!planned) {
    throw new DibError('E_PACKAGE_INSTALLS', 'no element of this build plans package installs', { hint: 'package-installs answers this; it comes with base (do not use -n) or add it to the elements' });
  }
  if (flags.json) {
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
