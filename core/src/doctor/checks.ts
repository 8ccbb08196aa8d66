/**
 * The host checks of `dib doctor` besides tools: root, free disk in the work and cache dirs,
 * KVM usability and whether the OS element's release is published where it says.
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseTarget } from '../contract/os.js';
import { formatBytes } from '../util/bytes.js';
import { overlayWorks } from '../chroot/mounts.js';
import { NO_SANDBOX_ENV, probeSandbox } from '../sandbox/namespaces.js';

export type CheckLevel = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** short name: root, work-dir, cache-dir, kvm, mirror */
  id: string;
  level: CheckLevel;
  message: string;
  hint?: string;
}

export function rootCheck(uid: number | undefined = process.getuid?.()): CheckResult {
  if (uid === undefined || uid === 0) return { id: 'root', level: 'ok', message: 'running as root' };
  return { id: 'root', level: 'fail', message: `running as uid ${uid}: dib build needs root (chroot, mounts)`, hint: 'run dib build as root (sudo dib build …)' };
}

/**
 * The build's sandbox (issue 9): mount and PID namespaces for the build and a PID namespace per
 * command, and the overlay that keeps the hooks tree read-only in the chroot.
 */
export async function sandboxCheck(env: NodeJS.ProcessEnv = process.env, workDir?: string): Promise<CheckResult> {
  if (env[NO_SANDBOX_ENV] === '1') {
    return { id: 'sandbox', level: 'warn', message: `sandbox: turned off by ${NO_SANDBOX_ENV}=1: a killed build may leave mounts in the host's table and processes running`, hint: `unset ${NO_SANDBOX_ENV} where namespaces work` };
  }
  const probe = await probeSandbox(env.PATH);
  if (!probe.ok) return { id: 'sandbox', level: 'fail', message: `sandbox: ${probe.problem}`, hint: probe.hint };
  const overlay = workDir ? await overlayWorks(workDir).catch(() => false) : true;
  return {
    id: 'sandbox',
    level: 'ok',
    message: `sandbox: builds run in mount and PID namespaces of their own${overlay ? '' : ' (no overlayfs: the hooks tree is copied into the chroot instead of mounted read-only)'}`,
  };
}

/** Free bytes on the filesystem holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<{ dir: string; free: number }> {
  let d = path.resolve(dir);
  for (;;) {
    try {
      const s = await statfs(d);
      return { dir: d, free: s.bavail * s.bsize };
    } catch (e) {
      const parent = path.dirname(d);
      if (parent === d) throw e;
      d = parent;
    }
  }
}

const GiB = 1024 ** 3;

/** Free space below `warnBelow` is a warning, below `failBelow` a failure. */
export async function diskCheck(id: string, what: string, dir: string, limits: { failBelow: number; warnBelow: number }): Promise<CheckResult> {
  try {
    const { free } = await freeBytes(dir);
    const msg = `${what} ${dir}: ${formatBytes(free, { fixed: true })} free`;
    if (free < limits.failBelow) return { id, level: 'fail', message: msg, hint: `free space under ${dir} or choose another ${what} (at least ${formatBytes(limits.failBelow, { fixed: true })})` };
    if (free < limits.warnBelow) return { id, level: 'warn', message: `${msg} (a Debian image build wants ${formatBytes(limits.warnBelow, { fixed: true })})`, hint: `free space under ${dir}` };
    return { id, level: 'ok', message: msg };
  } catch (e) {
    return { id, level: 'warn', message: `${what} ${dir}: cannot tell free space (${(e as Error).message})` };
  }
}

export const WORK_LIMITS = { failBelow: 1 * GiB, warnBelow: 4 * GiB };
export const CACHE_LIMITS = { failBelow: 512 * 1024 ** 2, warnBelow: 2 * GiB };

/** Is KVM usable? Boots the accel probe's one-sector guest when QEMU is installed. */
export async function kvmCheck(qemu: string | undefined): Promise<CheckResult> {
  if (!qemu) return { id: 'kvm', level: 'skip', message: 'KVM: qemu-system-x86_64 is not installed, nothing to probe (dib boot needs it)' };
  const { probeAccel } = await import('../boot/accel.js');
  const r = await probeAccel({ qemu });
  if (r.accel === 'kvm') return { id: 'kvm', level: 'ok', message: `KVM usable (${r.reason})` };
  return { id: 'kvm', level: 'warn', message: `KVM not usable (${r.reason}): dib boot falls back to TCG, which is several times slower`, hint: 'load kvm_intel/kvm_amd, or give the VM nested virtualisation, and make /dev/kvm read-writable' };
}

/**
 * HEAD (then GET) the URL where the build's release is published (the OS element says which:
 * a Debian mirror's `dists/<release>/Release`), with a short timeout.
 */
export async function mirrorCheck(target: ReleaseTarget | undefined, opts: { timeoutMs?: number; offline?: boolean; fetchImpl?: typeof fetch } = {}): Promise<CheckResult> {
  if (!target) return { id: 'mirror', level: 'skip', message: 'mirror: the operating-system element publishes no release to check' };
  const { url } = target;
  if (opts.offline) return { id: 'mirror', level: 'skip', message: `mirror: --offline, not checking ${url}` };
  if (!/^https?:\/\//.test(url)) return { id: 'mirror', level: 'skip', message: `mirror: ${url} is not an http(s) URL, not checked` };
  const f = opts.fetchImpl ?? fetch;
  const t0 = performance.now();
  const timeout = opts.timeoutMs ?? 5000;
  let status = 0;
  // a timer of our own (AbortSignal.timeout's is unref'd: it would not keep the process alive)
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeout);
  try {
    for (const method of ['HEAD', 'GET']) {
      const res = await f(url, { method, signal: ac.signal, redirect: 'follow' });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) break;
      if (method === 'HEAD' && (status === 405 || status === 501)) continue;
      break;
    }
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${(timeout / 1000).toFixed(0)} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { id: 'mirror', level: 'fail', message: `mirror ${url}: ${why}`, hint: `check the network and proxy (http_proxy), or ${target.hint}; --offline builds from the cache only` };
  } finally {
    clearTimeout(timer);
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  if (status >= 200 && status < 400) return { id: 'mirror', level: 'ok', message: `mirror ${url}: HTTP ${status} in ${secs} s` };
  return {
    id: 'mirror',
    level: 'fail',
    message: `mirror ${url}: HTTP ${status}`,
    hint: status === 404 ? `${target.distro} has no release '${target.release}' there: ${target.hint}` : target.hint,
  };
}
