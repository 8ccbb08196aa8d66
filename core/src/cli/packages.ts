/** `dib packages [--json] [elements…]`: the squashed package-installs result, without building. */
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';
import { loadCommandConfig, planBuild, prepareCommand } from './common.js';
import { importElementPackage } from './plugin-import.js';

type Squashed = Record<string, { install?: Array<[string, string]>; uninstall?: Array<[string, string]> }>;

interface PackageInstallsModule {
  squashPackageInstalls(elements: readonly ResolvedElement[], env: Readonly<Env>, installTypeOf: (element: string) => string): Promise<Squashed> | Squashed;
  /** the exact text the build writes to /tmp/package-installs.json */
  formatSquashed(squashed: Squashed): string;
}

export async function packagesCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('packages', argv);
  if (!parsed) return 0;
  const { config } = await loadCommandConfig(parsed);
  const build = await planBuild(config, argv);
  const mod = await importElementPackage<PackageInstallsModule>('@dib/element-package-installs', config.baseDir);
  const squashed = await mod.squashPackageInstalls(build.elements, build.env, (e) => build.installTypeOf(e));
  if (parsed.values.has('json')) {
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
