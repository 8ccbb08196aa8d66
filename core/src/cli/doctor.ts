/** `dib doctor`: what the host lacks for the current config, and the apt-get line that fixes it. */
import { spawnSync } from 'node:child_process';
import type { ParseArgsConfig } from 'node:util';
import { DibError } from '../errors.js';
import { parseCommand } from './args.js';
import { helpRequested, loadConfig, planBuild } from './common.js';
import { assertDiskBuildable, needsDiskImage } from '../disk/buildable.js';
import { planBuildLayout } from '../pipeline/finish.js';

export const DOCTOR_USAGE = `Usage: dib doctor [--fix] [--config PATH] [elements…]

Checks what the current config (or the elements named) needs from this host: every host tool
and which element or output needs it, root, free disk in the work and cache dirs, KVM (for
dib boot) and whether the Debian-family mirror answers. Prints the exact apt-get line for
what is missing. Exit status 0 when a build can run, 1 when not.

Options:
  --fix             run the apt-get line (as root), then check again
  --config PATH     config file to use
  -t TYPES          output types to check for (default: the config's)
  --quick           skip the KVM probe and the mirror check
  --offline         skip the mirror check
  --no-kvm          skip the KVM probe (it boots a tiny guest: up to 3 s)
  --json            print the report as one JSON object`;

const OPTIONS = {
  fix: { type: 'boolean' },
  config: { type: 'string' },
  type: { type: 'string', short: 't', multiple: true },
  quick: { type: 'boolean' },
  offline: { type: 'boolean' },
  'no-kvm': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

interface DoctorFlags {
  fix?: boolean;
  config?: string;
  type?: string[];
  quick?: boolean;
  offline?: boolean;
  'no-kvm'?: boolean;
  json?: boolean;
}

export async function doctorCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(DOCTOR_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<DoctorFlags>('doctor', argv, OPTIONS);
  const types = flags.type?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  const config = await loadConfig({
    configPath: flags.config,
    overrides: { ...(positionals.length ? { elements: positionals } : {}), ...(types?.length ? { types: types as never } : {}), ...(flags.offline ? { offline: true } : {}) },
    requireElements: false,
  });
  const build = config.elements.length ? await planBuild(config) : undefined;
  // what dib build refuses before any work, dib doctor refuses too (LVM, xfs without -p, …)
  if (build && needsDiskImage(config.types)) await assertDiskBuildable(await planBuildLayout(build));
  const { diagnose, formatDoctor } = await import('../doctor/index.js');
  const opts = { kvm: !flags.quick && !flags['no-kvm'], network: !flags.quick };
  let report = await diagnose(build, opts);
  const out = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');
  if (flags.fix && report.aptLine) {
    if (!flags.json) out(formatDoctor(report));
    if (process.getuid && process.getuid() !== 0) {
      throw new DibError('E_NOT_ROOT', 'dib doctor --fix installs packages with apt-get and needs root', { hint: `run: sudo ${report.aptLine}` });
    }
    const pkgs = report.aptLine.replace(/^apt-get install -y /, '').split(' ');
    process.stderr.write(`dib doctor: running ${report.aptLine}\n`);
    const r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: ['ignore', flags.json ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      throw new DibError('E_HOST_TOOL_MISSING', `${report.aptLine} failed (${r.error ? r.error.message : `exit status ${r.status}`})`, {
        hint: 'run apt-get update first, or check the apt sources and the network',
      });
    }
    report = await diagnose(build, { ...opts, kvm: false, network: false });
    if (!flags.json) out(['', 'after installing:', ...formatDoctor(report)]);
  } else if (flags.fix && !flags.json) {
    out([...formatDoctor(report), 'nothing to install']);
  } else if (!flags.json) {
    out(formatDoctor(report));
  }
  if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
  return report.ok ? 0 : 1;
}
