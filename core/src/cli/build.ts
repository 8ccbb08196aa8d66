/** `dib build`: DIB's disk-image-create, from the config file and/or DIB-style arguments. */
import fs from 'fs-extra';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBuild } from '../pipeline/build.js';
import { parseBreakpoints } from '../pipeline/breakpoints.js';
import { runBuild, type BuildResult } from '../pipeline/driver.js';
import { DibError } from '../errors.js';
import { EventBus } from '../log/events.js';
import { attachJsonReporter, attachTextReporter, timingTable } from '../log/text-reporter.js';
import { ProgressRenderer, attachPackageProgress, summaryLines, wantsLiveProgress } from '../log/progress.js';
import { osElementOf } from '../contract/os.js';
import { stringValue } from './args.js';
import { loadCommandConfig, prepareCommand, type Parsed } from './common.js';
import { printError } from './main.js';
import { ProcessGuard } from './process-guard.js';
import { NO_SANDBOX_ENV, SANDBOX_ENV, probeSandbox } from '../sandbox/namespaces.js';
import { superviseBuild } from '../sandbox/supervisor.js';
import { sweepLeftovers } from '../sandbox/leftovers.js';
import { recordedArguments } from './recorded-args.js';

export async function buildCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('build', argv);
  if (!parsed) return 0;
  const sandboxed = process.env[SANDBOX_ENV] === '1';
  delete process.env[SANDBOX_ENV];
  const noSandbox = process.env[NO_SANDBOX_ENV] === '1';
  if (!sandboxed && !noSandbox && process.getuid?.() === 0) {
    // issue 9: this process supervises; the build runs in its own mount and PID namespaces
    const probe = await probeSandbox();
    if (!probe.ok) throw new DibError('E_SANDBOX', `cannot make the build's sandbox: ${probe.problem}`, { hint: probe.hint });
    const cli = fileURLToPath(new URL('./main.js', import.meta.url));
    return superviseBuild(probe.tools, { command: [process.execPath, ...process.execArgv, cli, 'build', ...argv] });
  }
  const guard = new ProcessGuard({ sandboxed }).install();
  try {
    return await buildInside(parsed, argv, guard, { noSandbox });
  } finally {
    guard.dispose();
  }
}

async function buildInside(parsed: Parsed, argv: string[], guard: ProcessGuard, mode: { noSandbox: boolean }): Promise<number> {
  const flags = { json: parsed.values.has('json'), quiet: parsed.values.has('quiet'), break: stringValue(parsed, 'break'), checkReproducible: parsed.values.has('check-reproducible') };
  const configPath = stringValue(parsed, 'config');
  const where = configPath ? `loading the config ${configPath}` : `loading the config (searched in ${process.cwd()})`;
  const loaded = await guard.race(where, loadCommandConfig(parsed));
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

  guard.say = (l) => text.line(l);
  // one whole build, as dib build runs it (a fresh Build and work dir each time)
  const buildOnce = async (): Promise<BuildResult> => {
    const build = await guard.race("registering the elements' taps (apply())", createBuild({ config, argv: recordedArguments(argv), bus, signal: guard.signal }));
    if (mode.noSandbox) {
      build.log.warn(`${NO_SANDBOX_ENV}=1: building WITHOUT the sandbox: if dib is killed, its mounts stay in the host's mount table and its processes keep running (see docs/operator.md)`);
    }
    // issue 9: the work dirs of builds that were killed, found by their owner marker (outputs
    // they left staged are swept by the output set)
    await sweepLeftovers({ workDir: config.workDir }, build.log);
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
    const signalled = guard.signalExitCode;
    if (signalled !== undefined) {
      printError(new DibError('E_INTERRUPTED', `build interrupted; everything it made was removed`, { hint: 'run dib build again' }));
      return signalled;
    }
    printError(result.error!);
    return result.error!.exitCode;
  };
  try {
    if (flags.checkReproducible) {
      const { checkReproducibleCommand } = await import('./check-reproducible.js');
      return await checkReproducibleCommand({ outputBase: config.name, workDir: config.workDir, buildOnce, failed, line: (l) => text.line(l), signal: guard.signal, ...(config.sourceDateEpoch !== undefined ? { sourceDateEpoch: config.sourceDateEpoch } : {}) });
    }
    const result = await buildOnce();
    return result.ok ? 0 : failed(result);
  } catch (e) {
    const signalled = guard.signalExitCode;
    if (signalled !== undefined) {
      printError(new DibError('E_INTERRUPTED', `build interrupted before it started; nothing was made`, { hint: 'run dib build again' }));
      return signalled;
    }
    throw e;
  } finally {
    progress?.close();
    offProgress();
    offJson();
    text.close();
  }
}
