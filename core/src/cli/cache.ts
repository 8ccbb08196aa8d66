/** `dib cache ls` and `dib cache prune [--older-than AGE]`. */
import { DirCache } from '../cache/cache.js';
import { CACHE_KINDS, listCache, parseAge, pruneCache, type CacheItem, type CacheKind } from '../cache/inventory.js';
import { DibError } from '../errors.js';
import { formatBytes } from '../util/bytes.js';
import { stringValue } from './args.js';
import { loadCommandConfig, prepareCommand } from './common.js';

function age(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function table(items: readonly CacheItem[], nowMs: number): string[] {
  const rows = items.map((i) => [i.kind, i.key, formatBytes(i.bytes), age(nowMs - i.created.getTime()), age(nowMs - i.lastUsed.getTime()), i.what ?? '', i.image ?? '']);
  const head = ['KIND', 'KEY', 'SIZE', 'AGE', 'USED', 'HOLDS', 'IMAGE'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => (c === 2 ? x.padStart(widths[c]!) : x.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export async function cacheCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('cache', argv);
  if (!parsed) return 0;
  const [sub, ...extra] = parsed.positionals;
  if (sub !== 'ls' && sub !== 'prune') {
    throw new DibError('E_USAGE', sub === undefined ? 'dib cache needs a subcommand: ls or prune' : `unknown dib cache subcommand '${sub}'`, { hint: 'dib cache ls, or dib cache prune --older-than 30d' });
  }
  if (extra.length) throw new DibError('E_USAGE', `dib cache ${sub} takes no arguments, got: ${extra.join(' ')}`, { hint: `dib cache ${sub} --help` });
  const kindText = stringValue(parsed, 'kind');
  if (kindText !== undefined && !(CACHE_KINDS as readonly string[]).includes(kindText)) {
    throw new DibError('E_USAGE', `unknown cache entry kind '${kindText}'`, { hint: `--kind ${CACHE_KINDS.join('|')}` });
  }
  const kinds: readonly CacheKind[] = kindText ? [kindText as CacheKind] : CACHE_KINDS;
  const olderText = stringValue(parsed, 'older-than');
  const olderMs = olderText === undefined ? undefined : parseAge(olderText);
  if (olderText !== undefined && olderMs === undefined) {
    throw new DibError('E_USAGE', `--older-than '${olderText}' is not an age`, { hint: 'a number with s, m, h, d or w after it (30d, 12h); a bare number is days' });
  }
  if (sub === 'ls' && olderText !== undefined) throw new DibError('E_USAGE', '--older-than is for dib cache prune', { hint: 'dib cache prune --older-than 30d' });
  const { config } = await loadCommandConfig(parsed, { requireElements: false, positionalElements: false });
  const cache = new DirCache(config.cacheDir, config.offline);
  const nowMs = Date.now();
  if (sub === 'ls') {
    const items = await listCache(cache, kinds);
    if (parsed.values.has('json')) {
      process.stdout.write(JSON.stringify({ dir: cache.dir, entries: items.map((i) => ({ ...i, created: i.created.toISOString(), lastUsed: i.lastUsed.toISOString() })) }, null, 2) + '\n');
      return 0;
    }
    if (!items.length) {
      process.stdout.write(`${cache.dir}: no cache entries\n`);
      return 0;
    }
    for (const l of table(items, nowMs)) process.stdout.write(`${l}\n`);
    process.stdout.write(`${items.length} entr${items.length === 1 ? 'y' : 'ies'}, ${formatBytes(items.reduce((n, i) => n + i.bytes, 0))} in ${cache.dir}\n`);
    return 0;
  }
  const dryRun = parsed.values.has('dry-run');
  const r = await pruneCache(cache, { kinds, dryRun, ...(olderMs !== undefined ? { select: (i: CacheItem) => nowMs - i.lastUsed.getTime() > olderMs } : {}) });
  for (const i of r.removed) process.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${i.kind}/${i.key} (${formatBytes(i.bytes)}, used ${age(nowMs - i.lastUsed.getTime())} ago)\n`);
  for (const i of r.busy) process.stdout.write(`kept ${i.kind}/${i.key}: a running build is using it\n`);
  const bytes = r.removed.reduce((n, i) => n + i.bytes, 0);
  process.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${r.removed.length} entr${r.removed.length === 1 ? 'y' : 'ies'} (${formatBytes(bytes)})${r.busy.length ? `, kept ${r.busy.length} in use` : ''}${r.swept.length ? `, cleared ${r.swept.length} left by interrupted builds` : ''}\n`);
  return 0;
}
