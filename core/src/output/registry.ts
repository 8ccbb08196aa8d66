/**
 * The output-format registry of one build: the built-in formats (formats.ts) and those its
 * elements add. Formats are checked as they are added: a well-formed type and extension, a
 * writer, and neither type nor file extension taken by another format.
 */
import { OUTPUT_TYPE_NAME } from '../config/output-types.js';
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { BUILTIN_OUTPUT_FORMATS } from './formats.js';
import type { OutputFormat } from './types.js';

const EXTENSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Entry {
  format: OutputFormat;
  /** who added it: `dib` for the built-in ones, else `element <name>` */
  by: string;
}

export class OutputFormatRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(builtIn: readonly OutputFormat[] = BUILTIN_OUTPUT_FORMATS) {
    for (const f of builtIn) this.add(f, 'dib');
  }

  /** Add a format; `by` names who adds it, for messages. Throws E_ELEMENT_INVALID for a bad one. */
  add(format: OutputFormat, by: string): void {
    const bad = (problem: string, hint: string) => new DibError('E_ELEMENT_INVALID', `${by} adds an output format that ${problem}`, { hint });
    if (typeof format !== 'object' || format === null) throw bad('is not an object', 'pass defineOutputFormat({ type, extension, from, description, write })');
    const f = format as Partial<OutputFormat>;
    if (typeof f.type !== 'string' || !OUTPUT_TYPE_NAME.test(f.type)) throw bad(`has the type ${JSON.stringify(f.type)}`, 'name it with lower-case letters, digits, - and _ (it is what -t takes)');
    if (typeof f.extension !== 'string' || !EXTENSION.test(f.extension)) throw bad(`'${f.type}' has the file extension ${JSON.stringify(f.extension)}`, "give it an extension such as 'cpio.gz' (no dot in front, no slash)");
    if (f.from !== 'tree' && f.from !== 'disk') throw bad(`'${f.type}' is made from ${JSON.stringify(f.from)}`, "set from: 'tree' (the image tree) or 'disk' (the assembled disk image)");
    if (typeof f.write !== 'function') throw bad(`'${f.type}' has no write function`, 'give it write(job), which writes job.file');
    const prior = this.entries.get(f.type);
    if (prior) throw bad(`'${f.type}', which ${prior.by === 'dib' ? 'is built into dib' : `${prior.by} adds already`}`, 'give the format another type name');
    const clash = [...this.entries.values()].find((e) => e.format.extension === f.extension);
    if (clash) throw bad(`'${f.type}' with the extension '.${f.extension}' of '${clash.format.type}' (${clash.by === 'dib' ? 'built in' : clash.by})`, 'give it its own extension: both would write the same file');
    this.entries.set(f.type, { format: format, by });
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** The format of `type` (throws E_OUTPUT_TYPE for a type nobody added). */
  get(type: string): OutputFormat {
    const e = this.entries.get(type);
    if (!e) throw new DibError('E_OUTPUT_TYPE', `unknown output type '${type}'${didYouMean(type, this.types())}`, { hint: `use one of: ${this.types().join(', ')}` });
    return e.format;
  }

  /** Who added `type`: `dib` or `element <name>`. */
  providerOf(type: string): string | undefined {
    return this.entries.get(type)?.by;
  }

  /** Every type, built-in ones first, in the order they were added. */
  types(): string[] {
    return [...this.entries.keys()];
  }

  list(): OutputFormat[] {
    return [...this.entries.values()].map((e) => e.format);
  }
}

/** The built-in formats only (writers called without a build). */
export const builtInRegistry = (): OutputFormatRegistry => new OutputFormatRegistry();
