/**
 * dib from npm, as a new user gets it: every workspace package is packed from a clean copy of
 * the repository (prepack builds it) and published to a real registry (verdaccio on 127.0.0.1,
 * started and stopped here); then, in fresh directories outside the repository:
 * `npm i -D dib` → `dib build -t tar busybox-root` → `dib init` → `dib plan`; a global dib
 * that hands over to the project's; `npm create dib` and `dib add`; `dib new-element motd` →
 * its own tests → publish → a second project that installs and builds it; and the
 * nested-version and ambiguity cases of element resolution.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { cleanCopy, packWorkspaces, run, startRegistry, treeSize, type Packed, type Registry } from '../helpers/registry.js';

let reg: Registry;
let work: string;
let packed: Packed[];
const MB = 1024 * 1024;

test.before(async (t) => {
  t.timeout(15 * 60 * 1000);
  reg = await startRegistry();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'dib-npm-'));
  const clean = await cleanCopy();
  try {
    const started = Date.now();
    packed = await packWorkspaces(clean, path.join(work, 'tarballs'), reg.env);
    t.log(`packed ${packed.length} packages from a clean copy in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await fs.remove(clean);
  }
  for (const p of packed) {
    const r = await run('npm', ['publish', p.file], { cwd: work, env: reg.env });
    if (r.exitCode !== 0) throw new Error(`npm publish ${p.name} failed:\n${r.all}`);
  }
});

test.after.always(async () => {
  await reg?.stop();
  if (work) await fs.remove(work).catch(() => undefined);
});

/**
 * A new empty directory outside the repository. npm installs into the nearest ancestor that has
 * a package.json or node_modules: where a directory above the temp dir has one (a shared
 * machine), the project gets its own package.json first, as `npm init -y` would make it.
 */
async function fresh(name: string): Promise<string> {
  const dir = path.join(work, name);
  await fs.ensureDir(dir);
  const above = [];
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) above.push(d);
  const claimed = above.filter((d) => fs.existsSync(path.join(d, 'package.json')) || fs.existsSync(path.join(d, 'node_modules')));
  if (claimed.length) await fs.writeJson(path.join(dir, 'package.json'), { name, version: '1.0.0', private: true });
  return dir;
}

const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: reg.env });
const npx = (args: string[], cwd: string) => run('npx', args, { cwd, env: reg.env });

async function ok(p: Promise<{ exitCode: number; all: string }>, what: string) {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}):\n${r.all.slice(-3000)}`);
  return r as Awaited<ReturnType<typeof run>>;
}

test.serial('every tarball has its README, LICENSE, metadata, built code, and source maps that resolve inside it', async (t) => {
  t.true(packed.length >= 21);
  const names = packed.map((p) => p.name);
  for (const n of ['dib', 'create-dib', '@dib/core', '@dib/element-vm', '@dib/element-debian-minimal']) t.true(names.includes(n), n);
  for (const p of packed) {
    for (const f of ['README.md', 'LICENSE', 'package.json']) t.true(p.files.includes(f), `${p.name} ships ${f}`);
    t.true(p.files.some((f) => f.startsWith('dist/') && f.endsWith('.js')), `${p.name} ships built code`);
    t.false(p.files.some((f) => f.endsWith('.tsbuildinfo') || f.startsWith('test/')), `${p.name} ships no build info or tests`);
    const dir = path.join(work, 'unpacked', p.name);
    await fs.ensureDir(dir);
    await execa('tar', ['-xzf', p.file, '-C', dir, '--strip-components=1']);
    const pj = await fs.readJson(path.join(dir, 'package.json'));
    t.truthy(pj.repository?.url, `${p.name} repository`);
    t.truthy(pj.engines?.node, `${p.name} engines`);
    if (p.name.startsWith('@')) t.is(pj.publishConfig?.access, 'public');
    t.false(JSON.stringify(pj.exports ?? {}).includes('internal'), `${p.name} exports no internals`);
    for (const map of p.files.filter((f) => f.endsWith('.js.map'))) {
      const { sources } = (await fs.readJson(path.join(dir, map))) as { sources: string[] };
      for (const s of sources) t.true(await fs.pathExists(path.resolve(path.dirname(path.join(dir, map)), s)), `${p.name}: ${map} → ${s}`);
    }
  }
  const core = packed.find((p) => p.name === '@dib/core')!;
  t.true(core.unpackedSize > 500_000, `@dib/core is built before pack (${core.unpackedSize} bytes)`);
  t.true(core.files.includes('schema.json'), 'the config JSON Schema is generated before pack');
  t.log(packed.map((p) => `${p.name}@${p.version}: ${(p.size / 1024).toFixed(1)} kB packed, ${p.files.length} files`).join('\n'));
});

test.serial('npm i -D dib in an empty directory: a working tool, no TypeScript, within 15 MB', async (t) => {
  t.timeout(10 * 60 * 1000);
  const a = await fresh('first');
  const install = await ok(npm(['i', '-D', 'dib'], a), 'npm i -D dib');
  t.log(`$ npm i -D dib\n${install.all.trim()}`);
  const nm = path.join(a, 'node_modules');
  t.false(await fs.pathExists(path.join(nm, 'typescript')), 'no TypeScript compiler at run time');
  const size = await treeSize(nm);
  const count = (await execa('sh', ['-c', `find ${nm} -name package.json -path '*/node_modules/*' -not -path '*/node_modules/*/node_modules/*/*' | wc -l`])).stdout.trim();
  t.log(`node_modules: ${(size / MB).toFixed(1)} MB (${size} bytes), ${count} package.json files`);
  t.true(size <= 15 * MB, `npm i -D dib is ${(size / MB).toFixed(1)} MB`);

  // no config: DIB-style arguments (a cache of its own: another run's checkpoints would skip the root phase)
  const b = await ok(npx(['dib', 'build', '-o', 't', '-t', 'tar', '--work-dir', path.join(a, 'work'), '--image-cache', path.join(a, 'cache'), 'busybox-root'], a), 'dib build -t tar busybox-root');
  t.regex(b.all, /busybox root made from/);
  t.true((await fs.stat(path.join(a, 't.tar'))).size > 100_000);
  t.log(`$ npx dib build -o t -t tar busybox-root\n${b.all.trim().split('\n').slice(-12).join('\n')}`);

  const init = await ok(npx(['dib', 'init'], a), 'dib init');
  t.regex(init.stdout, /wrote .*dib\.config\.ts/);
  const plan = await ok(npx(['dib', 'plan'], a), 'dib plan');
  t.is(plan.stderr, '', 'no warning and no missing element');
  for (const tap of [/ bootloader +bootloader/, /debootstrap/, /dib-init-system/, /clear-machine-id +sysprep/]) t.regex(plan.stdout, tap);
  t.log(`$ npx dib init\n${init.all.trim()}\n$ npx dib plan\n${plan.stdout.trim().split('\n').slice(0, 12).join('\n')}\n…`);

  // a syntax error in the config, from the installed (TypeScript-free) dib
  await fs.writeFile(path.join(a, 'bad.config.ts'), "import { defineConfig } from '@dib/core';\nexport default defineConfig({\n  elements: ['vm'\n  name: 'x',\n});\n");
  const bad = await npx(['dib', 'plan', '--config', 'bad.config.ts'], a);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /\[E_CONFIG_SYNTAX\] .*bad\.config\.ts:4:3: Unexpected token, expected ","/);

  // the doctor says which dib runs and where every element comes from
  const doc = await npx(['dib', 'doctor', '--quick'], a);
  t.regex(doc.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${path.join(a, 'node_modules', 'dib')}$`, 'm'));
  t.regex(doc.stdout, /ok +debian-minimal +@dib\/element-debian-minimal@0\.1\.0/);
  t.regex(doc.stdout, /ok +block-device-mbr +@dib\/element-block-device-mbr@0\.1\.0/, 'the layout dib adds for vm');
});

test.serial('a global dib is one package, and hands over to the project’s own dib', async (t) => {
  t.timeout(10 * 60 * 1000);
  const prefix = await fresh('global');
  await ok(npm(['i', '-g', '--prefix', prefix, 'dib'], prefix), 'npm i -g dib');
  const top = await fs.readdir(path.join(prefix, 'lib', 'node_modules'));
  t.deepEqual(top, ['dib'], 'one global package; its closure lives inside it');
  const size = await treeSize(path.join(prefix, 'lib', 'node_modules'));
  t.log(`npm i -g dib: ${(size / MB).toFixed(1)} MB in ${prefix}/lib/node_modules (${top.join(', ')})`);
  const globalDib = path.join(prefix, 'bin', 'dib');
  const real = await fs.realpath(path.join(prefix, 'lib', 'node_modules', 'dib'));

  // outside any project the global dib builds with its own elements
  const none = await fresh('no-project');
  const plan = await ok(run(globalDib, ['plan', 'busybox-root'], { cwd: none, env: reg.env }), 'global dib plan');
  t.regex(plan.stdout, /10 +busybox-root +busybox-root/);
  const solo = await run(globalDib, ['doctor', '--quick', 'busybox-root'], { cwd: none, env: reg.env });
  t.regex(solo.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${real}$`, 'm'));

  // in a project with its own dib, that one runs
  const project = path.join(work, 'first');
  const doc = await run(globalDib, ['doctor', '--quick'], { cwd: path.join(project, 'work'), env: reg.env });
  t.regex(doc.stdout, new RegExp(`^dib: 0\\.1\\.0 at ${path.join(project, 'node_modules', 'dib')}; the dib 0\\.1\\.0 at ${real} handed over to this project's dib$`, 'm'));
});

test.serial('npm create dib, then dib plan; dib add installs an element package and adds it to the config', async (t) => {
  t.timeout(10 * 60 * 1000);
  const parent = await fresh('create');
  const c = await ok(npm(['create', 'dib', 'my-image', '--', '-t', 'tar', 'busybox-root'], parent), 'npm create dib');
  t.log(`$ npm create dib my-image -- -t tar busybox-root\n${c.all.trim()}`);
  const proj = path.join(parent, 'my-image');
  const pj = await fs.readJson(path.join(proj, 'package.json'));
  t.is(pj.devDependencies.dib, '^0.1.0');
  t.is(pj.scripts.build, 'dib build');
  t.regex(await fs.readFile(path.join(proj, 'dib.config.ts'), 'utf8'), /elements: \['busybox-root'\]/);
  const plan = await ok(npx(['dib', 'plan'], proj), 'dib plan');
  t.regex(plan.stdout, /busybox-root/);
  t.is(plan.stderr, '');
  // a name no installed package provides: an unknown one fails with the npm line
  const missing = await npx(['dib', 'plan', 'busybox-root', 'clock'], proj);
  t.is(missing.exitCode, 2, "an element that is not installed is a config error");
  t.regex(missing.stderr, /\[E_ELEMENT_NOT_FOUND\] Element 'clock' \(named on the command line\) not found/);
  t.regex(missing.stderr, /hint: install it: npm i -D dib-element-clock/);
});

test.serial('dib new-element motd: its own tests pass, it publishes, and a second project installs, plans and builds it', async (t) => {
  t.timeout(15 * 60 * 1000);
  const dev = await fresh('dev');
  const dib = path.join(work, 'global', 'bin', 'dib');
  await ok(run(dib, ['new-element', 'motd'], { cwd: dev, env: reg.env }), 'dib new-element motd');
  const el = path.join(dev, 'dib-element-motd');
  // the README's Develop steps, as written
  await ok(npm(['install'], el), 'npm install (element)');
  const own = await ok(npm(['test'], el), 'npm test (element)');
  t.regex(own.all, /# pass 3/);
  const selfPlan = await ok(npx(['dib', 'plan', 'busybox-root', 'motd'], el), 'dib plan busybox-root motd (in the element)');
  t.regex(selfPlan.stdout, /50 +motd-hello +motd/);
  const selfBuild = await ok(npx(['dib', 'build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(el, 'work'), '--image-cache', path.join(el, 'cache'), 'busybox-root', 'motd'], el), 'dib build (in the element)');
  t.regex(selfBuild.all, /motd: wrote \/etc\/motd-release/);
  const pub = await ok(npm(['publish'], el), 'npm publish (element)');
  t.regex(pub.all, /\+ dib-element-motd@0\.1\.0/);

  const proj = await fresh('second');
  await ok(npm(['i', '-D', 'dib', 'dib-element-motd'], proj), 'npm i -D dib dib-element-motd');
  const plan = await ok(npx(['dib', 'plan', 'busybox-root', 'motd'], proj), 'dib plan');
  t.regex(plan.stdout, /install\n(?:.*\n)*? +50 +motd-hello +motd/);
  t.log(`$ npm i -D dib dib-element-motd\n$ npx dib plan busybox-root motd\n${plan.stdout.split('\n').filter((l) => /^\S|motd/.test(l)).join('\n')}`);
  await ok(npx(['dib', 'build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(proj, 'work'), 'busybox-root', 'motd'], proj), 'dib build … motd');
  t.is((await execa('tar', ['-xOf', path.join(proj, 'img.tar'), './etc/motd-release'])).stdout, 'hello from motd');

  // dib add, in the project npm create made: the registry has dib-element-motd (not @dib/element-motd)
  const created = path.join(work, 'create', 'my-image');
  const add = await ok(npx(['dib', 'add', 'motd'], created), 'dib add motd');
  t.regex(add.stdout, /added 'motd' \(dib-element-motd\) to the elements of dib\.config\.ts/);
  t.is((await fs.readJson(path.join(created, 'package.json'))).devDependencies['dib-element-motd'], '^0.1.0');
  t.regex(await fs.readFile(path.join(created, 'dib.config.ts'), 'utf8'), /elements: \['busybox-root', 'motd'\]/);
  t.regex((await ok(npx(['dib', 'plan'], created), 'dib plan after add')).stdout, /50 +motd-hello +motd/);

  // dib doctor finds the element that is not installed, and --fix installs it
  const first = path.join(work, 'first');
  const before = await npx(['dib', 'doctor', '--quick', 'busybox-root', 'motd'], first);
  t.is(before.exitCode, 1);
  t.regex(before.stdout, /FAIL +motd +not found \(named on the command line\); package dib-element-motd/);
  t.regex(before.stdout, /^ {2}npm i -D dib-element-motd$/m);
  const fix = await ok(npx(['dib', 'doctor', '--quick', '--fix', 'busybox-root', 'motd'], first), 'dib doctor --fix');
  t.regex(fix.stdout, /after installing the element packages:\n\nelement packages:\n(?:.*\n)*? +ok +motd +dib-element-motd@0\.1\.0/);
  t.regex(fix.stdout, /doctor: ready to build/);
  t.is((await fs.readJson(path.join(first, 'package.json'))).devDependencies['dib-element-motd'], '^0.1.0');
  t.log(`$ npx dib doctor --fix busybox-root motd\n${fix.all.split('\n').filter((l) => /motd|running|doctor:/.test(l)).join('\n')}`);
});

/** Publish a variant of the element package in `dir`: another version, deps, or name. */
async function publishVariant(dir: string, edit: { version?: string; name?: string; deps?: Record<string, string>; elementDeps?: string[] }) {
  const pjFile = path.join(dir, 'package.json');
  const pj = await fs.readJson(pjFile);
  if (edit.version) pj.version = edit.version;
  if (edit.name) pj.name = edit.name;
  if (edit.deps) pj.dependencies = { ...(pj.dependencies ?? {}), ...edit.deps };
  await fs.writeJson(pjFile, pj, { spaces: 2 });
  if (edit.elementDeps) {
    const src = path.join(dir, 'src', 'index.ts');
    await fs.writeFile(src, (await fs.readFile(src, 'utf8')).replace('deps: [],', `deps: ${JSON.stringify(edit.elementDeps)},`));
  }
  await ok(npm(['publish'], dir), `npm publish ${pj.name}@${pj.version}`);
}

test.serial('nested versions: greeter@0.2.0 gets the motd@0.2.0 npm nested under it, though the project has motd@0.1.0', async (t) => {
  t.timeout(15 * 60 * 1000);
  const dev = path.join(work, 'dev');
  await publishVariant(path.join(dev, 'dib-element-motd'), { version: '0.2.0' });
  const dib = path.join(work, 'global', 'bin', 'dib');
  await ok(run(dib, ['new-element', 'greeter'], { cwd: dev, env: reg.env }), 'dib new-element greeter');
  const greeter = path.join(dev, 'dib-element-greeter');
  // the same dev dependencies as motd's, already installed (saves an npm install)
  await fs.symlink(path.join(dev, 'dib-element-motd', 'node_modules'), path.join(greeter, 'node_modules'));
  await publishVariant(greeter, { version: '0.2.0', deps: { 'dib-element-motd': '^0.2.0' }, elementDeps: ['motd'] });

  const proj = await fresh('nested');
  await ok(npm(['i', '-D', 'dib', 'dib-element-motd@0.1.0', 'dib-element-greeter@0.2.0'], proj), 'npm i (nested)');
  const nested = path.join(proj, 'node_modules', 'dib-element-greeter', 'node_modules', 'dib-element-motd');
  t.is((await fs.readJson(path.join(nested, 'package.json'))).version, '0.2.0', 'npm nested motd@0.2.0 under greeter');
  t.is((await fs.readJson(path.join(proj, 'node_modules', 'dib-element-motd', 'package.json'))).version, '0.1.0');
  await ok(npx(['dib', 'init', '-t', 'tar', 'busybox-root', 'greeter'], proj), 'dib init');
  const doc = await npx(['dib', 'doctor', '--quick'], proj);
  t.regex(doc.stdout, /ok +motd +dib-element-motd@0\.2\.0/);
  t.notRegex(doc.stdout, /WARN +element 'motd'/);
  t.log(`$ npx dib doctor --quick (config: busybox-root greeter)\n${doc.stdout.split('\n').filter((l) => /greeter|motd/.test(l)).join('\n')}`);

  // the project also names motd: one build cannot hold two, so the project's wins, with a warning
  const both = await ok(npx(['dib', 'plan', 'busybox-root', 'greeter', 'motd'], proj), 'dib plan greeter motd');
  t.regex(both.stderr, /dib: warning: element 'motd' resolves to two versions in this build: dib-element-motd@0\.1\.0 \(named on the command line\) and dib-element-motd@0\.2\.0 \(required by element greeter from dib-element-greeter@0\.2\.0, from [^)]*dib-element-greeter\/node_modules\/dib-element-motd\); using dib-element-motd@0\.1\.0/);
  t.log(`$ npx dib plan busybox-root greeter motd\n${both.stderr.trim()}`);
});

test.serial('ambiguity: dib-element-motd and @acme/dib-element-motd both claim motd; naming the package chooses', async (t) => {
  t.timeout(15 * 60 * 1000);
  const dib = path.join(work, 'global', 'bin', 'dib');
  const scopedParent = await fresh('dev-acme');
  await ok(run(dib, ['new-element', '--scope', '@acme', 'motd'], { cwd: scopedParent, env: reg.env }), 'dib new-element --scope @acme motd');
  const scoped = path.join(scopedParent, 'dib-element-motd');
  await fs.symlink(path.join(work, 'dev', 'dib-element-motd', 'node_modules'), path.join(scoped, 'node_modules'));
  await ok(npm(['publish'], scoped), 'npm publish @acme/dib-element-motd');

  const proj = await fresh('ambiguous');
  await ok(npm(['i', '-D', 'dib', 'dib-element-motd@0.1.0', '@acme/dib-element-motd'], proj), 'npm i (ambiguous)');
  const plan = await ok(npx(['dib', 'plan', 'busybox-root', 'motd'], proj), 'dib plan motd');
  t.regex(plan.stderr, new RegExp(`dib: warning: two packages claim element 'motd' in ${path.join(proj, 'node_modules')}: dib-element-motd, @acme/dib-element-motd; using dib-element-motd`));
  t.log(`$ npm i -D dib dib-element-motd @acme/dib-element-motd\n$ npx dib plan busybox-root motd\n${plan.stderr.trim()}`);
  const named = await ok(npx(['dib', 'plan', 'busybox-root', '@acme/dib-element-motd'], proj), 'dib plan @acme/dib-element-motd');
  t.is(named.stderr, '');
  t.regex(named.stdout, /50 +motd-hello +motd/);
});
