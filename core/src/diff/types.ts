/**
 * What `dib diff` compares: every input (a disk image, a filesystem image, an archive or a
 * directory) is read into a Snapshot — ordered sections of named fields (the partition table,
 * a filesystem's superblock, an archive header) and, where a section holds files, their tree.
 * Two snapshots are then compared section by section, field by field, file by file.
 */

/** The formats `dib diff` reads. */
export type InputFormat = 'directory' | 'tar' | 'tgz' | 'squashfs' | 'qcow2' | 'vhd' | 'raw-disk' | 'ext' | 'vfat';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** One path of a tree, with what each format can record about it. */
export interface TreeEntry {
  type: EntryType;
  /** permission bits, with setuid, setgid and sticky (07777) */
  mode: number;
  uid: number;
  gid: number;
  /** bytes of content (files), of the target (symlinks); 0 otherwise */
  size: number;
  /** modification time: whole seconds and nanoseconds */
  mtime: { sec: number; nsec: number };
  /** sha256 of the content (files) */
  sha256?: string;
  /** the link target (symlinks) */
  target?: string;
  /** `major,minor` (character and block devices) */
  rdev?: string;
  /** extended attributes, name → value as hex */
  xattrs?: Record<string, string>;
  /** for the second and later names of a hard-linked file: the first name (sorted) */
  hardlink?: string;
}

/** What a tree's format records: fields it cannot hold are not compared. */
export interface TreeCapabilities {
  owners: boolean;
  modes: boolean;
  xattrs: boolean;
  /** resolution of mtimes, in nanoseconds (1 for ext4 and pax, 1e9 for squashfs, 2e9 for FAT) */
  mtimeResolution: number;
}

export interface Tree {
  /** absolute paths (`/`, `/etc/hostname`) → entry */
  entries: Map<string, TreeEntry>;
  can: TreeCapabilities;
}

/** A field of a section: a name as the tool that reads it spells it, and its value as text. */
export type Field = readonly [name: string, value: string];

export interface Section {
  /** matches the same section of the other input (`partition table`, `partition 2`, `files`) */
  key: string;
  /** as shown to people: `partition 2 (root) ext4` */
  title: string;
  fields: Field[];
  tree?: Tree;
  /** the filesystem a partition holds (`ext4`, `vfat`, `swap`), when one was recognised */
  fs?: string;
}

/** Where a byte offset of an input's contents lies, for the last resort "bytes differ at". */
export type Locator = (offset: number) => string | undefined;

export interface Snapshot {
  path: string;
  format: InputFormat;
  /** one line: `raw disk image, gpt, 3 partitions` */
  summary: string;
  sections: Section[];
  /** sha256 of the file itself (not for directories) */
  sha256?: string;
  /**
   * The byte stream two inputs are compared on when no field tells them apart: the file,
   * or for qcow2/vhd the raw disk it holds, or for tgz the tar inside.
   */
  bytes?: { file: string; gunzip?: boolean; label: string; locate?: Locator };
}

export interface Difference {
  /** the section's title (`partition table`, `partition 1 ext4`, `archive`) */
  where: string;
  /** the file, for per-file differences (or the byte offset, for a difference no field explains) */
  path?: string;
  field: string;
  a?: string;
  b?: string;
}

export interface DiffResult {
  identical: boolean;
  a: { path: string; format: InputFormat; summary: string; sha256?: string };
  b: { path: string; format: InputFormat; summary: string; sha256?: string };
  differences: Difference[];
}
