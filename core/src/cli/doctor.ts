/** `dib doctor`: what the host lacks for the current config, and the apt-get line that fixes it. */
import { spawnSync } from 'node:child_process';
import { DibError } from '../errors.js';
import { loadCommandConfig, planBuild, prepareCommand } from './common.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('doctor', argv);
  if (!parsed) return 0;
  const flags = { fix: parsed.values.has('fix'), quick: parsed.values.has('quick'), 'no-kvm': parsed.values.has('no-kvm'), json: parsed.values.has('json') };
  const { config } = await loadCommandConfig(parsed, { requireElements: false });
  const build = config.elements.length ? await planBuild(config) : undefined;
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
