/**
 * The build settings DIB records: `DIB_ENV` (the `DIB_*` variables, as `export -p` prints
 * them) and `DIB_ARGS` (the arguments of the build).
 */
import { redactEnv, shellWord, type Build, type Env } from '@dib/core';

/** Quote a value as bash's `export -p` / `declare -p` does: double quotes, `\ " $ \`` escaped. */
export function bashDeclareQuote(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/**
 * DIB_ENV: one `declare -x NAME="value"` line per `DIB_*` variable, sorted by name (bash's
 * order), without DIB_ENV and DIB_ARGS themselves, secrets redacted. No trailing newline.
 */
export function formatDibEnvironment(rawEnv: Readonly<Env>): string {
  // variables whose names say secret are recorded as <redacted>
  const env = redactEnv(rawEnv);
  return Object.keys(env)
    .filter((k) => k.startsWith('DIB_') && k !== 'DIB_ENV' && k !== 'DIB_ARGS')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `declare -x ${k}=${bashDeclareQuote(env[k]!)}`)
    .join('\n');
}

/**
 * DIB_ARGS: the build's arguments. The core's `DIB_ARGS` when it sets one, else the
 * `disk-image-create` command line equivalent to the config.
 */
export function dibArguments(build: Pick<Build, 'env' | 'config'>): string {
  if (build.env.DIB_ARGS !== undefined) return build.env.DIB_ARGS;
  const c = build.config;
  const args: string[] = [];
  if (c.arch) args.push('-a', c.arch);
  if (c.name) args.push('-o', c.name);
  if (c.types?.length) args.push('-t', c.types.join(','));
  if (c.skipBase) args.push('-n');
  if (c.compress === false) args.push('-u');
  if (c.packages?.length) args.push('-p', c.packages.join(','));
  if (c.installType && c.installType !== 'source') args.push(`--install-type=${c.installType}`);
  if (c.imageSize !== undefined) args.push(`--image-size=${c.imageSize}B`);
  if (c.rootLabel) args.push(`--root-label=${c.rootLabel}`);
  if (c.mkfsOptions) args.push(`--mkfs-options=${c.mkfsOptions}`);
  if (c.checksum) args.push('--checksum');
  if (c.offline) args.push('--offline');
  args.push(...(c.elements ?? []));
  return args.map(shellWord).join(' ');
}

/** DIB_ENV of the build: the core's `DIB_ENV` when set, else computed from `env`. */
export function dibEnvironment(env: Readonly<Env>): string {
  return env.DIB_ENV ?? formatDibEnvironment(env);
}
