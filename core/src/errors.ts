/**
 * Errors are values: a stable code, a one-line message and a hint that names the fix.
 * The CLI prints `dib: error [CODE] message` and `  hint: …`, never a stack trace
 * (set DIB_DEBUG_TRACE=1 to get one).
 */
export type ErrorCode =
  | 'E_CONFIG_NOT_FOUND'
  | 'E_CONFIG_SYNTAX'
  | 'E_CONFIG_UNKNOWN_KEY'
  | 'E_CONFIG_TYPE'
  | 'E_CONFIG_VALUE'
  | 'E_USAGE'
  | 'E_NOT_ROOT'
  | 'E_ELEMENT_NOT_FOUND'
  | 'E_ELEMENT_INVALID'
  | 'E_ELEMENT_CONTRACT'
  | 'E_ALREADY_PROVIDED'
  | 'E_NO_OS'
  | 'E_DUPLICATE_TAP'
  | 'E_TAP_FAILED'
  | 'E_COMMAND_FAILED'
  | 'E_ROOT_EMPTY'
  | 'E_BLOCK_DEVICE_CONFIG'
  | 'E_DISK'
  | 'E_OUTPUT'
  | 'E_OUTPUT_TYPE'
  | 'E_HOST_TOOL_MISSING'
  | 'E_INTERRUPTED'
  | 'E_OFFLINE_CACHE_MISS'
  | 'E_PKG_MAP'
  | 'E_PACKAGE_INSTALLS'
  | 'E_BOOT'
  | 'E_BREAK'
  | 'E_LOCK'
  | 'E_MOUNT'
  | 'E_SANDBOX'
  | 'E_TAP_TIMEOUT'
  | 'E_STALLED'
  | 'E_UNCAUGHT'
  | 'E_OUTPUT_DIR'
  | 'E_WORK_DIR'
  | 'E_CACHE_DIR'
  | 'E_IMAGE_SIZE'
  | 'E_PARTITIONS_TOO_BIG'
  | 'E_ARCH_UNSUPPORTED'
  | 'E_RELEASE_NOT_FOUND'
  | 'E_DIFF_INPUT'
  | 'E_NOT_REPRODUCIBLE'
  | 'E_SBOM'
  | 'E_CHECKPOINT'
  | 'E_INTERNAL';

/** Exit status used by the CLI for each class of error. */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;
export const EXIT_INTERRUPTED = 130;

export interface DibErrorOptions {
  hint?: string;
  cause?: unknown;
  /** process exit status; defaults by code (config/usage → 2, else 1) */
  exitCode?: number;
  /** extra lines (for example the last lines of a failed script's output) */
  details?: string[];
  /** the phase, element and tap the error happened in (set by the hooks for a failing tap) */
  phase?: string;
  element?: string;
  tap?: string;
}

/** Where an error happened: the phase, element and tap, as fields. */
export interface ErrorContext {
  phase?: string;
  element?: string;
  tap?: string;
}

/**
 * An error as a value: a stable code, a one-line message, a hint, and where it happened
 * (`phase`, `element`, `tap`) as fields. The message is never rewritten to say where: the
 * sentence naming the place is made only when the error is printed (`toLine`), and `--json`
 * consumers get the fields (`toJSON`).
 */
export class DibError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: number;
  readonly details: string[];
  readonly phase?: string;
  readonly element?: string;
  readonly tap?: string;

  constructor(code: ErrorCode, message: string, options: DibErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DibError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? defaultExitCode(code);
    if (options.phase !== undefined) this.phase = options.phase;
    if (options.element !== undefined) this.element = options.element;
    if (options.tap !== undefined) this.tap = options.tap;
  }

  /** The same error, located (and, for a failing command in a tap, re-coded E_TAP_FAILED). */
  withContext(where: ErrorContext, code: ErrorCode = this.code): DibError {
    const hint = this.hint ?? (where.element && where.tap ? `see the log lines of ${where.phase}/${where.element}/${where.tap} above` : undefined);
    return new DibError(code, this.message, { hint, details: this.details, cause: this, exitCode: this.exitCode, ...where });
  }

  /** Where it happened, as a sentence (`install phase, element motd, tap write-motd`). */
  where(): string | undefined {
    const parts = [this.phase && `${this.phase} phase`, this.element && `element ${this.element}`, this.tap && `tap ${this.tap}`].filter(Boolean);
    return parts.length ? parts.join(', ') : undefined;
  }

  /** The one-line form printed by the CLI. */
  toLine(): string {
    const where = this.where();
    return `[${this.code}] ${where ? `${where}: ` : ''}${this.message}`;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: string[]; phase?: string; element?: string; tap?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.phase !== undefined ? { phase: this.phase } : {}),
      ...(this.element !== undefined ? { element: this.element } : {}),
      ...(this.tap !== undefined ? { tap: this.tap } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

/** What the pre-flight finds before any work: the build as asked cannot run (exit 2, like usage). */
const PREFLIGHT_CODES: ReadonlySet<ErrorCode> = new Set(['E_OUTPUT_DIR', 'E_WORK_DIR', 'E_CACHE_DIR', 'E_IMAGE_SIZE', 'E_PARTITIONS_TOO_BIG', 'E_ARCH_UNSUPPORTED', 'E_RELEASE_NOT_FOUND', 'E_OUTPUT_TYPE']);

/** What the user asked for cannot be built as written: the element set or the disk layout. */
const REQUEST_CODES: ReadonlySet<ErrorCode> = new Set(['E_ELEMENT_NOT_FOUND', 'E_NO_OS', 'E_ALREADY_PROVIDED', 'E_BLOCK_DEVICE_CONFIG']);

function defaultExitCode(code: ErrorCode): number {
  if (code.startsWith('E_CONFIG') || code === 'E_USAGE' || code === 'E_DIFF_INPUT' || PREFLIGHT_CODES.has(code) || REQUEST_CODES.has(code)) return EXIT_USAGE;
  if (code === 'E_INTERRUPTED') return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

export function isDibError(e: unknown): e is DibError {
  return e instanceof DibError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'DibError' && typeof (e as { code?: unknown }).code === 'string');
}

/** Wrap anything thrown into a DibError, keeping an existing one as it is. */
export function toDibError(e: unknown, code: ErrorCode = 'E_INTERNAL', hint?: string): DibError {
  if (isDibError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DibError(code, message.split('\n')[0] ?? message, { hint, cause: e });
}
