/**
 * `npm run bench`: in one invocation, with a cache of its own, build the default image
 * (dib.config.ts, plus a one-script DIB element on ELEMENTS_PATH whose finalise.d script the
 * last run changes):
 *   cold           empty cache: bootstrap, every phase, checkpoints and outputs stored
 *   warm           cached root and packages, no checkpoints (--no-cache): the full build
 *   no-change      nothing changed: the outputs come from the cache
 *   script-changed the finalise.d script changed: the phases from finalise's checkpoint on run
 * and, when upstream DIB is installed (python3-diskimage-builder), DIB's filesystem-only
 * `debian-minimal` qcow2. Prints each run's wall time, its per-phase table (cached phases
 * marked), the phases it skipped and the ratios. A benchmark, not a test: nothing is asserted.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO } from '../helpers/cli.js';

interface Phase {
  phase: string;
  seconds: number;
  cached?: boolean;
  reason?: string;
}

interface Run {
  label: string;
  wall: number;
  phases: Phase[];
}

const out = (s = '') => process.stdout.write(`${s}\n`);

function table(phases: readonly Phase[]): void {
  for (const p of phases) out(`  ${p.phase.padEnd(14)} ${p.cached ? '   cached' : `${p.seconds.toFixed(2).padStart(8)} s`}${!p.cached && p.reason ? `  (${p.reason})` : ''}`);
}

async function configElements(): Promise<string[]> {
  const r = await execa('node', [CLI, 'config', '--json', '--config', path.join(REPO, 'dib.config.ts')]);
  return (JSON.parse(r.stdout) as { settings: { elements: { value: string[] } } }).settings.elements.value;
}

async function benchElement(dir: string, version: string): Promise<void> {
  const script = path.join(dir, 'bench-stamp', 'finalise.d', '50-bench-stamp');
  await fs.ensureDir(path.dirname(script));
  await fs.writeFile(path.join(dir, 'bench-stamp', 'element-deps'), '');
  await fs.writeFile(script, `#!/bin/bash\nset -eu\necho "dib bench ${version}" > /etc/dib-bench-stamp\n`, { mode: 0o755 });
}

async function dibRun(label: string, root: string, elements: string[], extra: string[] = []): Promise<Run> {
  const base = path.join(root, 'out', 'debian');
  const args = ['build', '--config', path.join(REPO, 'dib.config.ts'), '-o', base, '--image-cache', path.join(root, 'cache'), '--work-dir', path.join(root, 'work'), '--elements-path', path.join(root, 'elements'), '-q', ...extra, ...elements];
  const t0 = performance.now();
  // DIB_NO_CACHE='' : the bench measures the default path (an exported DIB_NO_CACHE would not)
  const r = await execa('node', [CLI, ...args], { reject: false, all: true, cwd: root, env: { DIB_NO_CACHE: '' } });
  const wall = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) {
    process.stderr.write(`${r.all}\n`);
    throw new Error(`${label}: dib build failed (exit ${r.exitCode})`);
  }
  const report = (await fs.readJson(`${base}.d/build-report.json`)) as { seconds: number; phases: Phase[] };
  out(`\n${label}: wall ${wall.toFixed(1)} s (build ${report.seconds.toFixed(1)} s)`);
  table(report.phases);
  const skipped = report.phases.filter((p) => p.cached).map((p) => p.phase);
  out(`  skipped (cached): ${skipped.length ? skipped.join(' ') : 'none'}`);
  return { label, wall, phases: report.phases };
}

/** DIB's dib-run-parts PROFILING tables: seconds per phase directory. */
function dibProfile(log: string): Phase[] {
  const phases = new Map<string, number>();
  let target: string | undefined;
  for (const line of log.split('\n')) {
    const t = /Target: (\S+)\.d\b/.exec(line);
    if (t) {
      target = t[1];
      continue;
    }
    if (/END PROFILING/.test(line)) {
      target = undefined;
      continue;
    }
    const m = target && /(\d\d-\S+|\S+)\s+(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m && target && !/^Script|^-+$/.test(m[1]!)) phases.set(target, (phases.get(target) ?? 0) + Number(m[2]));
  }
  return [...phases].map(([phase, seconds]) => ({ phase, seconds }));
}

async function dibUpstream(root: string): Promise<Run | undefined> {
  const which = await execa('sh', ['-c', 'command -v disk-image-create'], { reject: false });
  if (which.exitCode !== 0) {
    out('\nDIB: disk-image-create is not installed (apt-get install python3-diskimage-builder): skipped');
    return undefined;
  }
  const dir = path.join(root, 'dib-upstream');
  await fs.ensureDir(dir);
  const t0 = performance.now();
  const r = await execa('disk-image-create', ['-o', path.join(dir, 'debian'), '-t', 'qcow2', 'debian-minimal'], {
    reject: false,
    all: true,
    cwd: dir,
    env: {
      DIB_RELEASE: 'bookworm',
      DIB_IMAGE_CACHE: path.join(dir, 'cache'),
      TMP_DIR: dir,
      // upstream writes `security.debian.org bookworm/updates` for bookworm, a suite that does not
      // exist (bullseye and later have <release>-security below /debian-security): the suite
      // dib's debian-minimal uses, so that both build from the same archive
      DIB_DEBIAN_SECURITY_MIRROR: 'http://security.debian.org/debian-security',
      DIB_DEBIAN_SECURITY_SUBPATH: '-security',
    },
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) {
    out(`\nDIB: disk-image-create failed (exit ${r.exitCode}) after ${wall.toFixed(1)} s; last lines:`);
    for (const l of r.all.split('\n').slice(-15)) out(`  ${l}`);
    return undefined;
  }
  const phases = dibProfile(r.all);
  const inPhases = phases.reduce((n, p) => n + p.seconds, 0);
  phases.push({ phase: '(rest)', seconds: Math.max(0, wall - inPhases) });
  out(`\nDIB (upstream disk-image-create ${await dibVersion()}, filesystem-only debian-minimal qcow2): wall ${wall.toFixed(1)} s`);
  table(phases);
  return { label: 'DIB', wall, phases };
}

async function dibVersion(): Promise<string> {
  const r = await execa('disk-image-create', ['--version'], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : '?';
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dib-bench-'));
try {
  const elements = [...(await configElements()), 'bench-stamp'];
  await benchElement(path.join(root, 'elements'), 'v1');
  out(`dib bench: the default image (${elements.join(' ')}), cache and work dir in ${root}`);
  const runs: Run[] = [];
  runs.push(await dibRun('cold (empty cache)', root, elements));
  runs.push(await dibRun('warm (cached root and packages, --no-cache: no checkpoints)', root, elements, ['--no-cache']));
  runs.push(await dibRun('no-change (every checkpoint and the image inputs match)', root, elements));
  await benchElement(path.join(root, 'elements'), 'v2');
  runs.push(await dibRun('script-changed (bench-stamp finalise.d script edited)', root, elements));
  const upstream = await dibUpstream(root);

  out('\nsummary');
  const warm = runs[1]!.wall;
  for (const r of runs) {
    const ratios = [`${(r.wall / warm).toFixed(2)}× warm`, ...(upstream ? [`${(r.wall / upstream.wall).toFixed(2)}× DIB`] : [])];
    out(`  ${r.label.split(' ')[0]!.padEnd(15)} ${r.wall.toFixed(1).padStart(7)} s   ${ratios.join('   ')}`);
  }
  if (upstream) out(`  ${'DIB'.padEnd(15)} ${upstream.wall.toFixed(1).padStart(7)} s`);
  out(`  targets: no-change ≤ 3 s (${runs[2]!.wall.toFixed(1)} s); script-changed ≤ 0.4× warm (${(runs[3]!.wall / warm).toFixed(2)}×)`);
} finally {
  await fs.remove(root);
}
