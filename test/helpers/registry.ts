/**
 * A real npm registry for tests: verdaccio on 127.0.0.1 with its storage in a temp dir, started
 * and stopped by the test. dib's own names (@dib/*, dib, create-dib, dib-element-*,
 * @scope/dib-element-*) are served only from what the test publishes, never proxied (a real
 * `dib` may exist upstream); everything else is proxied to the npm registry. Also: a clean copy
 * of the repository (no dist/, no build info) to pack from, as a fresh clone would be.
 */
import { execa, type Options } from 'execa';
import fs from 'fs-extra';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './cli.js';

export interface Registry {
  url: string;
  /** environment for npm (and dib) run as a user of this registry */
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): Promise<void>;
}

/** The environment without npm's own variables (a `npm test` parent sets npm_config_*). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const LOCAL_ONLY = ['@dib/*', 'dib', 'create-dib', 'dib-element-*', '@*/dib-element-*'];

function verdaccioConfig(storage: string): string {
  const local = LOCAL_ONLY.map((p) => `  '${p}':\n    access: $all\n    publish: $authenticated\n`).join('');
  return [
    `storage: ${storage}`,
    'auth:',
    '  htpasswd:',
    `    file: ${path.join(storage, 'htpasswd')}`,
    '    max_users: 10',
    'uplinks:',
    '  npmjs:',
    '    url: https://registry.npmjs.org/',
    '    timeout: 60s',
    'packages:',
    local.trimEnd(),
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    proxy: npmjs',
    'max_body_size: 200mb',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n');
}

async function waitFor(url: string, child: ChildProcess, log: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`${url}/-/ping`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`verdaccio did not answer on ${url} within ${ms / 1000} s:\n${log()}`);
}

/** Start verdaccio, add a user, and return an npm environment logged in to it. */
export async function startRegistry(): Promise<Registry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dib-registry-'));
  const storage = path.join(dir, 'storage');
  await fs.ensureDir(storage);
  await fs.writeFile(path.join(dir, 'config.yaml'), verdaccioConfig(storage));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bin = path.join(REPO, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  let out = '';
  const child = spawn(process.execPath, [bin, '--config', path.join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      kill();
    }
    await fs.remove(dir).catch(() => undefined);
  };
  try {
    await waitFor(url, child, () => out);
    const user = await fetch(`${url}/-/user/org.couchdb.user:dib-test`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dib-test', password: `pw-${process.pid}-${port}`, email: 'dib-test@127.0.0.1' }),
    });
    const { token } = (await user.json()) as { token?: string };
    if (!token) throw new Error(`verdaccio gave no token (${user.status})`);
    const npmrc = path.join(dir, 'npmrc');
    await fs.writeFile(npmrc, [`registry=${url}/`, `//127.0.0.1:${port}/:_authToken=${token}`, 'fund=false', 'audit=false', 'update-notifier=false', ''].join('\n'));
    const env = cleanEnv({ npm_config_userconfig: npmrc, npm_config_registry: `${url}/` });
    return { url, env, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Run a command as a user would; never throws on a non-zero exit. */
export async function run(file: string, args: string[], opts: Options & { env: NodeJS.ProcessEnv }) {
  const r = await execa(file, args, { reject: false, all: true, timeout: 10 * 60 * 1000, extendEnv: false, ...opts });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? '') };
}

/**
 * The repository as a fresh clone has it (tracked and unignored files, no dist/ or build
 * info), with node_modules made of links: third-party packages to this checkout's, the
 * workspace packages to the copy's own folders.
 */
export async function cleanCopy(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dib-clean-'));
  const files = (await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO })).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    const src = path.join(REPO, f);
    if (!(await fs.pathExists(src))) continue; // deleted in the work tree
    await fs.copy(src, path.join(dir, f), { dereference: false });
  }
  const nm = path.join(dir, 'node_modules');
  await fs.ensureDir(nm);
  const root = (await fs.readJson(path.join(REPO, 'package.json'))) as { workspaces: string[] };
  const workspaces = new Map<string, string>();
  for (const w of root.workspaces) {
    const dirs = w.endsWith('/*') ? (await fs.readdir(path.join(dir, w.slice(0, -2)))).map((d) => path.join(w.slice(0, -2), d)) : [w];
    for (const d of dirs) {
      const pj = path.join(dir, d, 'package.json');
      if (await fs.pathExists(pj)) workspaces.set(((await fs.readJson(pj)) as { name: string }).name, path.join(dir, d));
    }
  }
  for (const entry of await fs.readdir(path.join(REPO, 'node_modules'))) {
    if (entry === '.bin' || entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      const scoped = [...workspaces.keys()].filter((n) => n.startsWith(`${entry}/`));
      if (!scoped.length) {
        await fs.symlink(path.join(REPO, 'node_modules', entry), path.join(nm, entry));
        continue;
      }
      await fs.ensureDir(path.join(nm, entry));
      for (const sub of await fs.readdir(path.join(REPO, 'node_modules', entry))) {
        const name = `${entry}/${sub}`;
        await fs.symlink(workspaces.get(name) ?? path.join(REPO, 'node_modules', name), path.join(nm, name));
      }
    } else {
      await fs.symlink(workspaces.get(entry) ?? path.join(REPO, 'node_modules', entry), path.join(nm, entry));
    }
  }
  return dir;
}

export interface Packed {
  name: string;
  version: string;
  /** absolute path of the tarball */
  file: string;
  files: string[];
  size: number;
  unpackedSize: number;
}

/** `npm pack` every workspace of `root` (running each one's prepack), into `dest`. */
export async function packWorkspaces(root: string, dest: string, env: NodeJS.ProcessEnv): Promise<Packed[]> {
  await fs.ensureDir(dest);
  const r = await run('npm', ['pack', '--workspaces', '--pack-destination', dest, '--json'], { cwd: root, env });
  if (r.exitCode !== 0) throw new Error(`npm pack failed (${r.exitCode}):\n${r.all.slice(-4000)}`);
  const json = r.stdout.slice(r.stdout.indexOf('\n[') >= 0 ? r.stdout.indexOf('\n[') + 1 : r.stdout.indexOf('['));
  const list = JSON.parse(json) as Array<{ name: string; version: string; filename: string; files: Array<{ path: string }>; size: number; unpackedSize: number }>;
  return list.map((p) => ({ name: p.name, version: p.version, file: path.join(dest, p.filename), files: p.files.map((f) => f.path), size: p.size, unpackedSize: p.unpackedSize }));
}

/** Total size of the files under `dir`, in bytes (apparent sizes, as du -sb counts them). */
export async function treeSize(dir: string): Promise<number> {
  const r = await execa('du', ['-sb', dir]);
  return Number(r.stdout.split('\t')[0]);
}
