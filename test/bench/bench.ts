/**
 * `npm run bench`: build the default image with an empty cache, then again warm, and print
 * each run's wall time and per-phase table.
 */
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { REPO, dib } from '../helpers/cli.js';

interface Report {
  seconds: number;
  phases: Array<{ phase: string; seconds: number }>;
}

async function run(label: string, cacheDir: string, outDir: string): Promise<Report> {
  const base = path.join(outDir, 'debian');
  const t0 = Date.now();
  const r = await dib(['build', '--config', path.join(REPO, 'dib.config.ts'), '-o', base, '--image-cache', cacheDir, '-q'], { cwd: outDir, timeout: 60 * 60 * 1000 });
  const wall = (Date.now() - t0) / 1000;
  if (r.exitCode !== 0) {
    process.stderr.write(r.all + '\n');
    throw new Error(`${label} build failed`);
  }
  const report = (await fs.readJson(`${base}.d/build-report.json`)) as Report;
  process.stdout.write(`\n${label}: wall ${wall.toFixed(1)} s (build ${report.seconds.toFixed(1)} s)\n`);
  for (const p of report.phases) process.stdout.write(`  ${p.phase.padEnd(14)} ${p.seconds.toFixed(2).padStart(8)} s\n`);
  return report;
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dib-bench-'));
try {
  const cache = path.join(root, 'cache');
  await run('cold (empty cache)', cache, root);
  await run('warm (cached root and packages)', cache, root);
} finally {
  await fs.remove(root);
}
