/** `dib plan`: per phase, the ordered taps with stage, name and element. */
import { PHASES } from '../contract/phases.js';
import type { TapInfo } from '../contract/build.js';
import { loadCommandConfig, planBuild, prepareCommand } from './common.js';

export function formatPlan(taps: readonly TapInfo[]): string {
  const lines: string[] = [];
  const width = Math.max(22, ...taps.map((t) => t.name.length + 1));
  for (const p of PHASES) {
    const mine = taps.filter((t) => t.phase === p.phase);
    if (!mine.length) continue;
    lines.push(p.phase);
    for (const t of mine) {
      const extra = t.installType ? `  [install type ${t.installType}]` : '';
      lines.push(`  ${String(t.stage).padStart(3)}  ${t.name.padEnd(width)} ${t.element}${t.kind === 'script' ? ' (script)' : ''}${extra}`);
    }
  }
  return lines.join('\n');
}

export async function planCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('plan', argv);
  if (!parsed) return 0;
  const { config } = await loadCommandConfig(parsed);
  const build = await planBuild(config, argv);
  const taps = build.taps();
  if (parsed.values.has('json')) process.stdout.write(JSON.stringify({ elements: build.elements.map((e) => e.name), taps }, null, 2) + '\n');
  else process.stdout.write(formatPlan(taps) + '\n');
  return 0;
}
