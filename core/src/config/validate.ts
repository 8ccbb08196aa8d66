/**
 * Validation of a loaded config object against the schema: unknown keys (with a "did you
 * mean"), wrong types and bad values, each reported as one line naming the file and key.
 */
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { OUTPUT_TYPES, type DibConfig } from './schema.js';
import { imageSizeProblem } from './sizes.js';

type Check = (value: unknown) => string | undefined;

const isString: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const isBool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const isStringArray: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? undefined : 'must be an array of non-empty strings';
const isEnv: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object of NAME: "value" strings';
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return `has '${k}', which is not a valid variable name`;
    if (typeof x !== 'string') return `.${k} must be a string (write "${String(x)}")`;
  }
  return undefined;
};
const isSize: Check = imageSizeProblem;
const isSeconds: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a number of seconds greater than 0');
const isTypes: Check = (v) => {
  if (!Array.isArray(v) || v.length === 0) return `must be a non-empty array of output types (${OUTPUT_TYPES.join(', ')})`;
  for (const t of v) {
    if (!(OUTPUT_TYPES as readonly string[]).includes(t)) return `has unknown output type '${String(t)}'${didYouMean(String(t), OUTPUT_TYPES)}; known: ${OUTPUT_TYPES.join(', ')}`;
  }
  return undefined;
};
const isBlockDevice: Check = (v) => {
  if (!Array.isArray(v)) return 'must be an array of single-key objects, as DIB block-device YAML (e.g. [{ local_loop: { name: "image0" } }, …])';
  for (const [i, e] of v.entries()) {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || Object.keys(e).length !== 1) return `[${i}] must be an object with exactly one plugin key (local_loop, partitioning, mkfs, mount, fstab)`;
  }
  return undefined;
};

export const CONFIG_KEYS: Record<keyof DibConfig, Check> = {
  elements: isStringArray,
  elementsPath: isStringArray,
  arch: isString,
  name: isString,
  types: isTypes,
  packages: isStringArray,
  env: isEnv,
  imageSize: isSize,
  cacheDir: isString,
  rootLabel: isString,
  fsType: isString,
  mkfsOptions: isString,
  installType: isString,
  blockDevice: isBlockDevice,
  checksum: isBool,
  compress: isBool,
  skipBase: isBool,
  offline: isBool,
  logfile: isString,
  workDir: isString,
  tapTimeout: isSeconds,
};

/** Check `raw` (what the config file exported) and return it typed. `where` names the file. */
export function validateConfig(raw: unknown, where: string): Partial<DibConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DibError('E_CONFIG_TYPE', `${where}: the config must be an object (export default defineConfig({ … }))`, {
      hint: "write `export default defineConfig({ elements: ['vm', 'debian-minimal'] })`",
    });
  }
  for (const [key, value] of Object.entries(raw)) {
    const check = (CONFIG_KEYS as Record<string, Check>)[key];
    if (!check) {
      throw new DibError('E_CONFIG_UNKNOWN_KEY', `${where}: unknown key '${key}'${didYouMean(key, Object.keys(CONFIG_KEYS))}`, {
        hint: `remove it; known keys: ${Object.keys(CONFIG_KEYS).join(', ')}`,
      });
    }
    if (value === undefined) continue;
    const problem = check(value);
    if (problem) {
      throw new DibError('E_CONFIG_TYPE', `${where}: key '${key}' ${problem}`, { hint: `fix '${key}' in ${where} (see README "Config reference")` });
    }
  }
  return raw as Partial<DibConfig>;
}
