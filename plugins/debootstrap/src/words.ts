/**
 * Shell-like word splitting for variables such as DIB_DEBOOTSTRAP_EXTRA_ARGS, which DIB passes
 * unquoted to `sh -c`: whitespace separates words, single and double quotes group, a backslash
 * escapes the next character. No expansion of any kind is done.
 */
import { DibError } from '@dib/core';

export function splitWords(text: string, variable = 'value'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new DibError('E_CONFIG_VALUE', `${variable} has an unterminated ${quote} quote`, { hint: `close the quote in ${variable}` });
  }
  if (inWord) words.push(cur);
  return words;
}

/** Comma- or space-separated list (DIB_DEBIAN_COMPONENTS, DIB_UBUNTU_MIRROR_DISTS). */
export function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
