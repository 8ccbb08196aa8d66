/**
 * Config problems are collected, not thrown one by one: a config with three problems is
 * reported as three lines (where, key path, what is wrong, did-you-mean, the fix), all before
 * any work, with exit status 2.
 */
import { DibError, type ErrorCode } from '../errors.js';

export interface ConfigProblem {
  code: ErrorCode;
  /** the file (`dib.config.ts`, `.dibrc.yaml:3:9`), `command line` or `environment` */
  where: string;
  /** the key path (`types[1]`, `env.1X`), the flag (`--image-size`) or the variable (`DIB_IMAGE_SIZE`) */
  path: string;
  /** what is wrong, with a did-you-mean where there is one */
  message: string;
  /** the fix */
  fix: string;
}

/** The one line of a problem, without the fix. */
export function problemText(p: ConfigProblem): string {
  return p.path ? `${p.where}: ${p.path}: ${p.message}` : `${p.where}: ${p.message}`;
}

/** Every problem of a config at once. The CLI prints one line per problem. */
export class ConfigError extends DibError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((p) => p.path || p.where).join(', ')})` : '';
    super(first.code, `${problemText(first)}${more}`, { hint: first.fix });
    this.problems = problems;
  }

  /** One line per problem: `[CODE] where: path: what; fix: …`. */
  lines(): string[] {
    return this.problems.map((p) => `[${p.code}] ${problemText(p)}; fix: ${p.fix}`);
  }

  override toJSON(): ReturnType<DibError['toJSON']> & { problems: ConfigProblem[] } {
    return { ...super.toJSON(), problems: [...this.problems] };
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (typeof e === 'object' && e !== null && Array.isArray((e as { problems?: unknown }).problems) && (e as { name?: string }).name === 'DibError');
}

/** Throw the collected problems, if any. */
export function throwProblems(problems: readonly ConfigProblem[]): void {
  if (problems.length) throw new ConfigError(problems);
}
