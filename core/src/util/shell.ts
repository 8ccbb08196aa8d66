/** Shell quoting, one way for every command line dib writes or shows. */

/** `s` as one POSIX shell word in single quotes (a `'` becomes `'\''`). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `s` as one shell word, quoted only when it needs to be (for command lines shown to people). */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : shellQuote(s);
}

/** A command line as a shell would read it back. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(shellWord).join(' ');
}
