/**
 * Running one DIB script as dib-run-parts would: on the host for host phases
 * (`$TMP_HOOKS_PATH/<phase>.d/<script>`), in the chroot for chroot phases
 * (`/tmp/in_target.d/<phase>.d/<script>`), in DIB's environment. The hooks tree's environment.d
 * fragments are sourced once per phase, as dib-run-parts does — on the host for host phases,
 * in the chroot for chroot phases, at the phase's first script — and every script of the
 * phase gets the environment they made (a `$(mktemp)` in a fragment names one file for the
 * whole phase). Chroot scripts get the caller's environment as `sudo -E chroot` gives it (less
 * TMPDIR and VIRTUAL_ENV); host phases get a TMPDIR inside the build directory, so temporary
 * files of fragments and scripts go with the build. Output lines are logged as
 * `<element> <phase>.d/<script>`; a failure names the script and carries its last lines.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { phaseInfo, type PhaseName } from '../contract/phases.js';
import type { PhaseContext } from '../contract/build.js';
import { DibError, isDibError } from '../errors.js';
import { stateKey } from '../contract/state-key.js';
import { TARGET_PATH } from '../chroot/run.js';
import { IN_TARGET, previewOriginals, scriptEnv } from './env.js';
import { SPOOL_IN_TARGET, serveSpool } from './install-packages.js';
import { RUN_SCRIPT_SHELL, SOURCE_FRAGMENTS_SHELL, envDelta, listFragments, parseEnv0 } from './run-parts.js';
import { sudoShimDir } from './sudo-shim.js';

export interface ScriptRef {
  phase: PhaseName;
  name: string;
  /** `install.d/10-foo`, or `install.d/<prefix>-<type>-install/10-foo` */
  rel: string;
  /** install-type alternative directory */
  alternative?: string;
}

type EnvDelta = Record<string, string | undefined>;

/** build.state key: per phase, the environment its fragments made (a promise, made once). */
const PHASE_ENV_KEY = stateKey<Map<string, Promise<EnvDelta>>>('dib-elements:phase-environment');

/** Variables DIB's run_in_target removes from the chroot's environment. */
const NOT_IN_CHROOT = ['TMPDIR', 'VIRTUAL_ENV'];

/**
 * The environment a chroot script starts from: the caller's (`sudo -E`), the build's on top,
 * less what DIB removes.
 */
export function chrootScriptEnv(caller: NodeJS.ProcessEnv, buildEnv: Readonly<Record<string, string>>): EnvDelta {
  const out: EnvDelta = {};
  for (const [k, v] of Object.entries(caller)) if (v !== undefined) out[k] = v;
  Object.assign(out, buildEnv);
  for (const k of NOT_IN_CHROOT) out[k] = undefined;
  return out;
}

/**
 * Source the phase's fragments (once per phase: later calls get the same promise) with the
 * same runner and environment the scripts use; resolves to what the fragments changed.
 */
function phaseEnvironment(ctx: PhaseContext, shell: string, run: (file: string, args: string[], env: EnvDelta) => Promise<unknown>, files: { before: string; after: string; hostBefore: string; hostAfter: string }, fragments: string[], env: EnvDelta): Promise<EnvDelta> {
  let memo = ctx.state.get(PHASE_ENV_KEY);
  if (!memo) ctx.state.set(PHASE_ENV_KEY, (memo = new Map()));
  let p = memo.get(ctx.phase);
  if (!p) {
    p = (async () => {
      if (fragments.length === 0) return {};
      await fs.ensureDir(path.dirname(files.hostBefore));
      try {
        await run(shell, ['-c', SOURCE_FRAGMENTS_SHELL, 'dib-run-parts', files.before, files.after, ...fragments], env);
        return envDelta(parseEnv0(await fs.readFile(files.hostBefore, 'utf8')), parseEnv0(await fs.readFile(files.hostAfter, 'utf8')));
      } finally {
        await fs.remove(files.hostBefore);
        await fs.remove(files.hostAfter);
      }
    })();
    memo.set(ctx.phase, p);
  }
  return p;
}

/** The host spool directory for install-packages requests. */
export function spoolDir(targetRoot: string): string {
  return path.join(targetRoot, SPOOL_IN_TARGET);
}

export async function runScript(ctx: PhaseContext, ref: ScriptRef): Promise<void> {
  const hooks = ctx.build.paths.hooksDir;
  let rel = ref.rel;
  if (ref.alternative) {
    // install-types links the selected alternative's scripts into install.d; run the link when
    // it is there (so $0 is what DIB gives), else the script in its directory
    const link = `${ref.phase}.d/${ref.name}`;
    if (await fs.lstat(path.join(hooks, link)).then((s) => s.isSymbolicLink(), () => false)) rel = link;
  }
  if (!(await fs.pathExists(path.join(hooks, rel)))) {
    throw new DibError('E_INTERNAL', `script ${rel} is missing from the hooks tree ${hooks}`, { hint: 'something removed it from TMP_HOOKS_PATH during the build' });
  }
  const fragmentNames = await listFragments(path.join(hooks, 'environment.d'));
  const log = ctx.log.child(`${ctx.element} ${rel}`);
  const runners = { host: ctx.host.withLogger(log), target: ctx.target.withLogger(log) };
  const where = phaseInfo(ref.phase).where;
  // DIB's scripts start from the environment before environment.d (the preview TypeScript
  // elements saw is undone), then the phase's sourcing applies the fragments once
  const extra: EnvDelta = { ...scriptEnv(ctx.env, where === 'host' ? hooks : IN_TARGET, ctx.elements), ...previewOriginals(ctx.build.env) };
  const envFile = (side: string) => `.dib-phase-env-${ref.phase}-${side}-${process.pid}`;
  let stage = 'script';
  try {
    if (where === 'host') {
      const shim = await sudoShimDir(path.join(ctx.build.paths.buildDir, 'host-bin'));
      const hostPath = [process.env.PATH ?? TARGET_PATH, path.join(hooks, 'bin'), ...(shim ? [shim] : [])].join(':');
      // host phases: temporary files (a fragment's $(mktemp)) go with the build, not into /tmp
      const tmp = path.join(ctx.build.paths.buildDir, 'tmp');
      await fs.ensureDir(tmp);
      const env: EnvDelta = { ...extra, PATH: hostPath, TARGET_ROOT: ctx.targetRoot, TMPDIR: tmp };
      const files = { before: path.join(tmp, envFile('before')), after: path.join(tmp, envFile('after')) };
      stage = 'environment';
      const delta = await phaseEnvironment(
        ctx,
        'bash',
        (file, args, e) => runners.host.run(file, args, { env: e }),
        { ...files, hostBefore: files.before, hostAfter: files.after },
        fragmentNames.map((f) => path.join(hooks, 'environment.d', f)),
        env,
      );
      stage = 'script';
      await runners.host.run('bash', ['-c', RUN_SCRIPT_SHELL, 'dib-run-parts', path.join(hooks, rel)], { env: { ...env, ...delta } });
    } else {
      const shell = (await fs.pathExists(path.join(ctx.targetRoot, 'bin/bash'))) ? '/bin/bash' : '/bin/sh';
      const spool = spoolDir(ctx.targetRoot);
      await fs.ensureDir(spool);
      // requests are carried out with this script's logger and runners, so apt's lines are its lines
      const server = serveSpool({ ...ctx, log, host: runners.host, target: runners.target }, spool);
      try {
        const env: EnvDelta = {
          ...chrootScriptEnv(process.env, ctx.env),
          ...extra,
          HOME: '/root',
          PATH: `${TARGET_PATH}:${IN_TARGET}/bin`,
          DIB_INSTALL_PACKAGES_SPOOL: SPOOL_IN_TARGET,
        };
        const files = { before: `/tmp/${envFile('before')}`, after: `/tmp/${envFile('after')}` };
        stage = 'environment';
        const delta = await phaseEnvironment(
          ctx,
          shell,
          (file, args, e) => runners.target.run(file, args, { env: e }),
          { ...files, hostBefore: path.join(ctx.targetRoot, files.before), hostAfter: path.join(ctx.targetRoot, files.after) },
          fragmentNames.map((f) => `${IN_TARGET}/environment.d/${f}`),
          env,
        );
        stage = 'script';
        await runners.target.run(shell, ['-c', RUN_SCRIPT_SHELL, 'dib-run-parts', `${IN_TARGET}/${rel}`], { env: { ...env, ...delta } });
      } finally {
        await server.stop();
      }
    }
  } catch (e) {
    if (isDibError(e) && e.code === 'E_COMMAND_FAILED') {
      const status = /exited with status (\d+)/.exec(e.message)?.[1];
      const what = stage === 'environment' ? `environment.d (sourced once for the phase, before script ${rel})` : `script ${rel}`;
      throw new DibError('E_COMMAND_FAILED', `${what} ${status ? `exited with status ${status}` : e.message.replace(/^.*? (was killed|could not start)/, '$1')}`, {
        details: e.details,
        hint: `see the lines of '${ctx.element} ${rel}' above (the script is ${path.join(ctx.elements.find((x) => x.name === ctx.element)?.dir ?? ctx.element, rel)})`,
        cause: e,
      });
    }
    throw e;
  }
}
