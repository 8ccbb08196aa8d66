/**
 * The command table: every dib command with its summary, synopsis, description, the settings
 * whose flags it takes (from the settings table) and its own options. `--help` for every
 * command, `dib help CMD`, the global help and shell completion are generated from it, and
 * each command parses its arguments with it. Plain data: `dib --help` loads nothing else.
 */

/** An option that is not a setting (settings bring their flags from config/settings.ts). */
export interface OptionSpec {
  /** long name without dashes */
  long: string;
  /** one letter */
  short?: string;
  /** the value's name in help (`PATH`); absent for a switch */
  value?: string;
  /** may be given more than once (values collected; a switch counts) */
  repeat?: boolean;
  /** one line */
  doc: string;
  /** what the shell completes for the value */
  complete?: 'file' | 'dir' | readonly string[];
  /** a DIB option dib accepts without effect: what dib says when it is used */
  noop?: string;
  /** a DIB option dib refuses: why, and what to do instead */
  refused?: string;
}

export type CommandRun = (argv: string[]) => Promise<number>;

export interface CommandSpec {
  name: string;
  /** one line for the command list */
  summary: string;
  /** after `dib NAME` in the usage line */
  synopsis: string;
  /** a paragraph for --help */
  description: string;
  /** settings whose flags the command takes: every setting, or these keys */
  settings?: 'all' | readonly string[];
  /** the command's own options (help is added to every command) */
  options: readonly OptionSpec[];
  /** what positional arguments complete to */
  positionals?: 'file' | 'dir' | 'commands' | readonly string[];
  examples?: readonly string[];
  load: () => Promise<CommandRun>;
}

export const CONFIG_OPTION: OptionSpec = {
  long: 'config',
  value: 'PATH',
  doc: 'config file to use (default: dib.config.ts, .dibrc*, package.json#dib in the current directory)',
  complete: 'file',
};
export const CLEAR_ENV_OPTION: OptionSpec = {
  long: 'clear-env',
  short: 'c',
  doc: "ignore the caller's environment: only the config and the command line count, and the build's commands get PATH, HOME and TERM only (DIB's -c)",
};
export const TRACE_OPTION: OptionSpec = { long: 'trace', short: 'x', repeat: true, doc: 'debug log lines (DIB_DEBUG_TRACE); repeat for more' };
const JSON_OPTION = (what: string): OptionSpec => ({ long: 'json', doc: what });
export const HELP_OPTION: OptionSpec = { long: 'help', short: 'h', doc: 'show this help' };

const TMPFS = 'dib never builds in a tmpfs: the tree is built on disk under --work-dir, so there is nothing to turn off or size';
/** DIB options of disk-image-create that dib accepts without effect or refuses, with the reason. */
export const DIB_COMPAT_OPTIONS: readonly OptionSpec[] = [
  { long: 'no-tmpfs', doc: 'accepted, no effect', noop: TMPFS },
  { long: 'min-tmpfs', value: 'GB', doc: 'accepted, no effect', noop: TMPFS },
  {
    long: 'ramdisk-element',
    value: 'ELEMENT',
    doc: 'refused',
    refused: 'dib has no ramdisk-image-create; build the ramdisk elements into an image instead (e.g. -t tar)',
  },
  {
    long: 'docker-target',
    value: 'REPO:TAG',
    doc: 'refused',
    refused: 'dib does not write docker images; build -t tar and run: docker import NAME.tar REPO:TAG',
  },
];

const BUILD_LIKE: readonly OptionSpec[] = [CONFIG_OPTION, CLEAR_ENV_OPTION, TRACE_OPTION];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'build',
    summary: 'build an image from dib.config.ts or DIB-style arguments',
    synopsis: '[options] [ELEMENT…]',
    description:
      "Builds an image. Without element names the config (dib.config.ts, .dibrc*, package.json#dib, or --config PATH) says what to build; options override the config. DIB's disk-image-create options are spelled as DIB spells them.",
    settings: 'all',
    options: [
      ...BUILD_LIKE,
      { long: 'break', value: 'POINTS', doc: 'open a shell at before-PHASE, after-PHASE, after-error (DIB\'s break=)' },
      { long: 'check-reproducible', doc: 'build twice (same output path, separate work dirs) and compare the outputs with dib diff; exit 0 only when identical' },
      { long: 'quiet', short: 'q', doc: 'only the status line, warnings, errors and the result on the terminal' },
      JSON_OPTION('write events as JSON lines on stdout'),
      { long: 'version', short: 'V', doc: "print dib's version (DIB's --version)" },
      ...DIB_COMPAT_OPTIONS,
    ],
    positionals: 'dir',
    examples: ['dib build', 'dib build -o debian -t qcow2,tar vm debian-minimal', 'dib build -o tiny -t raw --mkfs-options "-m 1" busybox-root'],
    load: async () => (await import('./build.js')).buildCommand,
  },
  {
    name: 'plan',
    summary: 'print the ordered taps of every phase, without building',
    synopsis: '[options] [ELEMENT…]',
    description:
      "Prints, per phase in DIB's order, the taps that would run, ordered by stage and name as dib-run-parts orders NN-name scripts, with the element each comes from. Takes the build's settings (they can change which elements and install types are selected).",
    settings: 'all',
    options: [...BUILD_LIKE, JSON_OPTION('print the elements and taps as JSON')],
    positionals: 'dir',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'config',
    summary: 'print the resolved config, where each value came from, and the element closure',
    synopsis: '[options] [ELEMENT…]',
    description:
      'Prints every setting as a build would see it (the config file, the command line and the environment merged, defaults applied) with where each value came from, the build variables, and the expanded element list with each element\'s package, version and directory.',
    settings: 'all',
    options: [...BUILD_LIKE, JSON_OPTION('print it as one JSON object')],
    positionals: 'dir',
    examples: ['dib config', 'dib config --json -a arm64', 'DIB_IMAGE_SIZE=8 dib config'],
    load: async () => (await import('./config.js')).configCommand,
  },
  {
    name: 'element-info',
    summary: "resolve and expand elements (DIB's element-info)",
    synopsis: '[options] NAME…',
    description:
      "Resolves element names as a build would (paths, elementsPath, packages), expands their dependencies with DIB's rules (an operating-system element is required) and prints the names, space-separated, as upstream's element-info does.",
    options: [
      CONFIG_OPTION,
      { long: 'expand-dependencies', short: 'd', doc: 'accepted for compatibility: the dependencies are always expanded' },
      { long: 'env', short: 'e', doc: 'IMAGE_ELEMENT, IMAGE_ELEMENT_YAML and get_image_element_array, for eval' },
    ],
    positionals: 'dir',
    load: async () => (await import('./element-info.js')).elementInfoCommand,
  },
  {
    name: 'packages',
    summary: 'print the squashed package-installs result',
    synopsis: '[options] [ELEMENT…]',
    description: 'Prints what package-installs would install and remove in each phase, for the config or the named elements, without building.',
    settings: 'all',
    options: [...BUILD_LIKE, JSON_OPTION('the very JSON the build writes to /tmp/package-installs.json in the image')],
    positionals: 'dir',
    load: async () => (await import('./packages.js')).packagesCommand,
  },
  {
    name: 'pkg-map',
    summary: "map generic package names for a distro (DIB's pkg-map)",
    synopsis: '[options] NAME…',
    description:
      "Translates generic package names to the distribution's with an element's pkg-map, as DIB's pkg-map does. Exit status 1 on an error, 2 when the map file does not exist, else 0.",
    options: [
      { long: 'element', value: 'ELEMENT', doc: 'use the pkg-map of this element (under --pkg-map-dir)' },
      { long: 'pkg-map', value: 'FILE', doc: 'use this pkg-map file', complete: 'file' },
      { long: 'distro', value: 'DISTRO', doc: 'distribution (default: $DISTRO_NAME)' },
      { long: 'release', value: 'RELEASE', doc: 'release (default: $DIB_RELEASE)' },
      { long: 'missing-ok', doc: 'pass unmapped names through' },
      { long: 'prefix', value: 'PREFIX', doc: 'prefix every mapped name' },
      { long: 'pkg-map-dir', value: 'DIR', doc: 'where --element maps live (default: $DIB_PKG_MAP_DIR or /usr/share/pkg-map)', complete: 'dir' },
      { long: 'debug', doc: 'debug lines on stderr' },
    ],
    load: async () => (await import('./pkg-map.js')).pkgMapCommand,
  },
  {
    name: 'diff',
    summary: 'compare two images, archives or trees; name the first fields and files that differ',
    synopsis: '[options] A B',
    description:
      "Compares two images or trees and names the first fields and files that differ: the container (qcow2, vhd), the partition table (disk identifier, partition GUIDs, types, offsets), each filesystem's superblock (UUID, hash seed, times), then per file presence, type, mode, owner, size, mtime, content, symlink target, xattrs. A and B: qcow2, raw or vhd disk images, ext or FAT filesystem images, tar or tgz archives, squashfs images, or directories (as root, to read every file). Nothing is mounted. Exit status 0 when identical, 1 when they differ, 2 for bad input (a missing file, an unknown format, a damaged image).",
    options: [
      JSON_OPTION('print the result as one JSON object (every difference, full values)'),
      { long: 'max', value: 'N', doc: 'list the first N differences (default 20; 0: all)' },
      { long: 'work-dir', value: 'DIR', doc: 'where qcow2/vhd images are converted to raw (default: the temp dir)', complete: 'dir' },
    ],
    positionals: 'file',
    examples: ['dib diff debian.qcow2 rebuilt/debian.qcow2', 'dib diff --json image.tar image-tree/'],
    load: async () => (await import('./diff.js')).diffCommand,
  },
  {
    name: 'cache',
    summary: 'list the cache entries (phase checkpoints, cached outputs, roots) or prune them',
    synopsis: 'ls|prune [options]',
    description:
      "Lists what the cache dir holds (ls): each phase checkpoint, each build's cached outputs and each bootstrapped root, with its size, its age, when a build last used it and the image it was made for. prune removes entries, all of them or with --older-than those no build used for that long; an entry a running build is using is kept. Every entry is removed under its own lock, so prune can run while builds do.",
    settings: ['cacheDir'],
    options: [
      { long: 'older-than', value: 'AGE', doc: 'prune only entries no build used for AGE: 30d, 12h, 2w (a bare number is days)' },
      { long: 'kind', value: 'KIND', doc: 'only entries of this kind', complete: ['checkpoints', 'outputs', 'roots'] },
      { long: 'dry-run', doc: 'prune: say what would be removed, remove nothing' },
      JSON_OPTION('ls: print the entries as one JSON object'),
      CONFIG_OPTION,
    ],
    positionals: ['ls', 'prune'],
    examples: ['dib cache ls', 'dib cache prune --older-than 30d', 'dib cache prune --kind checkpoints'],
    load: async () => (await import('./cache.js')).cacheCommand,
  },
  {
    name: 'boot',
    summary: 'boot an image in QEMU and wait for the login prompt',
    synopsis: '[options] IMAGE',
    description:
      'Boots a disk image in QEMU (x86_64) and waits for a login prompt on its serial console. The image is never modified (QEMU runs it in snapshot mode). Exit status 0 when the login prompt is reached; 1 on a kernel panic, an emergency shell, a timeout or QEMU exiting.',
    options: [
      { long: 'firmware', value: 'uefi|bios', doc: 'firmware: OVMF (uefi, default) or SeaBIOS (bios)', complete: ['uefi', 'bios'] },
      { long: 'timeout', value: 'S', doc: 'seconds to wait for the login prompt (default 600)' },
      { long: 'memory', value: 'MiB', doc: 'guest memory (default 1024)' },
      { long: 'accel', value: 'auto|kvm|tcg', doc: 'accelerator (default auto: KVM if a probe guest runs, else TCG)', complete: ['auto', 'kvm', 'tcg'] },
      { long: 'no-network', doc: 'no NIC (default: a virtio NIC on an isolated user network with DHCP, no route out)' },
      { long: 'quiet', short: 'q', doc: 'do not print the serial console' },
    ],
    positionals: 'file',
    examples: ['dib boot debian.qcow2 --firmware bios --timeout 300'],
    load: async () => (await import('./boot.js')).bootCommand,
  },
  {
    name: 'doctor',
    summary: 'check the host and the element packages the config needs; print the apt-get and npm lines',
    synopsis: '[options] [ELEMENT…]',
    description:
      'Checks what the current config (or the elements named) needs: which dib runs, every element of the build with the package and version it comes from (and the npm line for those not installed), every host tool and which element or output needs it, root, free disk in the work and cache dirs, KVM (for dib boot) and whether the mirror answers. Prints the exact npm and apt-get lines for what is missing. Exit status 0 when a build can run, 1 when not.',
    settings: ['types', 'offline'],
    options: [
      { long: 'fix', doc: "install the missing element packages (npm i -D, in the config's directory) and run the apt-get line (as root), then check again" },
      CONFIG_OPTION,
      { long: 'quick', doc: 'skip the KVM probe and the mirror check' },
      { long: 'no-kvm', doc: 'skip the KVM probe (it boots a tiny guest: up to 3 s)' },
      JSON_OPTION('print the report as one JSON object'),
    ],
    positionals: 'dir',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'init',
    summary: 'write a commented dib.config.ts (or .dibrc.json/.dibrc.yaml) here',
    synopsis: '[options] [ELEMENT…]',
    description:
      'Writes a config in the current directory (default elements: vm debian-minimal, output image.qcow2): a commented dib.config.ts, or with --format json|yaml a .dibrc.json or .dibrc.yaml that names dib\'s JSON Schema, so editors complete and check it. Refuses to replace an existing one without --force.',
    settings: ['name', 'types'],
    options: [
      { long: 'format', value: 'ts|json|yaml', doc: 'dib.config.ts (default), .dibrc.json or .dibrc.yaml', complete: ['ts', 'json', 'yaml'] },
      { long: 'force', doc: 'replace an existing config file' },
    ],
    positionals: 'dir',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    name: 'add',
    summary: "install an element package and add it to the config's elements",
    synopsis: '[options] ELEMENT…',
    description:
      "Adds elements to the config's `elements` list, keeping the file's layout and comments. ELEMENT is an element name (motd), a package (dib-element-motd, @acme/dib-element-motd, with an optional @version) or a path. A name that no installed package provides is installed first with npm i -D in the config's directory: the first of @dib/element-NAME and dib-element-NAME that the npm registry has.",
    options: [CONFIG_OPTION, { long: 'no-install', doc: 'only edit the config; fail when the element is not installed' }],
    examples: ['dib add motd', 'dib add @acme/dib-element-motd@^1.2.0'],
    load: async () => (await import('./add.js')).addCommand,
  },
  {
    name: 'new-element',
    summary: 'create an element package dib-element-NAME/',
    synopsis: '[options] NAME',
    description:
      "Creates dib-element-NAME/: a publishable npm package dib-element-NAME (or @SCOPE/dib-element-NAME): keyword dib-element, @dib/core as a peer dependency, dib as a dev dependency, src/index.ts holding one tap, a test that runs it on dib's real hooks (@dib/core/testing, node --test), a tsconfig and a README whose steps work as written. Once installed in an image project (npx dib add PACKAGE), `dib build … NAME` picks it up.",
    options: [
      { long: 'scope', value: '@SCOPE', doc: 'publish under an npm scope: @SCOPE/dib-element-NAME (public access)' },
      { long: 'dir', value: 'DIR', doc: 'where to create the package directory (default: the current directory)', complete: 'dir' },
      { long: 'force', doc: 'write into an existing directory' },
    ],
    load: async () => (await import('./new-element.js')).newElementCommand,
  },
  {
    name: 'completion',
    summary: 'print the shell completion script (bash or zsh)',
    synopsis: 'bash|zsh',
    description:
      'Prints a completion script for commands, options and option values. bash: add `source <(dib completion bash)` to ~/.bashrc; zsh: `source <(dib completion zsh)` in ~/.zshrc (after compinit), or save it as _dib on $fpath.',
    options: [],
    positionals: ['bash', 'zsh'],
    load: async () => (await import('./completion.js')).completionCommand,
  },
  {
    name: 'help',
    summary: "show a command's help",
    synopsis: '[COMMAND]',
    description: "Prints the help of COMMAND (the same as 'dib COMMAND --help'), or the list of commands.",
    options: [],
    positionals: 'commands',
    load: async () => (await import('./main.js')).helpCommand,
  },
];

/** Own-name lookup (never the prototype). */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
