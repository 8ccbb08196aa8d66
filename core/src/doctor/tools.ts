/**
 * Which host tools a build needs, and why: the elements' `hostTools`, the outputs' tools and
 * the core's own (chroot, mounts, the filesystems and partition table of the disk layout), plus
 * what `dib boot` needs. One entry per command, with every reason that asks for it.
 */
import { existsSync } from 'node:fs';
import type { OutputFormat } from '../output/types.js';
import type { ResolvedElement } from '../contract/element.js';
import type { Env, HostTool } from '../vocabulary.js';
import type { DiskLayout } from '../disk/layout.js';
import { findTool, requiredHostTools } from '../output/tools.js';

/** What a tool is for: building images (checked before every build) or `dib boot` only. */
export type ToolPurpose = 'build' | 'boot';

export interface NeededTool {
  /** command looked up on PATH (plus the sbin dirs), or an absolute file path */
  command: string;
  /** Debian package providing it */
  package: string;
  /** who needs it: `core`, `element busybox-root`, `qcow2 output`, `dib boot` */
  neededBy: string[];
  /** why, one reason per requester */
  why: string[];
  purpose: ToolPurpose;
}

export interface ToolStatus extends NeededTool {
  /** where it was found, or undefined when missing */
  found?: string;
}

/** The host tools the core itself uses for these output formats and (when known) this disk layout. */
export function coreHostTools(formats: readonly Pick<OutputFormat, 'from'>[], layout?: Pick<DiskLayout, 'table' | 'filesystems'>): HostTool[] {
  const tools: HostTool[] = [
    { command: 'chroot', package: 'coreutils', why: 'runs the chroot phases (pre-install, install, post-install, finalise) in the image tree' },
    { command: 'mount', package: 'mount', why: 'mounts /proc, /sys and /dev in the image tree' },
    { command: 'umount', package: 'mount', why: 'unmounts the image tree after each phase and on cleanup' },
    { command: 'flock', package: 'util-linux', why: 'locks cache entries shared between builds (flock(2), released by the kernel)' },
  ];
  if (formats.some((f) => f.from === 'disk')) {
    const fsTypes = new Set(layout ? layout.filesystems.map((f) => f.type) : ['ext4']);
    if ([...fsTypes].some((t) => /^ext[234]$/.test(t))) tools.push({ command: 'mke2fs', package: 'e2fsprogs', why: 'makes ext filesystems from the image tree (mkfs.ext4 -d)' });
    if (fsTypes.has('vfat')) {
      tools.push({ command: 'mkfs.vfat', package: 'dosfstools', why: 'makes the EFI system partition (vfat)' });
      tools.push({ command: 'mcopy', package: 'mtools', why: 'fills the vfat filesystem without mounting it' });
    }
    if (fsTypes.has('swap')) tools.push({ command: 'mkswap', package: 'util-linux', why: 'makes the swap partition' });
    if (fsTypes.has('xfs')) {
      tools.push({ command: 'mkfs.xfs', package: 'xfsprogs', why: 'makes xfs filesystems from the image tree (-p)' });
      tools.push({ command: 'xfs_db', package: 'xfsprogs', why: 'sets the modes a protofile cannot express (sticky bits)' });
    }
    if (layout?.table === 'gpt') tools.push({ command: 'sfdisk', package: 'fdisk', why: 'writes the GPT partition table on the image file' });
    if (layout?.table === 'mbr') tools.push({ command: 'partx', package: 'util-linux', why: 'reads back the MBR partition table dib writes' });
  }
  return tools;
}

/** OVMF firmware files `dib boot --firmware uefi` uses (see core/src/boot/qemu-args.ts). */
export const BOOT_TOOLS: readonly HostTool[] = [
  { command: 'qemu-system-x86_64', package: 'qemu-system-x86', why: 'boots images (dib boot, e2e tests)' },
  { command: 'qemu-img', package: 'qemu-utils', why: 'inspects images before booting them' },
  { command: '/usr/share/OVMF/OVMF_CODE_4M.fd', package: 'ovmf', why: 'UEFI firmware for dib boot --firmware uefi' },
];

/** An element's host tools (its `hostTools` list or function, given the build environment). */
export function elementHostTools(el: ResolvedElement, env: Readonly<Env>): HostTool[] {
  const ht = el.element.hostTools;
  if (!ht) return [];
  const list = typeof ht === 'function' ? ht(env) : ht;
  return Array.isArray(list) ? list : [];
}

export interface CollectInput {
  elements: readonly ResolvedElement[];
  env: Readonly<Env>;
  /** the output formats the build writes (their host tools, and the disk's when one is made from the disk) */
  formats: readonly Pick<OutputFormat, 'type' | 'from' | 'hostTools'>[];
  layout?: Pick<DiskLayout, 'table' | 'filesystems'>;
  /** include what `dib boot` needs (dib doctor does; the build's pre-flight does not) */
  boot?: boolean;
}

/** Every tool needed, merged by command (first package named wins), in a stable order. */
export function collectHostTools(input: CollectInput): NeededTool[] {
  const byCommand = new Map<string, NeededTool>();
  const add = (t: HostTool, by: string, purpose: ToolPurpose) => {
    let e = byCommand.get(t.command);
    if (!e) {
      e = { command: t.command, package: t.package, neededBy: [], why: [], purpose };
      byCommand.set(t.command, e);
    }
    if (purpose === 'build') e.purpose = 'build';
    if (!e.neededBy.includes(by)) {
      e.neededBy.push(by);
      e.why.push(t.why ?? '');
    }
  };
  for (const t of coreHostTools(input.formats, input.layout)) add(t, 'core', 'build');
  for (const el of input.elements) for (const t of elementHostTools(el, input.env)) add(t, `element ${el.name}`, 'build');
  for (const t of requiredHostTools(input.formats)) add(t, t.why, 'build');
  if (input.boot) for (const t of BOOT_TOOLS) add(t, 'dib boot', 'boot');
  return [...byCommand.values()];
}

/** Look each tool up (a path is checked for existence, a command on PATH and the sbin dirs). */
export function checkTools(tools: readonly NeededTool[], pathEnv: string | undefined = process.env.PATH): ToolStatus[] {
  return tools.map((t) => {
    const found = t.command.startsWith('/') ? (existsSync(t.command) ? t.command : undefined) : findTool(t.command, pathEnv);
    return { ...t, ...(found ? { found } : {}) };
  });
}

/** The exact command that installs what is missing, or undefined when nothing is. */
export function aptInstallLine(missing: readonly Pick<NeededTool, 'package'>[]): string | undefined {
  const pkgs = [...new Set(missing.map((t) => t.package))].sort();
  return pkgs.length ? `apt-get install -y ${pkgs.join(' ')}` : undefined;
}
