/**
 * `dib pkg-map`: DIB's pkg-map command (docs/dib-behaviour.md#pkg-map) with its flags and exit codes.
 *   0  every name mapped (or passed through with --missing-ok)
 *   1  no or both of --element/--pkg-map, no distro, unparsable map, or an unmapped name
 *   2  the map file does not exist (without --missing-ok)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { effectiveMap, parsePkgMap } from './lib.js';

export interface PkgMapIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface PkgMapMainOptions {
  /** environment for DISTRO_NAME, DIB_RELEASE and DIB_PKG_MAP_DIR (default process.env) */
  env?: Record<string, string | undefined>;
}

/** Where `--element E` maps are read from, unless `--pkg-map-dir` or DIB_PKG_MAP_DIR says otherwise. */
export const DEFAULT_PKG_MAP_DIR = '/usr/share/pkg-map';

const USAGE = `usage: dib pkg-map [--element E | --pkg-map FILE] [--distro D] [--release R]
                    [--missing-ok] [--prefix P] [--pkg-map-dir DIR] [--debug] NAME...
Translate generic package names to distribution package names.
Exits with 1 if an error is encountered, 2 if no pkg-map file is found, otherwise 0.`;

interface Args {
  element: string;
  pkgMap: string;
  distro?: string;
  release?: string;
  missingOk: boolean;
  prefix: string;
  debug: boolean;
  mapDir?: string;
  help: boolean;
  names: string[];
}

const VALUE_FLAGS: Record<string, keyof Args> = {
  '--element': 'element',
  '--pkg-map': 'pkgMap',
  '--distro': 'distro',
  '--release': 'release',
  '--prefix': 'prefix',
  '--pkg-map-dir': 'mapDir',
};

/** Parse like argparse's parse_known_args: unknown arguments become names. */
function parseArgs(argv: readonly string[], env: Record<string, string | undefined>): Args | string {
  const a: Args = {
    element: '',
    pkgMap: '',
    distro: env.DISTRO_NAME,
    release: env.DIB_RELEASE,
    missingOk: false,
    prefix: '',
    debug: false,
    mapDir: env.DIB_PKG_MAP_DIR || undefined,
    help: false,
    names: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      a.names.push(...argv.slice(i + 1));
      break;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[flag];
    if (key) {
      let value: string | undefined;
      if (flag !== arg) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined) return `argument ${flag}: expected one argument`;
      Object.assign(a, { [key]: value });
    } else if (arg === '--missing-ok') a.missingOk = true;
    else if (arg === '--debug') a.debug = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else a.names.push(arg);
  }
  return a;
}

export async function pkgMapMain(argv: string[], io: PkgMapIO, options: PkgMapMainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const args = parseArgs(argv, env);
  const log = (level: string, msg: string) => io.stderr(`${level}:pkg-map:${msg}\n`);
  if (typeof args === 'string') {
    io.stderr(`${USAGE}\ndib pkg-map: error: ${args}\n`);
    return 1;
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const debug = (msg: string) => {
    if (args.debug) log('DEBUG', msg);
  };
  if (!args.element && !args.pkgMap) {
    log('ERROR', 'Please specify an --element argument.');
    return 1;
  }
  if (args.element && args.pkgMap) {
    log('ERROR', 'Specify either --element or --pkg-map');
    return 1;
  }
  if (!args.distro) {
    log('ERROR', 'Please specify a --distro argument or set DISTRO_NAME.');
    return 1;
  }
  const element = args.pkgMap ? `<${args.pkgMap}>` : args.element;
  const mapFile = args.pkgMap || join(args.mapDir ?? DEFAULT_PKG_MAP_DIR, args.element);
  log('INFO', `Mapping for ${element} : ${args.names.join(' ')}`);

  let text: string;
  try {
    text = await readFile(mapFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      log('ERROR', `Unable to read ${mapFile}: ${(e as Error).message}`);
      return 1;
    }
    if (args.missingOk) {
      log('INFO', `No package map for ${element}, done`);
      for (const name of args.names) io.stdout(`${args.prefix}${name}\n`);
      return 0;
    }
    log('ERROR', `Required pkg-map for ${element} element does not exist (${mapFile}).`);
    return 2;
  }
  let nameMap: Map<string, string>;
  try {
    nameMap = effectiveMap(parsePkgMap(text, mapFile), args.distro, args.release);
  } catch (e) {
    log('ERROR', `Unable to parse ${mapFile}: ${(e as Error).message}`);
    return 1;
  }
  for (const name of args.names) {
    const mapped = nameMap.get(name);
    if (mapped) {
      debug(`map ${name} -> ${mapped}`);
      io.stdout(`${args.prefix}${mapped}\n`);
    } else if (nameMap.has(name)) {
      debug(`map ${name} -> <skip>`);
    } else if (args.missingOk) {
      debug(`pass -> ${name}`);
      io.stdout(`${args.prefix}${name}\n`);
    } else {
      log('ERROR', `${element} has no valid mapping for package ${name}`);
      return 1;
    }
  }
  return 0;
}
