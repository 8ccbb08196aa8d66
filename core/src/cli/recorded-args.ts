/**
 * The command line as the image records it (DIB_ARGS → `dib_arguments`). DIB records its own
 * arguments; dib records the same, less the switches DIB does not have that only say how this
 * build uses the cache or reports (not what it makes): a build with `--no-cache` or `--json`
 * gives the image a build without them gives, byte for byte.
 */
const NOT_RECORDED: ReadonlyArray<{ long: string; value: boolean }> = [
  { long: 'no-cache', value: false },
  { long: 'refresh', value: false },
  { long: 'check-reproducible', value: false },
  { long: 'json', value: false },
  { long: 'tap-timeout', value: true },
];

export function recordedArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const opt = NOT_RECORDED.find((o) => a === `--${o.long}` || (o.value && a.startsWith(`--${o.long}=`)));
    if (!opt) {
      out.push(a);
      continue;
    }
    if (opt.value && a === `--${opt.long}`) i++;
  }
  return out;
}
