/**
 * The identity of the disk: from the parsed block-device config and the root parameters
 * (DIB's params.yaml) to a DiskLayout — partition table, partitions, LVM volumes, filesystems
 * with labels and UUIDs, mount points. It accepts what upstream's block-device layer accepts;
 * what dib cannot make from files (LVM volumes, an MBR type that is not a byte, a UUID mkfs
 * would refuse) is recorded in `diskProblems` and refused when a disk is to be made
 * (`assertDiskBuildable`), so a tar build of such a config still works. Plain data
 * (JSON-serialisable): it is kept in the build state.
 */
import { posix } from 'node:path';
import { configError, describe, parseBlockDeviceConfig, type ConfigNode, type ParsedConfig } from './config.js';
import { randomIds, type IdSource } from './ids.js';
import { gptTypeGuid, mbrTypeByte, GPT_BIOS_BOOT_GUID, GPT_ESP_GUID } from './partition-types.js';
import { MiB, parseAbsoluteSize, parseSizeSpec, type SizeSpec } from './size.js';

export type TableKind = 'mbr' | 'gpt' | 'none';
export type FsType = 'ext2' | 'ext3' | 'ext4' | 'xfs' | 'vfat' | 'swap';

export const SUPPORTED_FS_TYPES: readonly FsType[] = ['ext2', 'ext3', 'ext4', 'xfs', 'vfat', 'swap'];

/** Longest label mkfs accepts, per filesystem type (DIB's limits). */
export const LABEL_LIMITS: Readonly<Record<string, number>> = { ext2: 16, ext3: 16, ext4: 16, xfs: 12, vfat: 11, swap: 16 };

export interface LayoutPartition {
  name: string;
  /** partition number as the kernel numbers it (MBR logicals from 5) */
  number: number;
  size: SizeSpec;
  /** MBR: two hex digits (`83`); GPT: the type GUID */
  type: string;
  /** the type as written in the config, normalised (`0x83`, `EF02`) */
  typeCode: string;
  flags: { boot: boolean; primary: boolean };
  /** MBR logical partition (inside the extended partition) */
  logical: boolean;
  /** GPT BIOS boot partition (EF02) */
  biosBoot: boolean;
  /** EFI system partition (GPT EF00, MBR 0xef) */
  esp: boolean;
  /** entry path in the config, for messages */
  path: string;
  /** GPT: the partition's unique GUID (from the seed); MBR: undefined */
  uuid?: string;
}

export interface FstabEntry {
  options: string;
  dumpFreq: number;
  passno: number;
}

export interface LayoutFilesystem {
  /** mkfs node name (`mkfs_root`) */
  name: string;
  type: FsType;
  label: string;
  /** ext*, swap: RFC 4122 UUID; vfat: volume id `XXXX-XXXX` */
  uuid: string;
  /** extra mkfs options, already split */
  opts: string[];
  /** ext2/3/4: the directory hash seed (`mke2fs -E hash_seed=`), from the seed */
  hashSeed?: string;
  /** where it is mounted; undefined for swap and unmounted filesystems */
  mountPoint?: string;
  /** partition holding it; undefined when it is the whole disk (no partition table) or an LV */
  partition?: string;
  /** LVM logical volume holding it */
  volume?: string;
  fstab?: FstabEntry;
  path: string;
}

/** LVM on the disk (planned; dib cannot build it from files). */
export interface LayoutLvm {
  path: string;
  pvs: { name: string; partition: string; options: string[]; path: string }[];
  vgs: { name: string; pvs: string[]; options: string[]; path: string }[];
  lvs: { name: string; vg: string; size?: SizeSpec; extents?: string; type?: string; thinPool?: string; path: string }[];
}

/** Something the config allows that dib cannot make into a disk image (path-named). */
export interface DiskProblem {
  path: string;
  problem: string;
  hint: string;
}

export interface DiskLayout {
  /** where the config came from */
  source: string;
  /** local_loop name (`image0`) */
  diskName: string;
  table: TableKind;
  /** image size given by local_loop `size`, in bytes */
  imageSize?: number;
  /** partition alignment in bytes (MBR `align`, GPT 1 MiB) */
  align: number;
  sectorSize: 512;
  partitions: LayoutPartition[];
  filesystems: LayoutFilesystem[];
  rootLabel: string;
  rootFsType: FsType;
  rootUuid: string;
  /** label of the filesystem at /boot, or '' */
  bootLabel: string;
  /** mount points, sorted as strings (parents first) */
  mountPoints: string[];
  /** the partition table's id as sfdisk writes it (`label-id`): GPT a GUID, MBR `0x` and 8 hex digits */
  diskId?: string;
  /** LVM physical volumes, volume groups and logical volumes, when the config has them */
  lvm?: LayoutLvm;
  /** what the config allows but dib cannot build into a disk (refused when a disk is made) */
  diskProblems: DiskProblem[];
  /** accepted but ignored parts of the config (unknown keys, …) */
  warnings: string[];
}

export interface LayoutParams {
  /** `--root-label`; default `cloudimg-rootfs` */
  rootLabel?: string;
  /** FS_TYPE */
  fsType: string;
  /** `--mkfs-options` (MKFS_OPTS), split on whitespace */
  mkfsOptions?: string;
  arch: string;
  /** DIB_JOURNAL_SIZE in MiB (default 64) for an ext4 root */
  journalSizeMiB?: number;
  /** MAX_ONLINE_RESIZE: DIB prepends `-E resize=N` to the root's mkfs options */
  maxOnlineResize?: number;
  /**
   * where the identifiers dib chooses come from (UUIDs, volume ids, hash seeds, GUIDs):
   * `seededIds(seed)` for a build; random when absent
   */
  ids?: IdSource;
}

/** DIB's fallback when no element proposes a layout: one filesystem on the whole image. */
export const FALLBACK_BLOCK_DEVICE_CONFIG = [
  {
    local_loop: {
      name: 'image0',
      mkfs: {
        name: 'mkfs_root',
        mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } },
      },
    },
  },
];

/**
 * Decide the disk's identity from DIB's block-device config (undefined: DIB's fallback,
 * a plain filesystem image).
 * `config` is the config value (list of single-key maps); `source` names it in errors
 * (a file name, or `config key blockDevice`).
 */
export function planLayout(config: unknown, source: string, params: LayoutParams): DiskLayout {
  const parsed = parseBlockDeviceConfig(config ?? FALLBACK_BLOCK_DEVICE_CONFIG, source);
  return layoutFromParsed(parsed, params);
}

export function layoutFromParsed(parsed: ParsedConfig, params: LayoutParams): DiskLayout {
  const { source } = parsed;
  const ids = params.ids ?? randomIds();
  const warnings = [...parsed.warnings];
  const err = (path: string, problem: string, hint: string) => configError(source, path, problem, hint);

  // Names are unique across nodes and partitions.
  const seen = new Map<string, string>();
  const claim = (name: string, path: string) => {
    const prev = seen.get(name);
    if (prev !== undefined) throw err(`${path}.name`, `name '${name}' is already used by ${prev}`, 'give every entry and partition its own name');
    seen.set(name, path);
  };
  for (const n of parsed.nodes) if (n.plugin !== 'partitioning') claim(n.name, n.path);
  for (const p of parsed.partitions) claim(p.name, p.path);
  const byPlugin = (plugin: ConfigNode['plugin']) => parsed.nodes.filter((n) => n.plugin === plugin);

  // The disk.
  const loops = byPlugin('local_loop');
  if (loops.length > 1) throw err(loops[1]!.path, 'more than one local_loop: dib builds one disk image', 'keep a single local_loop entry');
  const loop = loops[0];
  const diskName = loop?.name ?? 'image0';
  let imageSize: number | undefined;
  if (loop) {
    if (loop.params.size !== undefined) {
      const r = parseAbsoluteSize(loop.params.size);
      if ('error' in r) throw err(`${loop.path}.size`, r.error, "write the size as e.g. '4GiB'");
      imageSize = r.bytes;
    }
    const bs = loop.params.block_size;
    if (bs !== undefined && Number(bs) !== 512) {
      throw err(`${loop.path}.block_size`, `block size ${describe(bs)} is not supported (dib writes 512-byte sectors)`, 'remove block_size (and DIB_BLOCK_SIZE)');
    }
  }

  const diskProblems: DiskProblem[] = [];
  // The partition table.
  const tables = byPlugin('partitioning');
  if (tables.length > 1) throw err(tables[1]!.path, 'more than one partitioning entry: dib builds one disk', 'keep a single partitioning entry');
  const tableNode = tables[0];
  let table: TableKind = 'none';
  let align = MiB;
  const partitions: LayoutPartition[] = [];
  if (tableNode) {
    if (tableNode.base !== diskName) {
      throw err(`${tableNode.path}.base`, `base '${tableNode.base}' is not the disk (local_loop '${diskName}')`, `set base: ${diskName}`);
    }
    const label = tableNode.params.label;
    if (label === undefined) throw err(`${tableNode.path}.label`, 'partitioning needs a label (mbr or gpt)', 'add label: mbr or label: gpt');
    if (label !== 'mbr' && label !== 'gpt') throw err(`${tableNode.path}.label`, `label ${describe(label)} is not mbr or gpt`, 'use label: mbr or label: gpt');
    table = label;
    if (tableNode.params.align !== undefined) {
      const r = parseAbsoluteSize(tableNode.params.align);
      if ('error' in r) throw err(`${tableNode.path}.align`, r.error, "write the alignment as e.g. '1MiB'");
      if (r.bytes < 512 || r.bytes % 512 !== 0) throw err(`${tableNode.path}.align`, `alignment ${r.bytes} bytes is not a positive multiple of 512`, "use e.g. align: '1MiB'");
      if (table === 'mbr') align = r.bytes;
    }
    let primaries = 0;
    let logicals = 0;
    for (const p of parsed.partitions) {
      // names are free-form (upstream's gpt_efi test names one 'Root Part'); a GPT entry holds
      // 36 UTF-16 characters and sfdisk cannot write a quote or a control character in one
      if (table === 'gpt' && (p.name.length > 36 || /["\\\x00-\x1f]/.test(p.name))) {
        diskProblems.push({ path: `${p.path}.name`, problem: `GPT partition name '${p.name}' is longer than 36 characters or holds a quote, backslash or control character`, hint: 'shorten the name or drop the character' });
      }
      const size = p.params.size;
      if (size === undefined) throw err(`${p.path}.size`, `partition '${p.name}' needs a size`, "add size: '100%' or e.g. size: '8MiB'");
      const spec = parseSizeSpec(size);
      if ('error' in spec) throw err(`${p.path}.size`, spec.error, "write the size as e.g. '550MiB' or '100%'");
      if (spec.kind === 'bytes' && spec.bytes < 512) throw err(`${p.path}.size`, `partition '${p.name}' size ${spec.bytes} bytes is smaller than one sector`, "give a size such as '8MiB'");
      const flagsRaw = p.params.flags ?? [];
      if (!Array.isArray(flagsRaw)) throw err(`${p.path}.flags`, `flags must be a list, not ${describe(flagsRaw)}`, 'write flags: [boot, primary]');
      const flags = { boot: false, primary: false };
      flagsRaw.forEach((f: unknown, i: number) => {
        if (f === 'boot') flags.boot = true;
        else if (f === 'primary') {
          if (table === 'gpt') throw err(`${p.path}.flags[${i}]`, "flag 'primary' is only meaningful on mbr", "remove 'primary' from the flags of GPT partitions");
          flags.primary = true;
        } else throw err(`${p.path}.flags[${i}]`, `unknown partition flag ${describe(f)}`, "use 'boot' and/or 'primary'");
      });
      let type: string;
      let typeCode: string;
      let biosBoot = false;
      let esp = false;
      if (table === 'gpt') {
        const r = gptTypeGuid(p.params.type ?? '8300');
        if ('error' in r) throw err(`${p.path}.type`, r.error, "use e.g. type: 'EF00' (ESP), 'EF02' (BIOS boot), '8300' (Linux), '8200' (swap)");
        type = r.guid;
        typeCode = r.code;
        biosBoot = r.guid === GPT_BIOS_BOOT_GUID;
        esp = r.guid === GPT_ESP_GUID;
      } else {
        const r = mbrTypeByte(p.params.type ?? '0x83');
        if ('error' in r) {
          // upstream reads the type as hex (int(type, 16)) and only fails writing a value that
          // is not a byte: accepted here, refused when the disk is made
          const wide = typeof p.params.type === 'string' && /^\s*(0x)?[0-9a-f]+\s*$/i.test(p.params.type) ? parseInt(p.params.type.trim().replace(/^0x/i, ''), 16) : undefined;
          if (wide === undefined || wide <= 0xff) throw err(`${p.path}.type`, r.error, "use e.g. type: '0x83' (Linux), '0x82' (swap), '0xef' (EFI)");
          diskProblems.push({ path: `${p.path}.type`, problem: `MBR partition type 0x${wide.toString(16)} does not fit the one-byte type of an MBR entry`, hint: "use a one-byte type such as '0xef' (EFI system) or '0x83' (Linux)" });
          type = '83';
          typeCode = `0x${wide.toString(16)}`;
        } else {
          type = r.hex;
          typeCode = `0x${r.hex}`;
          esp = r.hex === 'ef';
        }
      }
      let logical = false;
      let number: number;
      if (table === 'gpt') number = partitions.length + 1;
      else if (flags.primary) {
        if (logicals > 0) throw err(`${p.path}.flags`, `primary partition '${p.name}' follows a logical one`, 'list the primary partitions first, then the logical ones');
        primaries += 1;
        number = primaries;
      } else {
        logical = true;
        logicals += 1;
        number = 4 + logicals;
      }
      if (table === 'mbr' && primaries + (logicals > 0 ? 1 : 0) > 4) {
        throw err(p.path, `too many primary partitions: an MBR holds 4 (3 when logical partitions need the extended one)`, "drop the 'primary' flag from some partitions to make them logical");
      }
      partitions.push({ name: p.name, number, size: spec, type, typeCode, flags, logical, biosBoot, esp, path: p.path, ...(table === 'gpt' ? { uuid: ids.uuid(`partition:${p.name}`) } : {}) });
    }
    if (table === 'gpt' && partitions.length > 128) throw err(`${tableNode.path}.partitions`, 'GPT holds at most 128 partitions', 'use fewer partitions');
  }
  const partitionNames = new Set(partitions.map((p) => p.name));
  const usedTargets = new Map<string, string>();

  // LVM: physical volumes on partitions, volume groups over them, logical volumes in those.
  const lvmNodes = byPlugin('lvm');
  if (lvmNodes.length > 1) throw err(lvmNodes[1]!.path, 'more than one lvm entry', 'put every pv, vg and lv in one lvm entry, as DIB requires');
  let lvm: LayoutLvm | undefined;
  const lvNames = new Set<string>();
  const lvmNode = lvmNodes[0];
  if (lvmNode) {
    const list = (k: 'pvs' | 'vgs' | 'lvs') => {
      const v = lvmNode.params[k];
      if (!Array.isArray(v) || v.length === 0) throw err(`${lvmNode.path}.${k}`, `lvm needs a non-empty list of ${k}`, `add ${k}: [{ name: …, base: … }]`);
      return v.map((x, i) => {
        const path = `${lvmNode.path}.${k}[${i}]`;
        if (typeof x !== 'object' || x === null || Array.isArray(x)) throw err(path, `must be a map, not ${describe(x)}`, 'give it name and base');
        const e = x as Record<string, unknown>;
        if (typeof e.name !== 'string' || e.name === '') throw err(`${path}.name`, `${k.slice(0, -1)} needs a name`, "add name: '…'");
        claim(e.name, path);
        return { e, path };
      });
    };
    const opts = (e: Record<string, unknown>, path: string) => {
      if (e.options === undefined) return [];
      if (!Array.isArray(e.options) || !e.options.every((o) => typeof o === 'string')) throw err(`${path}.options`, `options must be a list of strings, not ${describe(e.options)}`, "write options: ['--force']");
      return [...(e.options as string[])];
    };
    const pvs = list('pvs').map(({ e, path }) => {
      if (typeof e.base !== 'string' || !partitionNames.has(e.base)) throw err(`${path}.base`, `base:${String(e.base)} in pvs does not match a partition`, `use one of: ${[...partitionNames].join(', ')}`);
      const prev = usedTargets.get(e.base);
      if (prev) throw err(`${path}.base`, `'${e.base}' already holds '${prev}'`, 'give each physical volume its own partition');
      usedTargets.set(e.base, e.name as string);
      return { name: e.name as string, partition: e.base, options: opts(e, path), path };
    });
    const pvNames = new Set(pvs.map((x) => x.name));
    const vgs = list('vgs').map(({ e, path }) => {
      const bases = Array.isArray(e.base) ? e.base : [e.base];
      for (const b of bases) if (typeof b !== 'string' || !pvNames.has(b)) throw err(`${path}.base`, `base:${String(b)} in vgs does not match a valid pvs`, `use the names of pvs: ${[...pvNames].join(', ')}`);
      return { name: e.name as string, pvs: bases as string[], options: opts(e, path), path };
    });
    const vgNames = new Set(vgs.map((x) => x.name));
    const lvs = list('lvs').map(({ e, path }) => {
      if (typeof e.base !== 'string' || !vgNames.has(e.base)) throw err(`${path}.base`, `base:${JSON.stringify(e.base)} in lvs does not match a valid vg`, `use the name of a vg: ${[...vgNames].join(', ')}`);
      if (e.size === undefined && e.extents === undefined) throw err(path, "Missing 'size' or 'extents' in lvs config", "add size: '1800M' or extents: '28%VG'");
      const lv: LayoutLvm['lvs'][number] = { name: e.name as string, vg: e.base, path };
      if (e.size !== undefined) {
        const r = parseAbsoluteSize(e.size);
        if ('error' in r) throw err(`${path}.size`, r.error, "write the size as e.g. '1800M'");
        lv.size = { kind: 'bytes', bytes: r.bytes };
      }
      if (e.extents !== undefined) lv.extents = String(e.extents);
      if (e.type !== undefined) lv.type = String(e.type);
      if (e['thin-pool'] !== undefined) lv.thinPool = String(e['thin-pool']);
      lvNames.add(lv.name);
      return lv;
    });
    lvm = { path: lvmNode.path, pvs, vgs, lvs };
    diskProblems.push({
      path: lvmNode.path,
      problem: 'dib cannot build LVM volumes into a disk image (it makes disks from files, without device-mapper)',
      hint: 'build a tree output (-t tar or squashfs) from this config, or put each filesystem on its own partition',
    });
  }

  // Filesystems.
  const filesystems: LayoutFilesystem[] = [];
  const fsByNode = new Map<string, LayoutFilesystem>();
  const labels = new Map<string, string>();
  for (const n of byPlugin('mkfs')) {
    const isRoot = n.name === 'mkfs_root';
    const typeRaw = n.params.type ?? (isRoot ? params.fsType : undefined);
    if (typeRaw === undefined) throw err(`${n.path}.type`, `filesystem '${n.name}' needs a type`, 'add type: ext4 (or vfat, swap, ext3, ext2)');
    if (typeof typeRaw !== 'string') throw err(`${n.path}.type`, `type must be a string, not ${describe(typeRaw)}`, 'write type: ext4');
    if (!(SUPPORTED_FS_TYPES as readonly string[]).includes(typeRaw)) {
      throw err(
        `${n.path}.type`,
        `filesystem type '${typeRaw}' is not supported (dib builds ${SUPPORTED_FS_TYPES.join(', ')} from a directory)`,
        'use ext4, xfs, vfat or swap',
      );
    }
    const type = typeRaw as FsType;
    // label
    let label: string;
    const labelRaw = n.params.label;
    if (labelRaw !== undefined && labelRaw !== null && typeof labelRaw !== 'string') throw err(`${n.path}.label`, `label must be a string, not ${describe(labelRaw)}`, "write label: 'mylabel'");
    if (typeof labelRaw === 'string') label = labelRaw;
    else if (isRoot) label = params.rootLabel && params.rootLabel !== '' ? params.rootLabel : type === 'xfs' ? 'img-rootfs' : 'cloudimg-rootfs';
    else label = n.name;
    if (type === 'vfat') label = label.toUpperCase();
    const limit = LABEL_LIMITS[type] ?? 16;
    const labelPath = typeof labelRaw === 'string' ? `${n.path}.label` : n.path;
    if (label.length === 0) throw err(labelPath, `filesystem '${n.name}' has an empty label`, 'give it a label');
    if (label.length > limit) {
      throw err(labelPath, `label '${label}' is too long for ${type}: ${label.length} > ${limit} characters`, typeof labelRaw === 'string' || !isRoot ? `set a label of at most ${limit} characters (label: …)` : `set a root label of at most ${limit} characters (rootLabel / --root-label)`);
    }
    // blanks are fine (upstream's gpt_efi test names a partition 'Root Part', and its mkfs label
    // follows); fstab gets them escaped. Control characters cannot be written anywhere.
    if (/[\x00-\x1f\x7f]/.test(label)) throw err(labelPath, `label '${label}' contains a control character`, 'use printable characters in labels');
    const prevLabel = labels.get(label);
    if (prevLabel) throw err(labelPath, `label '${label}' is already used by filesystem '${prevLabel}'`, 'give every filesystem a unique label');
    labels.set(label, n.name);
    // edges after the node's own checks, as upstream builds nodes before it connects them
    const base = n.base!;
    let partition: string | undefined;
    let volume: string | undefined;
    if (partitionNames.has(base)) partition = base;
    else if (lvNames.has(base)) volume = base;
    else if (base === diskName) {
      if (table !== 'none') throw err(`${n.path}.base`, `filesystem '${n.name}' is on the whole disk '${diskName}', which is partitioned`, 'put the filesystem on a partition (base: <partition name>)');
    } else {
      throw err(`${n.path}.base`, `base '${base}' is not a partition, a logical volume or the disk`, `use one of: ${[...partitionNames, ...lvNames, ...(table === 'none' ? [diskName] : [])].join(', ')}`);
    }
    const prev = usedTargets.get(base);
    if (prev) throw err(`${n.path}.base`, `'${base}' already holds filesystem '${prev}'`, 'give each filesystem its own partition');
    usedTargets.set(base, n.name);
    // uuid: any string, as upstream's config takes it; a value the filesystem's mkfs refuses
    // is a problem only when the disk is made (vfat has no UUID: DIB ignores it there)
    let uuid: string;
    if (n.params.uuid !== undefined && n.params.uuid !== null) {
      const u = n.params.uuid;
      if (typeof u !== 'string' && typeof u !== 'number') throw err(`${n.path}.uuid`, `uuid must be a string, not ${describe(u)}`, "write uuid: '…'");
      const given = String(u);
      if (type === 'vfat') {
        const m = /^([0-9a-f]{4})-?([0-9a-f]{4})$/i.exec(given);
        uuid = m ? `${m[1]}-${m[2]}`.toUpperCase() : ids.volumeId(`filesystem:${n.name}`);
        if (!m) warnings.push(`${source}: ${n.path}.uuid: '${given}' is not a vfat volume id (XXXX-XXXX); dib chooses one (from the seed), as DIB passes no uuid to mkfs.vfat`);
      } else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(given)) {
        uuid = given.toLowerCase();
      } else {
        uuid = given;
        diskProblems.push({ path: `${n.path}.uuid`, problem: `'${given}' is not a UUID, which mkfs needs to make the ${type} filesystem '${n.name}'`, hint: 'write a UUID such as 0b6c4a3e-9d6f-4c55-8a43-2f1ad9f0d1e2, or drop uuid for a random one' });
      }
    } else uuid = type === 'vfat' ? ids.volumeId(`filesystem:${n.name}`) : ids.uuid(`filesystem:${n.name}`);
    // opts
    let opts: string[];
    const optsRaw = n.params.opts;
    if (optsRaw !== undefined && optsRaw !== null) {
      if (typeof optsRaw === 'string') opts = splitOpts(optsRaw);
      else if (Array.isArray(optsRaw) && optsRaw.every((o) => typeof o === 'string')) opts = [...(optsRaw as string[])];
      else throw err(`${n.path}.opts`, `opts must be a string, not ${describe(optsRaw)}`, "write opts: '-O ^has_journal'");
    } else if (isRoot) {
      // DIB: MKFS_OPTS="-E resize=N -i 4096 -J size=<journal> <--mkfs-options>" for an ext4 root
      opts = params.maxOnlineResize ? ['-E', `resize=${params.maxOnlineResize}`] : [];
      if (type === 'ext4') opts.push('-i', '4096', '-J', `size=${params.journalSizeMiB ?? 64}`);
      opts.push(...splitOpts(params.mkfsOptions ?? ''));
    } else opts = [];
    const fs: LayoutFilesystem = { name: n.name, type, label, uuid, opts, path: n.path };
    if (/^ext[234]$/.test(type)) fs.hashSeed = ids.uuid(`hash-seed:${n.name}`);
    if (partition !== undefined) fs.partition = partition;
    if (volume !== undefined) fs.volume = volume;
    filesystems.push(fs);
    fsByNode.set(n.name, fs);
  }
  if (table === 'none' && filesystems.length === 0) {
    throw err(loop?.path ?? 'blockDevice', 'no filesystem is defined', 'add an mkfs entry (e.g. the fallback local_loop → mkfs_root → mount /)');
  }
  for (const p of partitions) {
    if (p.biosBoot && usedTargets.has(p.name)) throw err(p.path, `BIOS boot partition '${p.name}' cannot hold a filesystem`, 'remove the mkfs entry from the EF02 partition');
  }

  // Mounts.
  const mountByNode = new Map<string, LayoutFilesystem>();
  const mounted = new Set<string>();
  const points = new Map<string, string>();
  for (const n of byPlugin('mount')) {
    const fs = fsByNode.get(n.base!);
    if (!fs) throw err(`${n.path}.base`, `base '${n.base}' is not a filesystem (mkfs) entry`, 'nest mount inside mkfs, or set base to the mkfs name');
    if (mounted.has(fs.name)) throw err(n.path, `filesystem '${fs.name}' is mounted twice`, 'give each filesystem one mount entry');
    mounted.add(fs.name);
    mountByNode.set(n.name, fs);
    if (fs.type === 'swap') continue; // swap gets mount point none, never mounted
    const mp = n.params.mount_point;
    if (mp === undefined) throw err(`${n.path}.mount_point`, 'mount needs a mount_point', 'add mount_point: /');
    if (typeof mp !== 'string' || !mp.startsWith('/')) throw err(`${n.path}.mount_point`, `mount point ${describe(mp)} is not an absolute path`, 'write an absolute path such as /boot/efi');
    const norm = posix.normalize(mp).replace(/(.)\/+$/, '$1');
    if (norm !== mp.replace(/(.)\/+$/, '$1') || mp.includes('..') || /\s/.test(mp)) throw err(`${n.path}.mount_point`, `mount point '${mp}' is not a plain path`, 'write it without //, . or .. and without blanks');
    const prev = points.get(norm);
    if (prev) throw err(`${n.path}.mount_point`, `mount point '${norm}' is already used by '${prev}'`, 'mount each filesystem at its own point');
    points.set(norm, fs.name);
    fs.mountPoint = norm;
  }
  // fstab.
  const fstabDone = new Set<string>();
  for (const n of byPlugin('fstab')) {
    const fs = mountByNode.get(n.base!);
    if (!fs) throw err(`${n.path}.base`, `base '${n.base}' is not a mount entry`, 'nest fstab inside mount, or set base to the mount name');
    if (fstabDone.has(fs.name)) throw err(n.path, `filesystem '${fs.name}' has two fstab entries`, 'keep one fstab entry per mount');
    fstabDone.add(fs.name);
    const options = n.params.options ?? 'defaults';
    if (typeof options !== 'string' || options.trim() === '' || /\s/.test(options.trim())) throw err(`${n.path}.options`, `options ${describe(options)} must be one comma-separated word`, "write options: 'defaults,noatime'");
    const intOf = (k: 'dump-freq' | 'fsck-passno', dflt: number) => {
      const v = n.params[k] ?? dflt;
      const num = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof num !== 'number' || !Number.isInteger(num) || num < 0) throw err(`${n.path}.${k}`, `${k} must be a non-negative integer, not ${describe(v)}`, `write ${k}: ${dflt}`);
      return num;
    };
    const entry: FstabEntry = { options: options.trim(), dumpFreq: intOf('dump-freq', 0), passno: intOf('fsck-passno', 2) };
    fs.fstab = fs.type === 'swap' ? { options: 'sw', dumpFreq: 0, passno: 0 } : entry;
  }

  const root = filesystems.find((f) => f.mountPoint === '/');
  if (!root) throw err(tableNode?.path ?? loop?.path ?? 'blockDevice', 'no filesystem is mounted at /', 'add a mount with mount_point: / to the root filesystem');
  if (root.type === 'swap' || root.type === 'vfat') throw err(root.path, `the root filesystem cannot be ${root.type}`, 'make the root filesystem ext4');
  const boot = filesystems.find((f) => f.mountPoint === '/boot');
  const mountPoints = filesystems
    .map((f) => f.mountPoint)
    .filter((m): m is string => m !== undefined)
    .sort();

  const layout: DiskLayout = {
    source,
    diskName,
    table,
    align,
    sectorSize: 512,
    partitions,
    filesystems,
    rootLabel: root.label,
    rootFsType: root.type,
    rootUuid: root.uuid,
    bootLabel: boot?.label ?? '',
    mountPoints,
    diskProblems,
    warnings,
  };
  if (imageSize !== undefined) layout.imageSize = imageSize;
  if (table === 'gpt') layout.diskId = ids.uuid(`disk:${diskName}`);
  else if (table === 'mbr') layout.diskId = `0x${ids.u32(`disk:${diskName}`).toString(16).padStart(8, '0')}`;
  if (lvm) layout.lvm = lvm;
  return layout;
}

function splitOpts(s: string): string[] {
  return s.split(/\s+/).filter((x) => x !== '');
}

/** fstab(5)'s octal escapes for blanks and backslashes in a field. */
export function fstabEscape(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** DIB's exported layout variables (DIB_ROOT_LABEL, DIB_ROOT_FSTYPE, DIB_BOOT_LABEL, DIB_MOUNTPOINTS). */
export function layoutEnv(layout: DiskLayout): Record<string, string> {
  return {
    DIB_ROOT_LABEL: layout.rootLabel,
    DIB_ROOT_FSTYPE: layout.rootFsType,
    DIB_BOOT_LABEL: layout.bootLabel,
    DIB_MOUNTPOINTS: layout.mountPoints.join('|'),
  };
}


/**
 * DIB's writefstab: one line per mounted filesystem with an fstab entry, in mount order
 * (`LABEL=<label> <point> <fstype> <options> <dump> <passno>`; swap `none swap sw 0 0`).
 */
export function fstab(layout: DiskLayout): string {
  const lines: string[] = [];
  const mounted = layout.filesystems.filter((f) => f.fstab && f.mountPoint !== undefined).sort((a, b) => (a.mountPoint! < b.mountPoint! ? -1 : a.mountPoint! > b.mountPoint! ? 1 : 0));
  for (const f of mounted) lines.push(`LABEL=${fstabEscape(f.label)} ${f.mountPoint} ${f.type} ${f.fstab!.options} ${f.fstab!.dumpFreq} ${f.fstab!.passno}`);
  for (const f of layout.filesystems) if (f.type === 'swap' && f.fstab) lines.push(`LABEL=${fstabEscape(f.label)} none swap sw 0 0`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
