/**
 * The build environment: the standard DIB variables, the user's env, then each element's
 * environment: first every function form (an element before the elements it depends on; it
 * sees the user's values and may set or override), then every object form as defaults.
 */
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { DibError } from '../errors.js';
import { elementListValues, fitsInEnvironment, imageElementYaml } from '../dib-elements/env.js';
import { redactAssignments, redactEnv, secretMasker, secretPatterns } from '../util/secrets.js';
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';
import { isPreview, setPreviewOriginals } from '../dib-elements/env.js';

/**
 * `DIB_ENV` as DIB records it: a `declare -x` line per DIB_* variable, sorted; secrets
 * redacted. DIB takes it from the caller's environment before anything else runs, so the build
 * records what the user set (the environment, the config's `env`, `-e`), never element defaults.
 */
export function dibEnvDump(rawEnv: Readonly<Env>): string {
  const env = redactEnv(rawEnv);
  return Object.keys(env)
    .filter((k) => k.startsWith('DIB_') && k !== 'DIB_ENV' && k !== 'DIB_ARGS')
    .sort()
    .map((k) => `declare -x ${k}="${env[k]!.replace(/(["\\$`])/g, '\\$1')}"`)
    .join('\n');
}

export { imageElementYaml };

export interface EnvInputs {
  config: ResolvedConfig;
  elements: readonly ResolvedElement[];
  envOrder: readonly ResolvedElement[];
  argv: readonly string[];
}

export function buildEnvironment({ config, elements, envOrder, argv }: EnvInputs): Env {
  const env: Env = {
    LC_ALL: 'C',
    ARCH: config.arch,
    IMAGE_NAME: config.name,
    IMAGE_TYPE: 'qcow2',
    FS_TYPE: config.fsType,
    DIB_DEBUG_TRACE: '0',
    DIB_IMAGE_CACHE: config.cacheDir,
    DIB_CHECKSUM: config.checksum ? '1' : '0',
    DIB_OFFLINE: config.offline ? '1' : '',
    DIB_DEFAULT_INSTALLTYPE: config.installType,
    ELEMENTS_PATH: config.elementsPath.join(':'),
    // what one environment string can hold; DIB scripts get the rest as a file (<NAME>_FILE)
    ...Object.fromEntries(Object.entries(elementListValues(elements)).filter(([k, v]) => fitsInEnvironment(k, v))),
    DIB_ARGS: argv.join(' '),
    ...config.env,
  };
  if (config.rootLabel) env.ROOT_LABEL = config.rootLabel;
  // reproducible output: package scripts (initramfs-tools, …) clamp what they write to it
  if (config.sourceDateEpoch !== undefined) env.SOURCE_DATE_EPOCH = String(config.sourceDateEpoch);
  // Functions first (an element before its dependencies): they see the user's values and may
  // set or override; then object defaults fill whatever is still unset.
  // what the previews of DIB elements' environment.d replaced: their scripts source the
  // fragments themselves, starting from the values before the preview
  const originals: Record<string, string | undefined> = {};
  for (const r of envOrder) {
    const e = r.element.environment;
    if (typeof e !== 'function') continue;
    let out: Env;
    try {
      out = e({ ...env });
    } catch (err) {
      if (err instanceof DibError) throw err;
      throw new DibError('E_ELEMENT_INVALID', `element ${r.name}: its environment failed: ${(err as Error).message}`, { hint: `fix the environment of ${r.name} (${path.join(r.dir)})` });
    }
    if (isPreview(e)) for (const k of Object.keys(out)) if (!(k in originals)) originals[k] = env[k];
    for (const [k, v] of Object.entries(out)) env[k] = String(v);
  }
  for (const r of envOrder) {
    const e = r.element.environment;
    if (!e || typeof e === 'function') continue;
    for (const [k, v] of Object.entries(e)) if (env[k] === undefined) env[k] = String(v);
  }
  env.DIB_ENV = dibEnvDump(config.env);
  setPreviewOriginals(env, originals);
  // DIB_ARGS is recorded (dib_arguments): `-e NAME=secret` must not be
  env.DIB_ARGS = secretMasker(env, process.env)(redactAssignments(env.DIB_ARGS ?? '', secretPatterns(env)));
  return env;
}
