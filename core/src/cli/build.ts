/** `dib build`: DIB's disk-image-create, from the config file and/or DIB-style arguments. */
import fs from 'fs-extra';
import path from 'node:path';
import { createBuild } from '../pipeline/build.js';
import { parseBreakpoints } from '../pipeline/breakpoints.js';
import { runBuild, type BuildResult } from '../pipeline/driver.js';
import { DibError } from '../errors.js';
import { EventBus } from '../log/events.js';
import { attachJsonReporter, attachTextReporter, timingTable } from '../log/text-reporter.js';
import { ProgressRenderer, attachPackageProgress, summaryLines, wantsLiveProgress } from '../log/progress.js';
import { osElementOf } from '../contract/os.js';
import { stringValue } from './args.js';
import { loadCommandConfig, prepareCommand } from './common.js';
import { printError } from './main.js';

export async function buildCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('build', argv);
  if (!parsed) return 0;
  const flags = { json: parsed.values.has('json'), quiet: parsed.values.has('quiet'), break: stringValue(parsed, 'break'), checkReproducible: parsed.values.has('check-reproducible') };
  const loaded = await loadCommandConfig(parsed);
  // --check-reproducible builds twice for real: a second build from checkpoints would compare
  // the first build with itself
  const config = flags.checkReproducible ? { ...loaded.config, noCache: true } : loaded.config;
  if (process.getuid && process.getuid() !== 0) {
    throw new DibError('E_NOT_ROOT', 'dib build needs root (it runs chroot and mounts /proc, /sys and /dev in the image tree)', {
      hint: 'run it as root: sudo dib build …',
    });
  }
  const breakpoints = parseBreakpoints(flags.break ?? process.env.break, {
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    outsideTarget: process.env.break_outside_target === '1',
    hostCommand: process.env.break_cmd,
  });
  const bus = new EventBus();
  if (config.logfile) await fs.ensureDir(path.dirname(path.resolve(config.logfile)));
  const trace = Number(config.env.DIB_DEBUG_TRACE ?? '0') > 0;
  const quiet = Boolean(flags.quiet || flags.json || process.env.DIB_QUIET === '1');
  // issue 6: at a terminal, a live status line on stderr with the log scrolling above it
  // (not when --json writes to the same terminal); elsewhere plain lines, no escape codes.
  const progress = wantsLiveProgress(process.stderr) && !(flags.json && process.stdout.isTTY) ? new ProgressRenderer({ stream: process.stderr }) : undefined;
  const offProgress = progress ? progress.attach(bus) : () => undefined; // before the text reporter: state first, then the line
  const text = attachTextReporter(bus, {
    logfile: config.logfile,
    debug: trace,
    quiet,
    noTimestamp: process.env.DIB_NO_TIMESTAMP === '1',
    write: flags.json ? () => undefined : progress ? (l) => progress.log(l) : undefined,
  });
  const offJson = flags.json ? attachJsonReporter(bus) : () => undefined;

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      text.line(`dib: ${sig} received: stopping and cleaning up (mounts, chroot processes, work dir)…`);
      abort.abort(new DibError('E_INTERRUPTED', `interrupted by ${sig}`));
    } else {
      text.line('dib: still cleaning up; please wait');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // one whole build, as dib build runs it (a fresh Build and work dir each time)
  const buildOnce = async (): Promise<BuildResult> => {
    const build = await createBuild({ config, argv, bus, signal: abort.signal });
    // issue 6: the pre-flight check of host tools (dib doctor's, without network and KVM)
    const { preflight } = await import('../doctor/index.js');
    for (const w of await preflight(build)) build.log.warn(w);
    // the package manager's progress, read by the OS element's reader (apt's for Debian)
    const offPackages = attachPackageProgress(bus, osElementOf(build.elements)?.element.os.progress?.());
    const result = await runBuild(build, { breakpoints }).finally(offPackages);
    progress?.close();
    if (!quiet) for (const l of timingTable(result.phases, result.seconds)) text.line(l);
    for (const l of summaryLines({ ok: result.ok, seconds: result.seconds, outputs: result.outputs, taps: build.tapTimings, slowest: quiet ? 0 : 5 })) text.line(l);
    if (result.ok && result.report) text.line(`  report: ${result.report}`);
    if (result.ok && result.sbom) text.line(`  sbom: ${result.sbom.join(', ')}`);
    return result;
  };
  const failed = (result: BuildResult): number => {
    if (abort.signal.aborted) {
      printError(new DibError('E_INTERRUPTED', `build interrupted; everything it made was removed`, { hint: 'run dib build again' }));
      return 130;
    }
    printError(result.error!);
    return result.error!.exitCode;
  };
  try {
    if (flags.checkReproducible) {
      const { checkReproducibleCommand } = await import('./check-reproducible.js');
      return await checkReproducibleCommand({ outputBase: config.name, workDir: config.workDir, buildOnce, failed, line: (l) => text.line(l), signal: abort.signal });
    }
    const result = await buildOnce();
    return result.ok ? 0 : failed(result);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    progress?.close();
    offProgress();
    offJson();
    text.close();
  }
}
