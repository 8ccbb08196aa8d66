/**
 * The kernel command line and GRUB terminal settings, as DIB's bootloader element builds
 * them from its environment (docs/dib-behaviour.md#bootloader). Pure functions.
 */
import { archFamily } from '@dib/core';

export { archFamily, type ArchFamily } from '@dib/core';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CMDLINE = 'nofb nomodeset gfxpayload=text';

/** DIB's truthiness for its True/False variables. */
export function isTrue(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return /^(true|1|yes|on)$/i.test(v.trim());
}

/** Serial console used when DIB_BOOTLOADER_SERIAL_CONSOLE is empty. */
export function defaultSerialConsole(arch: string | undefined): string {
  switch (archFamily(arch)) {
    case 'ppc':
      return 'hvc0';
    case 'arm64':
      return 'ttyAMA0,115200';
    default:
      return 'ttyS0,115200';
  }
}

/** The serial console, or undefined when DIB_BOOTLOADER_USE_SERIAL_CONSOLE is off. */
export function serialConsole(env: Env, arch: string | undefined): string | undefined {
  if (!isTrue(env.DIB_BOOTLOADER_USE_SERIAL_CONSOLE, true)) return undefined;
  const s = env.DIB_BOOTLOADER_SERIAL_CONSOLE;
  return s && s.trim() !== '' ? s.trim() : defaultSerialConsole(arch);
}

/**
 * GRUB_CMDLINE_LINUX_DEFAULT as DIB writes it:
 * `console=<VT> console=<serial> no_timer_check <DEFAULT_CMDLINE>[ boot=LABEL=<boot>][ fips=1]`.
 */
export function kernelCmdline(env: Env, arch: string | undefined, bootLabel?: string): string {
  const parts: string[] = [];
  // unset → tty0; set to '' → no virtual terminal console
  const vt = env.DIB_BOOTLOADER_VIRTUAL_TERMINAL === undefined ? 'tty0' : env.DIB_BOOTLOADER_VIRTUAL_TERMINAL.trim();
  if (vt) parts.push(`console=${vt}`);
  const serial = serialConsole(env, arch);
  if (serial) parts.push(`console=${serial}`);
  if (isTrue(env.DIB_NO_TIMER_CHECK, true)) parts.push('no_timer_check');
  const extra = env.DIB_BOOTLOADER_DEFAULT_CMDLINE === undefined || env.DIB_BOOTLOADER_DEFAULT_CMDLINE === '' ? DEFAULT_CMDLINE : env.DIB_BOOTLOADER_DEFAULT_CMDLINE;
  parts.push(...extra.split(/\s+/).filter(Boolean));
  if (bootLabel) parts.push(`boot=LABEL=${bootLabel}`);
  if (isTrue(env.DIB_FIPS_ENABLE, false)) parts.push('fips=1');
  return parts.join(' ');
}

/** GRUB's `serial` command for a console such as `ttyS1,9600` (unit 0, 115200 8N1 by default). */
export function grubSerialCommand(console: string | undefined): string {
  let unit = 0;
  let speed = 115200;
  const m = console ? /^ttyS(\d+)(?:,(\d+))?/.exec(console) : null;
  if (m) {
    unit = Number(m[1]);
    if (m[2]) speed = Number(m[2]);
  }
  return `serial --speed=${speed} --unit=${unit} --word=8 --parity=no --stop=1`;
}

export interface GrubSettings {
  timeout: number;
  timeoutStyle: string;
  /** GRUB terminal list: `serial console` or `console` */
  terminal: string;
  /** the `serial …` command, when the serial console is used */
  serialCommand?: string;
  cmdlineDefault: string;
}

/** GRUB timeout/terminal/cmdline settings from DIB's environment. */
export function grubSettings(env: Env, arch: string | undefined, bootLabel?: string): GrubSettings {
  const t = Number(env.DIB_GRUB_TIMEOUT ?? '5');
  const serial = serialConsole(env, arch);
  const s: GrubSettings = {
    timeout: Number.isFinite(t) && t >= 0 ? Math.floor(t) : 5,
    timeoutStyle: env.DIB_GRUB_TIMEOUT_STYLE && env.DIB_GRUB_TIMEOUT_STYLE.trim() !== '' ? env.DIB_GRUB_TIMEOUT_STYLE.trim() : 'menu',
    terminal: serial && archFamily(arch) !== 'ppc' ? 'serial console' : 'console',
    cmdlineDefault: kernelCmdline(env, arch, bootLabel),
  };
  if (serial && archFamily(arch) !== 'ppc') s.serialCommand = grubSerialCommand(serial);
  return s;
}
