/**
 * Texts dib writes for GRUB: `/boot/grub/grub.cfg` (dib writes it itself: grub-mkconfig needs
 * a device), the early config embedded in the core/EFI images, and `/etc/default/grub`
 * updated as DIB does so that a later `update-grub` in the guest behaves. Pure functions.
 */
import { shellQuote } from '@dib/core';
import type { GrubSettings } from './cmdline.js';

/** A kernel in /boot and its initrd. */
export interface KernelPair {
  version: string;
  kernel: string;
  initrd?: string;
}

/** Compare version strings the way `sort -V` roughly does. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/([0-9]+)/);
  const pb = b.split(/([0-9]+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (x === '') return -1;
    if (y === '') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The kernels in a /boot listing, newest first (`vmlinuz-<v>` with `initrd.img-<v>` / `initramfs-<v>.img`). */
export function findKernels(bootFiles: readonly string[]): KernelPair[] {
  const files = new Set(bootFiles);
  const out: KernelPair[] = [];
  for (const f of bootFiles) {
    const m = /^(?:vmlinuz|vmlinux|Image)-(.+)$/.exec(f);
    if (!m || f.endsWith('.sig') || f.endsWith('.hmac')) continue;
    const version = m[1]!;
    if (version.includes('rescue')) continue;
    const pair: KernelPair = { version, kernel: f };
    for (const cand of [`initrd.img-${version}`, `initramfs-${version}.img`, `initrd-${version}`, `initrd-${version}.img`]) {
      if (files.has(cand)) {
        pair.initrd = cand;
        break;
      }
    }
    out.push(pair);
  }
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

export interface GrubCfgOptions {
  settings: GrubSettings;
  /** UUID of the filesystem holding /boot (the root fs unless /boot is separate) */
  bootFsUuid: string;
  /** path of /boot's files on that filesystem: `/boot`, or `` when /boot is its own fs */
  bootPath: string;
  /** root= for the kernel, e.g. `UUID=…` */
  rootDevice: string;
  /** GRUB_CMDLINE_LINUX (kept from /etc/default/grub) */
  cmdlineLinux?: string;
  kernels: KernelPair[];
  /** menu title, e.g. `Debian GNU/Linux` */
  title: string;
}

/** grub.cfg quotes words as sh does (GRUB's script syntax follows it). */
const q = shellQuote;

/** The grub.cfg dib writes. */
export function grubCfg(o: GrubCfgOptions): string {
  const s = o.settings;
  const lines = [
    '# Written by dib (bootloader element).',
    '# Change /etc/default/grub and run update-grub to regenerate it inside the guest.',
    'set default=0',
    `set timeout=${s.timeout}`,
    `set timeout_style=${s.timeoutStyle}`,
  ];
  if (s.serialCommand) lines.push(s.serialCommand);
  lines.push(`terminal_input ${s.terminal}`, `terminal_output ${s.terminal}`);
  lines.push('insmod part_gpt', 'insmod part_msdos', 'insmod ext2', `search --no-floppy --fs-uuid --set=root ${o.bootFsUuid}`, '');
  const cmd = [`root=${o.rootDevice}`, 'ro', o.cmdlineLinux ?? '', s.cmdlineDefault].filter((x) => x.trim() !== '').join(' ');
  o.kernels.forEach((k, i) => {
    const title = i === 0 ? o.title : `${o.title}, with Linux ${k.version}`;
    lines.push(`menuentry ${q(title)} --id ${q(`dib-${k.version}`)} {`);
    lines.push('\tinsmod gzio');
    lines.push(`\tsearch --no-floppy --fs-uuid --set=root ${o.bootFsUuid}`);
    lines.push(`\tlinux ${o.bootPath}/${k.kernel} ${cmd}`);
    if (k.initrd) lines.push(`\tinitrd ${o.bootPath}/${k.initrd}`);
    lines.push('}');
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The config embedded in core.img / BOOTX64.EFI: find /boot's filesystem by UUID and set the
 * prefix (`/boot/grub`, or `/grub` when /boot is its own filesystem) where grub.cfg lives.
 */
export function earlyConfig(bootFsUuid: string, prefix: string): string {
  return [`search --no-floppy --fs-uuid --set=root ${bootFsUuid}`, `set prefix=($root)${prefix}`, ''].join('\n');
}

/** A `KEY=value` line's value, unquoted (`"a b"` → `a b`). */
export function defaultGrubValue(text: string, key: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*${key}=(.*)$`).exec(line);
    if (!m) continue;
    let v = m[1]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    value = v;
  }
  return value;
}

const MARKER = '# Set by dib (bootloader element)';

const SET_KEYS = [
  'GRUB_DEVICE',
  'GRUB_DISABLE_LINUX_UUID',
  'GRUB_TIMEOUT',
  'GRUB_TIMEOUT_STYLE',
  'GRUB_TERMINAL',
  'GRUB_SERIAL_COMMAND',
  'GRUB_GFXPAYLOAD_LINUX',
  'GRUB_CMDLINE_LINUX_DEFAULT',
];

/**
 * /etc/default/grub as DIB's bootloader leaves it: `console=` and `boot=` removed from the
 * command-line variables, then GRUB_DEVICE=LABEL=<root label>, GRUB_DISABLE_LINUX_UUID,
 * timeout, terminal, serial command, GRUB_GFXPAYLOAD_LINUX=auto and the command line set.
 */
export function updateDefaultGrub(existing: string, settings: GrubSettings, rootLabel: string): string {
  const out: string[] = [];
  const keyRe = new RegExp(`^\\s*(${SET_KEYS.join('|')})=`);
  for (const line of existing.split('\n')) {
    if (keyRe.test(line) || line.trim() === MARKER) continue;
    if (/^\s*GRUB_CMDLINE_LINUX=/.test(line)) {
      out.push(line.replace(/\s*\b(console|boot)=[^\s"']*/g, '').replace(/=(["'])\s+/, '=$1'));
      continue;
    }
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  out.push(
    '',
    MARKER,
    `GRUB_DEVICE=LABEL=${rootLabel}`,
    'GRUB_DISABLE_LINUX_UUID=true',
    `GRUB_TIMEOUT=${settings.timeout}`,
    `GRUB_TIMEOUT_STYLE=${settings.timeoutStyle}`,
    `GRUB_TERMINAL="${settings.terminal}"`,
  );
  if (settings.serialCommand) out.push(`GRUB_SERIAL_COMMAND="${settings.serialCommand}"`);
  out.push('GRUB_GFXPAYLOAD_LINUX=auto', `GRUB_CMDLINE_LINUX_DEFAULT="${settings.cmdlineDefault}"`);
  return `${out.join('\n')}\n`;
}

/** GRUB platforms and EFI file names per architecture family. */
export function efiTarget(arch: string | undefined): { platform: string; file: string; package: string } | undefined {
  const a = (arch ?? '').toLowerCase();
  if (a === 'amd64' || a === 'x86_64') return { platform: 'x86_64-efi', file: 'BOOTX64.EFI', package: 'grub-efi-amd64-bin' };
  if (a === 'arm64' || a === 'aarch64') return { platform: 'arm64-efi', file: 'BOOTAA64.EFI', package: 'grub-efi-arm64-bin' };
  if (a === 'i386' || a === 'i686') return { platform: 'i386-efi', file: 'BOOTIA32.EFI', package: 'grub-efi-ia32-bin' };
  return undefined;
}

/** Modules built into the i386-pc core image. */
export const BIOS_MODULES = ['biosdisk', 'part_msdos', 'part_gpt', 'ext2', 'fat', 'search', 'search_fs_uuid', 'search_label', 'normal', 'linux', 'echo', 'test', 'configfile', 'serial', 'terminal', 'gzio', 'boot'];
/** Modules built into the EFI image. */
export const EFI_MODULES = ['part_msdos', 'part_gpt', 'ext2', 'fat', 'search', 'search_fs_uuid', 'search_label', 'normal', 'linux', 'echo', 'test', 'configfile', 'serial', 'terminal', 'gzio', 'boot', 'all_video', 'efi_gop', 'chain', 'reboot', 'halt'];
