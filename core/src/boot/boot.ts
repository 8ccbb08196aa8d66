/**
 * bootImage: boot a disk image in QEMU (x86_64) and watch its serial console for a login
 * prompt. The image is opened with snapshot=on and never modified; QEMU and every temporary
 * file are gone when this returns or throws (timeout, panic, abort, error).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DibError } from '../errors.js';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { createHostRunner } from '../chroot/run.js';
import { findTool } from '../output/tools.js';
import { probeAccel, resetAccelProbe } from './accel.js';
import { ConsoleWatcher, type ConsoleVerdict } from './console.js';
import { detectImageFormat } from './image-info.js';
import { buildQemuArgs, OVMF_CODE, OVMF_VARS, type Accel, type Firmware } from './qemu-args.js';

export const QEMU_SYSTEM = 'qemu-system-x86_64';

export type BootReason = 'login' | 'panic' | 'emergency' | 'initramfs' | 'timeout' | 'exited';

export interface BootOptions {
  /** the disk image (raw, qcow2, vhd, …; format detected) */
  image: string;
  firmware: Firmware;
  /** seconds to wait for a login prompt */
  timeout: number;
  /** guest memory, default 1024 MiB */
  memoryMiB?: number;
  /** virtual CPUs, default min(2, host CPUs) */
  cpus?: number;
  /** accelerator; default 'auto' (KVM when a probe guest runs under it, else TCG) */
  accel?: Accel | 'auto';
  /** give the guest a user-mode NIC (default: no network) */
  network?: boolean;
  /** extra qemu-system-x86_64 arguments */
  extraArgs?: readonly string[];
  log: Logger;
  /** every complete serial console line (escape sequences removed), and the last partial line */
  onConsoleLine?: (line: string) => void;
  signal?: AbortSignal;
  /** runner for `qemu-img info` (default: a host runner on `log`) */
  run?: CommandRunner;
}

export interface BootResult {
  /** a login prompt was reached */
  ok: boolean;
  /** seconds from QEMU's start to the verdict (or the timeout) */
  seconds: number;
  reason: BootReason;
  accel: Accel;
  firmware: Firmware;
  /** the console line that decided it, or what ended the run */
  detail?: string;
}

/** Host programs `dib boot` needs (for `dib doctor`). */
export function requiredBootTools(): Array<{ command: string; package: string; why: string }> {
  return [
    { command: QEMU_SYSTEM, package: 'qemu-system-x86', why: 'dib boot' },
    { command: 'qemu-img', package: 'qemu-utils', why: 'dib boot (image format detection)' },
  ];
}

/** Firmware files `dib boot --firmware uefi` needs (for `dib doctor`; BIOS uses QEMU's SeaBIOS). */
export function requiredBootFiles(): Array<{ path: string; package: string; why: string }> {
  return [
    { path: OVMF_CODE, package: 'ovmf', why: 'dib boot --firmware uefi' },
    { path: OVMF_VARS, package: 'ovmf', why: 'dib boot --firmware uefi' },
  ];
}

function toolMissing(command: string, pkg: string, why: string): DibError {
  return new DibError('E_HOST_TOOL_MISSING', `${why} needs '${command}', which is not installed`, { hint: `apt-get install ${pkg}` });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

interface RunOutcome {
  kind: 'verdict' | 'timeout' | 'exited' | 'kvm-error' | 'aborted' | 'spawn-error';
  verdict?: ConsoleVerdict;
  detail?: string;
  seconds: number;
}

/** Boot `opts.image` and wait for a login prompt, a panic or the timeout. */
export async function bootImage(opts: BootOptions): Promise<BootResult> {
  const log = opts.log;
  if (!(opts.firmware === 'uefi' || opts.firmware === 'bios')) {
    throw new DibError('E_BOOT', `unknown firmware '${String(opts.firmware)}'`, { hint: 'use uefi or bios' });
  }
  if (!(opts.timeout > 0)) throw new DibError('E_BOOT', `timeout must be a positive number of seconds`, { hint: 'for example --timeout 600' });
  if (!(await exists(opts.image))) {
    throw new DibError('E_BOOT', `disk image ${opts.image} does not exist`, { hint: 'build it first (dib build) or check the path' });
  }
  const qemu = findTool(QEMU_SYSTEM);
  if (!qemu) throw toolMissing(QEMU_SYSTEM, 'qemu-system-x86', 'booting an image');
  if (!findTool('qemu-img')) throw toolMissing('qemu-img', 'qemu-utils', 'booting an image');
  if (opts.firmware === 'uefi' && !((await exists(OVMF_CODE)) && (await exists(OVMF_VARS)))) {
    throw toolMissing(OVMF_CODE, 'ovmf', 'UEFI boot');
  }
  if (opts.signal?.aborted) throw new DibError('E_INTERRUPTED', 'boot interrupted before it started');

  const run = opts.run ?? createHostRunner({ log, signal: opts.signal });
  const format = await detectImageFormat(opts.image, run);

  let accel: Accel;
  if (!opts.accel || opts.accel === 'auto') {
    const probe = await probeAccel({ qemu });
    accel = probe.accel;
    log.info(`boot: using ${accel} (${probe.reason})`);
  } else accel = opts.accel;

  const dir = await mkdtemp(join(tmpdir(), 'dib-boot-'));
  const cleanupOnExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanupOnExit);
  try {
    let ovmfVars: string | undefined;
    if (opts.firmware === 'uefi') {
      ovmfVars = join(dir, 'OVMF_VARS.fd');
      await copyFile(OVMF_VARS, ovmfVars);
    }
    const argsFor = (a: Accel) =>
      buildQemuArgs({
        image: opts.image,
        format,
        firmware: opts.firmware,
        accel: a,
        memoryMiB: opts.memoryMiB ?? 1024,
        cpus: opts.cpus ?? Math.max(1, Math.min(2, availableParallelism())),
        ovmfCode: OVMF_CODE,
        ovmfVars,
        network: opts.network,
        extraArgs: opts.extraArgs,
      });

    let outcome = await runQemu(qemu, argsFor(accel), dir, opts);
    if (outcome.kind === 'kvm-error') {
      log.warn('boot: KVM stopped the guest with an internal error; booting again with TCG');
      resetAccelProbe({ accel: 'tcg', reason: 'KVM failed a guest with an internal error' });
      accel = 'tcg';
      if (ovmfVars) await copyFile(OVMF_VARS, ovmfVars);
      outcome = await runQemu(qemu, argsFor(accel), dir, opts);
    }
    switch (outcome.kind) {
      case 'aborted':
        throw new DibError('E_INTERRUPTED', 'boot interrupted');
      case 'spawn-error':
        throw new DibError('E_BOOT', `could not start ${QEMU_SYSTEM}: ${outcome.detail}`, { hint: 'apt-get install qemu-system-x86' });
      case 'kvm-error':
        throw new DibError('E_BOOT', 'QEMU stopped the guest with an internal error', { hint: 'try --accel tcg' });
      case 'verdict': {
        const v = outcome.verdict!;
        return { ok: v.ok, seconds: outcome.seconds, reason: v.kind, accel, firmware: opts.firmware, detail: v.line };
      }
      case 'timeout':
        return { ok: false, seconds: outcome.seconds, reason: 'timeout', accel, firmware: opts.firmware, detail: outcome.detail };
      case 'exited':
        return { ok: false, seconds: outcome.seconds, reason: 'exited', accel, firmware: opts.firmware, detail: outcome.detail };
    }
  } finally {
    process.removeListener('exit', cleanupOnExit);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run QEMU until a verdict, the timeout, its exit or an abort; QEMU is dead on return. */
function runQemu(qemu: string, args: string[], dir: string, opts: BootOptions): Promise<RunOutcome> {
  const log = opts.log;
  log.debug(`boot: ${qemu} ${args.join(' ')}`);
  const watcher = new ConsoleWatcher();
  const started = process.hrtime.bigint();
  const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10;
  return new Promise<RunOutcome>((resolve) => {
    let child: ChildProcess;
    let outcome: RunOutcome | undefined;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const killOnExit = () => {
      child?.kill('SIGKILL');
    };
    const onAbort = () => settle({ kind: 'aborted', seconds: elapsed() });
    const emit = (line: string) => {
      try {
        opts.onConsoleLine?.(line);
      } catch (e) {
        log.warn(`boot: console callback failed: ${(e as Error).message}`);
      }
    };
    const settle = (o: RunOutcome) => {
      if (outcome) return;
      outcome = o;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      }
    };
    try {
      child = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir } });
    } catch (e) {
      resolve({ kind: 'spawn-error', detail: (e as Error).message, seconds: 0 });
      return;
    }
    process.once('exit', killOnExit);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => settle({ kind: 'timeout', detail: `no login prompt within ${opts.timeout} s`, seconds: elapsed() }), opts.timeout * 1000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      // keep showing what arrives until QEMU is gone (the rest of a prompt, for example)
      const u = watcher.feed(d);
      for (const l of u.lines) emit(l);
      if (u.verdict) settle({ kind: 'verdict', verdict: u.verdict, seconds: elapsed() });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 65536) stderr = stderr.slice(-65536);
      if (/KVM internal error/.test(stderr) && args.includes('kvm')) settle({ kind: 'kvm-error', seconds: elapsed() });
    });
    child.on('error', (e) => settle({ kind: 'spawn-error', detail: e.message, seconds: elapsed() }));
    child.on('close', (code, sig) => {
      clearTimeout(killTimer);
      process.removeListener('exit', killOnExit);
      opts.signal?.removeEventListener('abort', onAbort);
      const rest = watcher.flush();
      if (rest !== undefined) emit(rest);
      if (!outcome) {
        const msg = stderr
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !/warning:/.test(l))
          .pop();
        outcome = {
          kind: 'exited',
          detail: `QEMU exited (${sig ? `signal ${sig}` : `status ${code}`}) before a login prompt${msg ? `: ${msg.replace(/^qemu-system-\S+: /, '')}` : ''}`,
          seconds: elapsed(),
        };
      }
      resolve(outcome);
    });
    if (opts.signal?.aborted) onAbort();
  });
}
