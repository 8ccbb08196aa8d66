/**
 * `install-packages` and `pkg-map` inside the chroot, backed by dib's own implementations.
 *
 * A small POSIX-sh client (`$TMP_HOOKS_PATH/bin/install-packages`, so
 * `/tmp/in_target.d/bin/install-packages` in the chroot) drops a request directory into a
 * spool directory inside the image tree (`/tmp/.dib-install-packages`) and waits for its
 * answer. While a chroot script runs, dib polls the spool, parses DIB's flags (`-u`, `-e`,
 * `-m ELEMENT`) and asks the core's package hooks (`mapPackages` for `-m`, answered by the
 * pkg-map element; then `installPackages`, answered by the OS element: dpkg → apt-get), so
 * there is one install path for TypeScript and DIB elements. The client needs only sh, mkdir,
 * mv, cat and sleep.
 *
 * `$TMP_HOOKS_PATH/bin/pkg-map` is the same client with a request kind: in the chroot the
 * request (`kind`, `args`, `cwd`) is answered on the host through the core's `pkgMapTool` hook (the pkg-map element),
 * reading the maps of the image (`<target>/usr/share/pkg-map`, `--pkg-map FILE` as a path in the
 * image) with the build's DISTRO_NAME/DIB_RELEASE; the reply is `output` (stdout), `errors`
 * (stderr) and `status`. In host phases the client runs `dib pkg-map` directly (same node, same
 * dib) with DIB_PKG_MAP_DIR=$TARGET_ROOT/usr/share/pkg-map.
 *
 * Request directory: `args` (one argument a line), `kind` (absent: install-packages), `cwd`.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { DibError, isDibError } from '../errors.js';
import type { PhaseContext } from '../contract/build.js';
import { getPackageHooks, type PackageRequest } from '../contract/package-hooks.js';
import { shellQuote } from '../util/shell.js';

/** The spool directory, as the chroot sees it. */
export const SPOOL_IN_TARGET = '/tmp/.dib-install-packages';

/** The request part of both clients: write the request, wait for the reply, print it, exit with its status. */
function spoolClient(kind: string): string {
  return `spool=\${DIB_INSTALL_PACKAGES_SPOOL:-${SPOOL_IN_TARGET}}
if [ ! -d "$spool" ]; then
    echo "${kind}: no dib build is serving requests ($spool is missing)" >&2
    exit 1
fi
id="req-$$-$(date +%s)"
mkdir "$spool/$id.new"
for a in "$@"; do printf '%s\\n' "$a"; done > "$spool/$id.new/args"
printf '%s\\n' ${kind} > "$spool/$id.new/kind"
pwd > "$spool/$id.new/cwd"
mv "$spool/$id.new" "$spool/$id"
while [ ! -e "$spool/$id/status" ]; do
    sleep 0.1 2>/dev/null || sleep 1
done
if [ -s "$spool/$id/output" ]; then cat "$spool/$id/output"; fi
if [ -s "$spool/$id/errors" ]; then cat "$spool/$id/errors" >&2; fi
rc=$(cat "$spool/$id/status")
rm -rf "$spool/$id"
exit "$rc"
`;
}

export const CLIENT_SCRIPT = `#!/bin/sh
# install-packages [-u] [-e] [-m ELEMENT] [PACKAGE...]
# dib's install-packages: the request is carried out by the running dib build (one install
# path for every element: pkg-map, then the OS element's package manager).
set -eu
${spoolClient('install-packages')}`;

/**
 * dib's `pkg-map` for DIB scripts. `host` is how this dib runs (`node`, the CLI script), for
 * host phases (no spool: DIB_INSTALL_PACKAGES_SPOOL is only set for chroot scripts).
 */
export function pkgMapClientScript(host: { node: string; cli: string }): string {
  return `#!/bin/sh
# pkg-map [--element E | --pkg-map FILE] [--distro D] [--release R] [--missing-ok] [--prefix P] [--debug] NAME...
# dib's pkg-map: on the host, dib pkg-map; in the chroot, answered by the running dib build.
# --element maps are the image's (/usr/share/pkg-map/<element>); exit 0 mapped, 1 error, 2 no map.
set -eu
if [ -z "\${DIB_INSTALL_PACKAGES_SPOOL:-}" ] && [ -n "\${TARGET_ROOT:-}" ]; then
    DIB_PKG_MAP_DIR="$TARGET_ROOT/usr/share/pkg-map" exec ${shellQuote(host.node)} ${shellQuote(host.cli)} pkg-map "$@"
fi
${spoolClient('pkg-map')}`;
}

export interface ParsedRequest {
  upgrade: boolean;
  uninstall: boolean;
  element?: string;
  packages: string[];
}

/** DIB's flags: `-u` (upgrade everything), `-e` (erase), `-m ELEMENT` (map through its pkg-map). */
export function parseInstallPackagesArgs(args: readonly string[]): ParsedRequest {
  const out: ParsedRequest = { upgrade: false, uninstall: false, packages: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-u') out.upgrade = true;
    else if (a === '-e') out.uninstall = true;
    else if (a === '-m') {
      const el = args[++i];
      if (!el) throw new DibError('E_USAGE', 'install-packages: -m needs an element name');
      out.element = el;
    } else if (a.startsWith('-m') && a.length > 2) out.element = a.slice(2);
    else if (a === '--') out.packages.push(...args.slice(i + 1));
    else if (a.startsWith('-') && a.length > 1) {
      // combined short flags (-ue)
      if (/^-[ue]+$/.test(a)) {
        if (a.includes('u')) out.upgrade = true;
        if (a.includes('e')) out.uninstall = true;
      } else throw new DibError('E_USAGE', `install-packages: unknown option ${a}`);
    } else out.packages.push(...a.split(/\s+/).filter(Boolean));
    if (a === '--') break;
  }
  return out;
}

/** Hand a request to the OS element through the core's installPackages hook. */
async function packageManager(ctx: PhaseContext, request: PackageRequest): Promise<void> {
  const answered = await getPackageHooks(ctx.build).installPackages.promise(ctx, request);
  if (answered !== true) {
    throw new DibError('E_PACKAGE_INSTALLS', `no element installs packages${ctx.env.DISTRO_NAME ? ` for ${ctx.env.DISTRO_NAME}` : ''} (${request.action} ${request.packages.join(' ')})`.trim(), {
      hint: 'add the operating system element (debian-minimal, ubuntu-minimal…), which brings its package manager element',
    });
  }
}

/** `install-packages -m ELEMENT`: the names mapped strictly through the element's pkg-map. */
async function mapped(ctx: PhaseContext, element: string, names: string[]): Promise<string[]> {
  const out = await getPackageHooks(ctx.build).mapPackages.promise(ctx, { element, names, missingOk: false });
  if (out === undefined) {
    throw new DibError('E_PKG_MAP', `install-packages -m ${element}: no element maps package names`, { hint: 'add the pkg-map element to the build (base brings it)' });
  }
  return out;
}

/** Carry out one request; returns the exit status and the text the client prints. */
export async function serveRequest(ctx: PhaseContext, args: readonly string[]): Promise<{ status: number; output: string }> {
  let req: ParsedRequest;
  try {
    req = parseInstallPackagesArgs(args);
  } catch (e) {
    return { status: 1, output: `${(e as Error).message}\n` };
  }
  const action = req.uninstall ? 'remove' : 'install';
  try {
    if (req.upgrade) {
      ctx.log.info('install-packages -u: upgrading every package');
      await packageManager(ctx, { action: 'upgrade', packages: [] });
      if (req.packages.length === 0) return { status: 0, output: '' };
    }
    if (req.packages.length === 0) {
      const msg = `Not running install-packages ${action} with empty packages list`;
      ctx.log.info(msg);
      return { status: 0, output: `${msg}\n` };
    }
    ctx.log.info(`install-packages ${args.join(' ')}`);
    const packages = req.element ? await mapped(ctx, req.element, req.packages) : req.packages;
    if (packages.length === 0) {
      ctx.log.info(`Not running install-packages ${action} with empty packages list`);
      return { status: 0, output: '' };
    }
    await packageManager(ctx, { action: req.uninstall ? 'uninstall' : 'install', packages });
    return { status: 0, output: '' };
  } catch (e) {
    const msg = isDibError(e) ? `${e.message}${e.details.length ? `\n${e.details.join('\n')}` : ''}` : String((e as Error).message ?? e);
    ctx.log.error(`install-packages ${args.join(' ')} failed: ${msg.split('\n')[0]}`);
    return { status: 1, output: `install-packages: ${msg}\n` };
  }
}

/** Flags of pkg-map whose value is a path: a path in the image, made a host path below the target. */
const PKG_MAP_PATH_FLAGS = ['--pkg-map', '--pkg-map-dir'];
const PKG_MAP_VALUE_FLAGS = [...PKG_MAP_PATH_FLAGS, '--element', '--distro', '--release', '--prefix'];

/** A chroot script's `pkg-map …`: dib's pkg-map on the host, reading the image's maps. */
export async function servePkgMapRequest(ctx: PhaseContext, args: readonly string[], cwd = '/'): Promise<{ status: number; output: string; errors: string }> {
  const inImage = (p: string) => path.join(ctx.targetRoot, path.posix.resolve(cwd, p));
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      argv.push(...args.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (flag !== a && PKG_MAP_PATH_FLAGS.includes(flag)) argv.push(`${flag}=${inImage(a.slice(eq + 1))}`);
    else if (flag === a && PKG_MAP_VALUE_FLAGS.includes(a) && i + 1 < args.length) {
      const v = args[++i]!;
      argv.push(a, PKG_MAP_PATH_FLAGS.includes(a) ? inImage(v) : v);
    } else argv.push(a);
  }
  try {
    const env = { DISTRO_NAME: ctx.env.DISTRO_NAME, DIB_RELEASE: ctx.env.DIB_RELEASE, DIB_PKG_MAP_DIR: path.join(ctx.targetRoot, 'usr/share/pkg-map') };
    ctx.log.debug(`pkg-map ${args.join(' ')}`);
    const r = await getPackageHooks(ctx.build).pkgMapTool.promise({ argv, env });
    if (!r) return { status: 1, output: '', errors: 'pkg-map: no element provides pkg-map (add the pkg-map element to the build)\n' };
    // messages name files as the chroot sees them
    return { status: r.status, output: r.stdout, errors: r.stderr.split(`${ctx.targetRoot.replace(/\/+$/, '')}/`).join('/') };
  } catch (e) {
    return { status: 1, output: '', errors: `pkg-map: ${(e as Error).message}\n` };
  }
}

/**
 * Serve requests from `spoolDir` (host path) until `stop()` is called; stop waits for a
 * request in progress. Requests are handled one at a time, in arrival order.
 */
export function serveSpool(ctx: PhaseContext, spoolDir: string): { stop(): Promise<void> } {
  let stopped = false;
  const seen = new Set<string>();
  const poll = async () => {
    const names = (await fs.readdir(spoolDir).catch(() => [] as string[])).filter((n) => n.startsWith('req-') && !n.endsWith('.new') && !seen.has(n));
    for (const n of names.sort()) {
      seen.add(n);
      const dir = path.join(spoolDir, n);
      const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8').catch(() => '');
      const text = await read('args');
      const args = text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
      const kind = (await read('kind')).trim() || 'install-packages';
      const r: { status: number; output: string; errors?: string } =
        kind === 'pkg-map'
          ? await servePkgMapRequest(ctx, args, (await read('cwd')).trim() || '/')
          : kind === 'install-packages'
            ? await serveRequest(ctx, args)
            : { status: 1, output: '', errors: `dib cannot serve a ${kind} request\n` };
      await fs.writeFile(path.join(dir, 'output'), r.output).catch(() => undefined);
      if (r.errors) await fs.writeFile(path.join(dir, 'errors'), r.errors).catch(() => undefined);
      await fs.writeFile(path.join(dir, 'status.new'), String(r.status)).catch(() => undefined);
      await fs.rename(path.join(dir, 'status.new'), path.join(dir, 'status')).catch(() => undefined);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        await poll();
      } catch (e) {
        ctx.log.warn(`install-packages spool: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
