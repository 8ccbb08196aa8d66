/**
 * `dib doctor`: which dib runs, the element packages the config needs (and the npm line for the
 * missing ones), what the host lacks, and the apt-get line that fixes it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DibError } from '../errors.js';
import { dibInstall } from '../util/dib-install.js';
import { loadCommandConfig, planBuild, prepareCommand } from './common.js';
import { assertDiskBuildable, needsDiskImage } from '../disk/buildable.js';
import { planBuildLayout } from '../pipeline/finish.js';
import { version } from './main.js';

const CORE_DIR = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

function out(lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

/** `npm i -D …` in the project, for `dib doctor --fix`. */
function installElements(npmLine: string, cwd: string, quiet: boolean): void {
  const pkgs = npmLine.replace(/^npm i -D /, '').split(' ');
  process.stderr.write(`dib doctor: running ${npmLine} in ${cwd}\n`);
  const r = spawnSync('npm', ['install', '--save-dev', ...pkgs], { cwd, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) {
    throw new DibError('E_ELEMENT_NOT_FOUND', `${npmLine} failed in ${cwd} (${r.error ? r.error.message : `exit status ${r.status}`})`, {
      hint: 'check the package names (npm view NAME) and the npm registry (npm config get registry)',
    });
  }
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('doctor', argv);
  if (!parsed) return 0;
  const flags = { fix: parsed.values.has('fix'), quick: parsed.values.has('quick'), 'no-kvm': parsed.values.has('no-kvm'), json: parsed.values.has('json') };
  const { config } = await loadCommandConfig(parsed, { requireElements: false });

  // the elements first: without them there is no build to ask for host tools
  const { checkElementClosure } = await import('../elements/closure.js');
  const { formatClosure, formatDibInstall } = await import('../doctor/elements.js');
  let closure = config.elements.length ? await checkElementClosure(config) : undefined;
  const head: string[] = [formatDibInstall(dibInstall(), CORE_DIR, version())];
  if (flags.fix && closure?.npmLine) {
    if (!flags.json) out([...head, ...formatClosure(closure, config.baseDir), '']);
    installElements(closure.npmLine, config.baseDir, flags.json);
    closure = await checkElementClosure(config);
    head.length = 0;
    head.push('after installing the element packages:');
  }
  if (closure && !flags.json) head.push(...formatClosure(closure, config.baseDir), '');
  const missingElements = closure?.missing.map((m) => m.name) ?? [];
  const build = config.elements.length && !missingElements.length ? await planBuild(config) : undefined;
  // what dib build refuses before any work, dib doctor refuses too (LVM, xfs without -p, …)
  if (build && needsDiskImage(config.types)) await assertDiskBuildable(await planBuildLayout(build));

  const { diagnose, formatDoctor: formatReport } = await import('../doctor/index.js');
  const formatDoctor = (r: Awaited<ReturnType<typeof diagnose>>): string[] =>
    missingElements.length
      ? formatReport(r).map((l) =>
          l.startsWith('config: none')
            ? `config: ${config.file ?? 'command line'} (the elements' own host tools are checked once they are installed)`
            : l === 'doctor: ready to build'
              ? `doctor: not ready (elements not installed: ${missingElements.join(', ')})`
              : l,
        )
      : formatReport(r);
  const opts = { kvm: !flags.quick && !flags['no-kvm'], network: !flags.quick };
  let report = await diagnose(build, opts);
  if (!flags.json) out(head);
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
  const ok = report.ok && !missingElements.length;
  if (flags.json) process.stdout.write(JSON.stringify({ ...report, ok, elementPackages: closure }) + '\n');
  return ok ? 0 : 1;
}
