/**
 * Is KVM usable? `/dev/kvm` existing is not enough (nested or restricted hosts accept the
 * ioctl and then stop the guest with "KVM internal error"), so the probe boots a one-sector
 * guest under KVM: SeaBIOS loads it, it runs an FPU instruction and writes to QEMU's
 * isa-debug-exit port, which makes QEMU exit with status 85. Anything else within the time
 * limit (an internal error, a hang, an exit with another status) means TCG. The result is
 * cached per process.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Accel } from './qemu-args.js';

export interface AccelProbe {
  accel: Accel;
  /** why KVM is or is not used */
  reason: string;
}

/** Exit status QEMU gives when the probe guest writes 0x2a to isa-debug-exit: (0x2a << 1) | 1. */
export const PROBE_EXIT = 85;

/** The probe's boot sector: fwait; fninit; mov al,0x2a; out 0xf4,al; hlt; jmp $-1; …; 55 aa. */
export function probeBootSector(): Buffer {
  const code = [0x9b, 0xdb, 0xe3, 0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd];
  const b = Buffer.alloc(512);
  Buffer.from(code).copy(b);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** QEMU arguments of the probe run. */
export function probeArgs(sector: string): string[] {
  return [
    '-machine',
    'pc',
    '-accel',
    'kvm',
    '-cpu',
    'host',
    '-m',
    '64M',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-drive',
    `file=${sector.replace(/,/g, ',,')},format=raw,if=ide`,
  ];
}

let cached: Promise<AccelProbe> | undefined;

/** Forget the cached probe result (tests; or after KVM failed a real boot). */
export function resetAccelProbe(result?: AccelProbe): void {
  cached = result ? Promise.resolve(result) : undefined;
}

/** Probe once per process (concurrent callers share the probe). */
export function probeAccel(opts: { qemu: string; timeoutMs?: number; device?: string }): Promise<AccelProbe> {
  cached ??= runProbe(opts.qemu, opts.timeoutMs ?? 3000, opts.device ?? '/dev/kvm');
  return cached;
}

async function runProbe(qemu: string, timeoutMs: number, device: string): Promise<AccelProbe> {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: `${device} is not available` };
  }
  const dir = await mkdtemp(join(tmpdir(), 'dib-kvm-probe-'));
  try {
    const sector = join(dir, 'probe.img');
    await writeFile(sector, probeBootSector());
    return await new Promise<AccelProbe>((resolve) => {
      let stderr = '';
      let settled = false;
      const child = spawn(qemu, probeArgs(sector), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: dir } });
      const finish = (r: AccelProbe) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        resolve(r);
      };
      const timer = setTimeout(() => finish({ accel: 'tcg', reason: `a KVM guest did not run within ${timeoutMs / 1000} s` }), timeoutMs);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        stderr += d;
        if (/KVM internal error/.test(stderr)) finish({ accel: 'tcg', reason: 'KVM stopped the guest with an internal error' });
      });
      child.on('error', (e) => finish({ accel: 'tcg', reason: `could not start ${qemu}: ${e.message}` }));
      child.on('exit', (code) => {
        if (code === PROBE_EXIT) finish({ accel: 'kvm', reason: 'a KVM guest ran' });
        else {
          const msg = stderr.split('\n').find((l) => l.trim() && !/warning:/.test(l))?.replace(/^qemu-system-\S+: /, '');
          finish({ accel: 'tcg', reason: `KVM probe failed${msg ? `: ${msg.trim()}` : ` (exit status ${code})`}` });
        }
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
