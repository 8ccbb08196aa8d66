/** `dib build`: DIB's disk-image-create, from the config file and/or DIB-style arguments. */
import fs from 'fs-extra';
import path from 'node:path';
import { createBuild } from '../pipeline/build.js';
import { parseBreakpoints } from '../pipeline/breakpoints.js';
import { runBuild, type BuildResult } from '../pipeline/driver.js';
import { DibError } from '../errors.js';
import { EventBus } from '../log/events.js';
import { attachJsonReporter, attachTextReporter, timingTable } from '../log/text-reporter.js';
import { ProgressRenderer, attachAptProgress, summaryLines, wantsLiveProgress } from '../log/progress.js';
import { BUILD_OPTIONS, overridesFrom, parseCommand, type BuildFlags } from './args.js';
import { helpRequested, loadConfig } from './common.js';
import { printError } from './main.js';

export const BUILD_USAGE = `Usage: dib build [options] [elements…]

Builds an image. Without element names the config (dib.config.ts, .dibrc*, package.json#dib,
or --config PATH) says what to build; options override the config.

Options (DIB's disk-image-create spelling):
  -a ARCH                 target architecture (default: the host's)
  -o NAME                 output base name (default: image)
  -t TYPES                output types, comma-separated: raw,qcow2,vhd,tar,tgz,squashfs
  -x                      trace: debug log lines (repeat for more)
  -u                      do not compress qcow2 output
  -n                      do not add the 'base' element
  -p PKGS                 extra packages to install, comma-separated (repeatable)
  --checksum              write .md5 and .sha256 next to each image
  --image-size SIZE       image size: GiB as a number, or with a unit (4GiB, 3000MiB)
  --image-cache DIR       cache directory (default ~/.cache/dib)
  --root-label LABEL      root filesystem label
  --install-type TYPE     default install type (default: source)
  --mkfs-options OPTS     extra mkfs options for the root filesystem
  --logfile FILE          append the timestamped log to FILE
  --offline               use only cached downloads
  --work-dir DIR          where build directories are made (default: the temp dir)
  --elements-path DIRS    extra DIB element directories (colon-separated, repeatable)
  -e, --env NAME=VALUE    set a build variable (repeatable)
  --break POINTS          open a shell at before-<phase>, after-<phase>, after-error
  --check-reproducible    build twice and compare the outputs (dib diff); exit 0 only when identical
  -q, --quiet             only warnings, errors and the result on the terminal
  --json                  write events as JSON lines on stdout
  --config PATH           config file to use`;

export async function buildCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(BUILD_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<BuildFlags>('build', argv, BUILD_OPTIONS);
  const config = await loadConfig({ configPath: flags.config, overrides: overridesFrom(flags, positionals) });
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
  const offApt = attachAptProgress(bus);

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
    const result = await runBuild(build, { breakpoints });
    progress?.close();
    if (!quiet) for (const l of timingTable(result.phases, result.seconds)) text.line(l);
    for (const l of summaryLines({ ok: result.ok, seconds: result.seconds, outputs: result.outputs, taps: build.tapTimings, slowest: quiet ? 0 : 5 })) text.line(l);
    if (result.ok && result.report) text.line(`  report: ${result.report}`);
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
    if (flags['check-reproducible']) {
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
    offApt();
    offJson();
    text.close();
  }
}
