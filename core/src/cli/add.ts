/**
 * `dib add ELEMENT…`: install an element's package into the project (npm i -D) and add the
 * element to the config's `elements`, so that the next `dib plan` / `dib build` has it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { DibError, isDibError } from '../errors.js';
import { ElementResolver, isPathLike } from '../elements/resolve.js';
import { addElementToConfig } from '../scaffold/config-edit.js';
import { stringValue } from './args.js';
import { prepareCommand } from './common.js';

/** `dib-element-motd@^0.2.0` → `dib-element-motd`; `@acme/x@1` → `@acme/x`. */
function withoutVersion(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at > 0 ? spec.slice(0, at) : spec;
}

function npm(args: string[], cwd: string, quiet: boolean) {
  return spawnSync('npm', args, { cwd, stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'], encoding: 'utf8' });
}

/** The package to install for `spec`: itself when it names a package, else the first the registry has. */
function packageFor(spec: string, cwd: string): string {
  const name = withoutVersion(spec);
  if (name.startsWith('@') || name.startsWith('dib-element-')) return spec;
  for (const candidate of [`@dib/element-${name}`, `dib-element-${name}`]) {
    if (npm(['view', candidate, 'name'], cwd, true).status === 0) return candidate;
  }
  throw new DibError('E_ELEMENT_NOT_FOUND', `no package for element '${name}' on the npm registry (looked for @dib/element-${name} and dib-element-${name})`, {
    hint: `name the package: dib add @scope/dib-element-${name}, or check the registry (npm config get registry)`,
  });
}

export async function addCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('add', argv);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const flags = { config: stringValue(parsed, 'config'), 'no-install': parsed.values.has('no-install') };
  if (!positionals.length) throw new DibError('E_USAGE', 'dib add takes one or more elements', { hint: 'dib add motd, or dib add dib-element-motd' });
  const loaded = await loadConfigFile({ configPath: flags.config, dir: process.cwd() });
  if (!loaded) {
    throw new DibError('E_CONFIG_NOT_FOUND', `no dib config in ${process.cwd()}`, { hint: "create one with 'dib init' (or npm create dib), then dib add" });
  }
  const project = path.dirname(loaded.file);
  const elementsPath = (loaded.config.elementsPath ?? []).map((p) => path.resolve(project, p));
  for (const spec of positionals) {
    const name = withoutVersion(spec);
    let resolved;
    const resolve = () => new ElementResolver({ baseDir: project, elementsPath }).resolve(name);
    try {
      // a version asked for is installed even when another one is there
      resolved = spec === name || isPathLike(spec) ? await resolve() : undefined;
    } catch (e) {
      if (!isDibError(e) || e.code !== 'E_ELEMENT_NOT_FOUND' || isPathLike(spec) || flags['no-install']) throw e;
    }
    if (!resolved) {
      const pkg = packageFor(spec, project);
      process.stdout.write(`installing ${pkg} (npm i -D ${pkg}, in ${project})\n`);
      const r = npm(['install', '--save-dev', '--no-fund', '--no-audit', pkg], project, false);
      if (r.status !== 0) {
        throw new DibError('E_ELEMENT_NOT_FOUND', `npm i -D ${pkg} failed in ${project} (${r.error ? r.error.message : `exit status ${r.status}`})`, {
          hint: 'check the package name (npm view NAME) and the npm registry (npm config get registry)',
        });
      }
      resolved = await new ElementResolver({ baseDir: project, elementsPath }).resolve(withoutVersion(pkg));
    }
    // the short name when it finds this very package from the project, else the package name
    let entry = isPathLike(spec) ? spec : resolved.name;
    if (!isPathLike(spec)) {
      const byShort = await new ElementResolver({ baseDir: project, elementsPath }).resolve(resolved.name).catch(() => undefined);
      if (byShort?.dir !== resolved.dir) entry = resolved.packageName ?? name;
    }
    const added = addElementToConfig(loaded.file, entry);
    const from = resolved.packageName ? ` (${resolved.packageName})` : '';
    process.stdout.write(added ? `added '${entry}'${from} to the elements of ${path.basename(loaded.file)}\n` : `'${entry}'${from} is already in the elements of ${path.basename(loaded.file)}\n`);
  }
  return 0;
}
