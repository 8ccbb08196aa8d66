/**
 * The build's sandbox: one mount namespace and one PID namespace per build, the way mkosi
 * (`unshare(CLONE_NEWNS)` for the whole run), bubblewrap (`--unshare-pid --die-with-parent`) and
 * systemd-nspawn contain theirs. `dib build` re-executes itself as
 *
 *   setpriv --pdeathsig KILL                  dies when the supervisor dies (even by SIGKILL)
 *     unshare --mount --propagation private   every mount stays out of the host's table
 *             --pid --fork --mount-proc       a PID namespace with its own /proc
 *             --kill-child=SIGKILL            …whose init dies when unshare does
 *       perl -e dib-init -- node dib build …  PID 1: forwards signals, reaps orphans
 *
 * so that every mount the build makes disappears with it and every process it starts dies with
 * it: a PID namespace is torn down by the kernel when its init exits.
 */
import { execa } from 'execa';
import { NAMESPACE_TOOL_PACKAGES, findNamespaceTools, namespaceArgv, namespaceEnv, type NamespaceTools } from '../chroot/init.js';

/** Set by the supervisor in the environment of the dib it starts inside the sandbox. */
export const SANDBOX_ENV = 'DIB_SANDBOXED';
/** The documented way out: build without the sandbox, as dib did before. */
export const NO_SANDBOX_ENV = 'DIB_NO_SANDBOX';

export type SandboxProbe = { ok: true; tools: NamespaceTools } | { ok: false; problem: string; hint: string };

/** Whether a sandbox can be made here: the tools exist and `true` runs in one. */
export async function probeSandbox(pathEnv = process.env.PATH): Promise<SandboxProbe> {
  const tools = findNamespaceTools(pathEnv);
  if ('missing' in tools) return { ok: false, problem: `'${tools.missing}' is not installed`, hint: `apt-get install ${NAMESPACE_TOOL_PACKAGES[tools.missing]}` };
  if (process.getuid?.() !== 0) return { ok: false, problem: 'not running as root', hint: 'run dib build as root' };
  const [file, args] = namespaceArgv(tools, 'sandbox', ['true']);
  const r = await execa(file, args, { reject: false, timeout: 10_000, env: namespaceEnv(process.env), extendEnv: false });
  if (r.exitCode === 0) return { ok: true, tools };
  const why = String(r.stderr || r.message).split('\n').filter(Boolean).pop() ?? `exit status ${r.exitCode}`;
  if (/cannot change root filesystem propagation/.test(why)) {
    // a plain chroot: its / is a directory, not a mount point, so no mount propagation can be set on it
    return {
      ok: false,
      problem: `the root directory is not a mount point (dib runs in a plain chroot?), so the build's mount namespace cannot be made private (${why})`,
      hint: 'make / a mount point before entering the chroot (mount --bind DIR DIR, then chroot DIR), or run dib in a container; or set ' + `${NO_SANDBOX_ENV}=1 to build without the sandbox`,
    };
  }
  return {
    ok: false,
    problem: `mount and PID namespaces cannot be made here (${why})`,
    hint: `run dib as root on the host or in a privileged container (docker run --privileged); or set ${NO_SANDBOX_ENV}=1 to build without the sandbox (a killed build may then leave mounts and processes behind)`,
  };
}
