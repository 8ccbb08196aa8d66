/**
 * `dib add`: put an element name into the config's `elements`, keeping the file as its author
 * wrote it (comments, quotes, layout). TypeScript/JavaScript configs are edited as text at the
 * `elements: [ … ]` literal; JSON and YAML configs through their parsers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, isSeq } from 'yaml';
import { DibError } from '../errors.js';

/** Index just past the `]` that closes the `[` at `open`, skipping strings and comments. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) + 1;
    else if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

/** `text` with comments blanked out (same length), so positions still match. */
function withoutComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
      out += ' '.repeat(end - i);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2) < 0 ? text.length : text.indexOf('*/', i + 2) + 2;
      out += text.slice(i, end).replace(/[^\n]/g, ' ');
      i = end - 1;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) if (text[j] === '\\') j++;
      out += text.slice(i, j + 1);
      i = j;
    } else out += c;
  }
  return out;
}

/** The `elements:` key outside comments. */
function findElementsKey(text: string): RegExpExecArray | undefined {
  const re = /(^|[\s{,])(['"]?)elements\2\s*:\s*\[/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const before = text.slice(lineStart, m.index + m[1]!.length);
    const inBlock = text.lastIndexOf('/*', m.index) > text.lastIndexOf('*/', m.index);
    if (!before.includes('//') && !inBlock) return m;
  }
  return undefined;
}

/** Source text with `name` appended to the `elements` array literal; unchanged when present. */
export function addToSourceConfig(text: string, name: string, file: string): string {
  const m = findElementsKey(text);
  if (!m) {
    throw new DibError('E_CONFIG_VALUE', `${path.basename(file)}: no \`elements: [ … ]\` list to add '${name}' to`, {
      hint: `add '${name}' to the elements of ${path.basename(file)} by hand`,
    });
  }
  const open = m.index + m[0].length - 1;
  const close = closingBracket(text, open);
  if (close < 0) throw new DibError('E_CONFIG_SYNTAX', `${path.basename(file)}: the elements list is not closed`, { hint: 'fix the syntax of the config' });
  const inner = text.slice(open + 1, close);
  const literals = [...inner.matchAll(/(['"])((?:\\.|(?!\1).)*)\1/g)];
  if (literals.some((l) => l[2] === name)) return text;
  const quote = literals[0]?.[1] ?? "'";
  const lit = `${quote}${name.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`)}${quote}`;
  const body = inner.replace(/\s+$/, '');
  if (!body.trim()) return `${text.slice(0, open + 1)}${lit}${text.slice(close)}`;
  if (inner.includes('\n')) {
    // one element per line: the new one on its own line, indented like the last; a comma
    // after the last element goes before a comment that ends its line
    const code = withoutComments(body).replace(/\s+$/, '');
    const lastLine = body.slice(body.lastIndexOf('\n') + 1);
    const indent = /^\s*/.exec(lastLine)![0];
    const withComma = code.endsWith(',') ? body : `${body.slice(0, code.length)},${body.slice(code.length)}`;
    return `${text.slice(0, open + 1)}${withComma}\n${indent}${lit},${inner.slice(body.length)}${text.slice(close)}`;
  }
  const sep = body.endsWith(',') ? ' ' : ', ';
  return `${text.slice(0, open + 1)}${body}${sep}${lit}${inner.slice(body.length)}${text.slice(close)}`;
}

/** Add `name` to the config file's elements (any format dib reads). Returns false when it was there. */
export function addElementToConfig(file: string, name: string): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const base = path.basename(file);
  let next: string;
  if (/\.(c|m)?[jt]s$/.test(base)) {
    next = addToSourceConfig(text, name, file);
  } else if (base === 'package.json' || base.endsWith('.json') || (base === '.dibrc' && text.trim().startsWith('{'))) {
    const json = JSON.parse(text) as Record<string, unknown>;
    const holder = (base === 'package.json' ? (json.dib as Record<string, unknown> | undefined) : json) ?? {};
    const list = Array.isArray(holder.elements) ? (holder.elements as unknown[]) : [];
    if (list.includes(name)) return false;
    holder.elements = [...list, name];
    if (base === 'package.json') json.dib = holder;
    const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
    next = JSON.stringify(json, null, indent) + '\n';
  } else {
    const doc = parseDocument(text);
    const seq = doc.get('elements');
    if (seq !== undefined && !isSeq(seq)) throw new DibError('E_CONFIG_TYPE', `${base}: elements is not a list`, { hint: `make elements a YAML list` });
    if (isSeq(seq) && seq.items.some((i) => String((i as { value?: unknown }).value ?? i) === name)) return false;
    if (isSeq(seq)) seq.add(name);
    else doc.set('elements', [name]);
    next = doc.toString();
  }
  if (next === text) return false;
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, next);
  fs.renameSync(tmp, file);
  return true;
}
