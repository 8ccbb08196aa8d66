/** `dib plan`: per phase, the ordered taps with stage, name and element. */
import { PHASES } from '../contract/phases.js';
import type { TapInfo } from '../contract/build.js';
import { BUILD_OPTIONS, overridesFrom, parseCommand, type BuildFlags } from './args.js';
import { helpRequested, loadConfig, planBuild } from './common.js';

export const PLAN_USAGE = `Usage: dib plan [--config PATH] [--json] [build options] [elements…]

Prints, per phase in DIB's order, the taps that would run, ordered by stage and name as
dib-run-parts orders NN-name scripts, with the element each comes from. Takes the same
options as 'dib build' (they can change which elements and install types are selected).`;

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
  if (helpRequested(argv)) {
    process.stdout.write(PLAN_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<BuildFlags>('plan', argv, BUILD_OPTIONS);
  const config = await loadConfig({ configPath: flags.config, overrides: overridesFrom(flags, positionals) });
  const build = await planBuild(config, argv);
  const taps = build.taps();
  if (flags.json) process.stdout.write(JSON.stringify({ elements: build.elements.map((e) => e.name), taps }, null, 2) + '\n');
  else process.stdout.write(formatPlan(taps) + '\n');
  return 0;
}
