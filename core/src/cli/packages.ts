/** `dib packages [--json] [elements…]`: the squashed package-installs result, without building. */
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';
import { BUILD_OPTIONS, overridesFrom, parseCommand, type BuildFlags } from './args.js';
import { helpRequested, loadConfig, planBuild } from './common.js';
import { importElementPackage } from './plugin-import.js';

type Squashed = Record<string, { install?: Array<[string, string]>; uninstall?: Array<[string, string]> }>;

interface PackageInstallsModule {
  squashPackageInstalls(elements: readonly ResolvedElement[], env: Readonly<Env>, installTypeOf: (element: string) => string): Promise<Squashed> | Squashed;
  /** the exact text the build writes to /tmp/package-installs.json */
  formatSquashed(squashed: Squashed): string;
}

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
  const mod = await importElementPackage<PackageInstallsModule>('@dib/element-package-installs', config.baseDir);
  const squashed = await mod.squashPackageInstalls(build.elements, build.env, (e) => build.installTypeOf(e));
  if (flags.json) {
    process.stdout.write(mod.formatSquashed(squashed) + '\n');
    return 0;
  }
  for (const [phase, v] of Object.entries(squashed)) {
    process.stdout.write(`${phase}\n`);
    for (const [pkg, el] of v.install ?? []) process.stdout.write(`  install    ${pkg.padEnd(32)} ${el}\n`);
    for (const [pkg, el] of v.uninstall ?? []) process.stdout.write(`  uninstall  ${pkg.padEnd(32)} ${el}\n`);
  }
  return 0;
}
