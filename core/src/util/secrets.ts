/**
 * Secrets in the build environment: variables whose names say they are secret are never
 * recorded — not in DIB_ENV, `dib_environment`, `dib_arguments`, the build report, the log, the
 * log file or the `--json` events. Their values still reach the elements and scripts that need
 * them; only what dib writes down is redacted.
 *
 * A name is secret when one of its `_`-separated words is, or ends in, PASSWORD, PASSWD,
 * PASSPHRASE, SECRET, TOKEN, KEY or CREDENTIAL(S) (`DIB_DEV_USER_PASSWORD`, `GITHUB_TOKEN`,
 * `AWS_SECRET_ACCESS_KEY`, `DIB_APIKEY`), but not names where KEY is part of another word
 * (`DIB_APT_KEYRING`, `DIB_ADD_APT_KEYS`: paths). `DIB_SECRET_VARS` adds names or globs
 * (`MY_PIN ACME_*`, space- or comma-separated).
 */

/** What a redacted value is replaced with. */
export const REDACTED = '<redacted>';

const SECRET_WORD = /(PASSWORD|PASSWD|PASSPHRASE|SECRETS?|TOKENS?|KEY|CREDENTIALS?)$/;

/** Extra secret names or globs from `DIB_SECRET_VARS`. */
export function secretPatterns(env: Readonly<Record<string, string | undefined>>): string[] {
  return (env.DIB_SECRET_VARS ?? '').split(/[\s,]+/).filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** Whether a variable's name says it holds a secret. */
export function isSecretName(name: string, patterns: readonly string[] = []): boolean {
  if (name === 'DIB_SECRET_VARS') return false;
  if (name.toUpperCase().split(/[^A-Z0-9]+/).some((w) => SECRET_WORD.test(w))) return true;
  return patterns.some((p) => globToRegExp(p).test(name));
}

/** A copy of `env` with every secret variable's value replaced by REDACTED. */
export function redactEnv<T extends Readonly<Record<string, string>>>(env: T, patterns: readonly string[] = secretPatterns(env)): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = isSecretName(k, patterns) && v !== '' ? REDACTED : v;
  return out;
}

/** Values shorter than this are not masked in free text (it would garble every log line). */
const MIN_MASKED = 4;

/**
 * The secret values of these environments (the build's, the process's), longest first, as a
 * masker for free text: every occurrence of one becomes REDACTED.
 */
export function secretMasker(...envs: ReadonlyArray<Readonly<Record<string, string | undefined>>>): (text: string) => string {
  const patterns = envs.flatMap((e) => secretPatterns(e));
  const values = new Set<string>();
  for (const env of envs) {
    for (const [k, v] of Object.entries(env)) if (v && v.length >= MIN_MASKED && isSecretName(k, patterns)) values.add(v);
  }
  const sorted = [...values].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}

/** A command line with `NAME=value` words of secret names (`-e DIB_X_TOKEN=…`) redacted. */
export function redactAssignments(text: string, patterns: readonly string[] = []): string {
  return text.replace(/(^|[\s'"])([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g, (m, pre: string, name: string) => (isSecretName(name, patterns) ? `${pre}${name}=${REDACTED}` : m));
}
