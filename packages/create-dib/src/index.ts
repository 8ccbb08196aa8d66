#!/usr/bin/env node
/**
 * `npm create dib [DIR] [-- dib init options]`: a new image project. Writes package.json (when
 * there is none) and .gitignore, installs the `dib` command into the project (npm install -D
 * dib), then lets that dib write dib.config.ts (`dib init`), so the config is the one the
 * installed version documents.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const USAGE = `Usage: npm create dib [DIR] [-- [--force] [-o NAME] [-t TYPES] [elements…]]

Creates an image project in DIR (default: the current directory): package.json with build, plan
and doctor scripts, .gitignore, the dib command as a dev dependency, and dib.config.ts written by
'dib init' (the options after -- go to it; default elements: vm debian-minimal).

Examples:
  npm create dib my-image
  npm create dib my-image -- -t tar busybox-root`;

function fail(message: string, hint: string): never {
  process.stderr.write(`create-dib: error ${message}\n  hint: ${hint}\n`);
  process.exit(message.startsWith('[E_USAGE]') ? 2 : 1);
}

function ownVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The npm that runs us (npm create sets npm_execpath), else the one on PATH. */
function npm(args: string[], opts: SpawnSyncOptions) {
  const execpath = process.env.npm_execpath;
  return execpath && /npm-cli\.[cm]?js$/.test(execpath)
    ? spawnSync(process.execPath, [execpath, ...args], opts)
    : spawnSync('npm', args, opts);
}

function packageName(dir: string): string {
  const base = path.basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '');
  return base || 'dib-image';
}

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const first = argv[0] !== undefined && !argv[0].startsWith('-') && argv[0] !== '--' ? argv[0] : undefined;
  const rest = (first === undefined ? argv : argv.slice(1)).filter((a, i) => !(i === 0 && a === '--'));
  const dir = path.resolve(first ?? '.');
  if (existsSync(dir) && !statSync(dir).isDirectory()) fail(`[E_USAGE] ${dir} is not a directory`, 'name a new or an existing directory');
  mkdirSync(dir, { recursive: true });
  const pj = path.join(dir, 'package.json');
  if (!existsSync(pj)) {
    const pkg = {
      name: packageName(dir),
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { build: 'dib build', plan: 'dib plan', doctor: 'dib doctor' },
    };
    writeFileSync(pj, JSON.stringify(pkg, null, 2) + '\n');
    process.stdout.write(`wrote ${pj}\n`);
  }
  const gitignore = path.join(dir, '.gitignore');
  if (!existsSync(gitignore)) writeFileSync(gitignore, 'node_modules/\n*.qcow2\n*.raw\n*.vhd\n*.tar\n*.tgz\n*.squashfs\n/*.d/\n');

  const [major, minor] = ownVersion().split('.');
  const range = major === '0' ? `^0.${minor}.0` : `^${major}.0.0`;
  process.stdout.write(`installing dib@${range} (npm install -D dib)…\n`);
  const install = npm(['install', '--save-dev', `dib@${range}`, '--no-fund', '--no-audit'], { cwd: dir, stdio: 'inherit' });
  if (install.status !== 0) fail(`npm install -D dib failed in ${dir} (${install.error?.message ?? `exit status ${install.status}`})`, 'check the npm registry (npm config get registry) and the network, then run npm create dib again');

  const dibPkg = path.join(dir, 'node_modules', 'dib', 'package.json');
  const bin = (JSON.parse(readFileSync(dibPkg, 'utf8')) as { bin: Record<string, string> }).bin.dib!;
  const init = spawnSync(process.execPath, [path.join(path.dirname(dibPkg), bin), 'init', ...rest], { cwd: dir, stdio: 'inherit' });
  if (init.status !== 0) return init.status ?? 1;
  const rel = path.relative(process.cwd(), dir);
  process.stdout.write(
    [
      '',
      'done. next:',
      ...(rel ? [`  cd ${rel}`] : []),
      '  npx dib doctor        what this host lacks for the build',
      '  npx dib plan          what will run, phase by phase',
      '  sudo npx dib build    build the image (root: dib chroots and mounts /proc in the tree)',
      '',
    ].join('\n'),
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
