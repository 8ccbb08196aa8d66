/**
 * Running one DIB script as dib-run-parts would: on the host for host phases
 * (`$TMP_HOOKS_PATH/<phase>.d/<script>`), in the chroot for chroot phases
 * (`/tmp/in_target.d/<phase>.d/<script>`), with every environment.d fragment of the hooks tree
 * sourced first and DIB's environment. Output lines are logged as `<element> <phase>.d/<script>`;
 * a failure names the script and carries its last lines.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { phaseInfo, type PhaseName } from '../contract/phases.js';
import type { PhaseContext } from '../contract/build.js';
import { DibError, isDibError } from '../errors.js';
import { TARGET_PATH } from '../chroot/run.js';
import { IN_TARGET, scriptEnv } from './env.js';
import { SPOOL_IN_TARGET, serveSpool } from './install-packages.js';
import { RUN_PARTS_SHELL, listFragments } from './run-parts.js';
import { sudoShimDir } from './sudo-shim.js';

export interface ScriptRef {
  phase: PhaseName;
  name: string;
  /** `install.d/10-foo`, or `install.d/<prefix>-<type>-install/10-foo` */
  rel: string;
  /** install-type alternative directory */
  alternative?: string;
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
  const fragments = await listFragments(path.join(hooks, 'environment.d'));
  const log = ctx.log.child(`${ctx.element} ${rel}`);
  const runners = { host: ctx.host.withLogger(log), target: ctx.target.withLogger(log) };
  const where = phaseInfo(ref.phase).where;
  const extra = scriptEnv(ctx.env, where === 'host' ? hooks : IN_TARGET, ctx.elements);
  try {
    if (where === 'host') {
      const shim = await sudoShimDir(path.join(ctx.build.paths.buildDir, 'host-bin'));
      const hostPath = [process.env.PATH ?? TARGET_PATH, path.join(hooks, 'bin'), ...(shim ? [shim] : [])].join(':');
      await runners.host.run('bash', ['-c', RUN_PARTS_SHELL, 'dib-run-parts', path.join(hooks, rel), ...fragments.map((f) => path.join(hooks, 'environment.d', f))], {
        env: { ...extra, PATH: hostPath, TARGET_ROOT: ctx.targetRoot },
      });
    } else {
      const shell = (await fs.pathExists(path.join(ctx.targetRoot, 'bin/bash'))) ? '/bin/bash' : '/bin/sh';
      const spool = spoolDir(ctx.targetRoot);
      await fs.ensureDir(spool);
      // requests are carried out with this script's logger and runners, so apt's lines are its lines
      const server = serveSpool({ ...ctx, log, host: runners.host, target: runners.target }, spool);
      try {
        await runners.target.run(shell, ['-c', RUN_PARTS_SHELL, 'dib-run-parts', `${IN_TARGET}/${rel}`, ...fragments.map((f) => `${IN_TARGET}/environment.d/${f}`)], {
          env: { ...extra, PATH: `${TARGET_PATH}:${IN_TARGET}/bin`, DIB_INSTALL_PACKAGES_SPOOL: SPOOL_IN_TARGET },
        });
      } finally {
        await server.stop();
      }
    }
  } catch (e) {
    if (isDibError(e) && e.code === 'E_COMMAND_FAILED') {
      const status = /exited with status (\d+)/.exec(e.message)?.[1];
      throw new DibError('E_COMMAND_FAILED', `script ${rel} ${status ? `exited with status ${status}` : e.message.replace(/^.*? (was killed|could not start)/, '$1')}`, {
        details: e.details,
        hint: `see the lines of '${ctx.element} ${rel}' above (the script is ${path.join(ctx.elements.find((x) => x.name === ctx.element)?.dir ?? ctx.element, rel)})`,
        cause: e,
      });
    }
    throw e;
  }
}
