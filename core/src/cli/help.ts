/**
 * `--help` for every command, in one style, generated from the command table and the
 * settings table: usage, description, the settings (with their config key, variable and
 * default), the command's own options, the DIB options dib accepts or refuses, examples.
 */
import { commandOptions, settingOptions, type CliOption } from './args.js';
import type { CommandSpec } from './commands.js';

const WIDTH = 100;
const COLUMN = 32;

function wrap(text: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `-a, --arch ARCH` */
export function optionLabel(o: CliOption): string {
  const long = `--${o.long}${o.value ? ` ${o.value}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

function optionLines(o: CliOption, text: string): string[] {
  const label = `  ${optionLabel(o)}`;
  const body = wrap(text, WIDTH, COLUMN);
  const out: string[] = [];
  if (label.length >= COLUMN - 1) {
    out.push(label);
    out.push(...body.map((l) => `${' '.repeat(COLUMN)}${l}`));
  } else {
    out.push(`${label.padEnd(COLUMN)}${body[0] ?? ''}`);
    out.push(...body.slice(1).map((l) => `${' '.repeat(COLUMN)}${l}`));
  }
  return out;
}

function settingText(o: CliOption): string {
  const bits = [o.setting!, ...(o.env ? [`$${o.env}`] : [])].join(', ');
  return `${o.doc}${o.defaultText ? ` (default: ${o.defaultText})` : ''} [${bits}]`;
}

export function formatHelp(spec: CommandSpec): string {
  const out: string[] = [`Usage: dib ${spec.name} ${spec.synopsis}`.trimEnd(), '', ...wrap(spec.description, WIDTH, 0)];
  const settings = settingOptions(spec.settings);
  if (settings.length) {
    out.push('', 'Settings (each is also a config key; [key, $VARIABLE]; `dib config` shows the values):');
    for (const o of settings) out.push(...optionLines(o, settingText(o)));
  }
  const own = commandOptions(spec).filter((o) => !o.setting && !o.noop && !o.refused);
  if (own.length) {
    out.push('', 'Options:');
    for (const o of own) out.push(...optionLines(o, o.doc));
  }
  const noop = spec.options.filter((o) => o.noop);
  if (noop.length) {
    out.push('', 'DIB options accepted without effect:');
    for (const o of noop) out.push(...optionLines(o, o.noop!));
  }
  const refused = spec.options.filter((o) => o.refused);
  if (refused.length) {
    out.push('', 'DIB options dib refuses:');
    for (const o of refused) out.push(...optionLines(o, o.refused!));
  }
  if (spec.examples?.length) out.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return out.join('\n');
}

