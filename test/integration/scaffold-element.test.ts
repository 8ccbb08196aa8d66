/**
 * Scaffolding: `dib new-element` makes a package that compiles, whose own test runs its tap,
 * and that `dib build` picks up once installed next to the project; `dib init` writes a
 * config that loads and builds.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { REPO, dib } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

test('dib new-element: a publishable package whose tap runs in its own test and in dib build', async (t) => {
  const dir = await tmpDir('dib-scaffold-');
  const r = await dib(['new-element', 'hello-world'], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const el = path.join(dir, 'dib-element-hello-world');
  t.regex(r.stdout, /created .*dib-element-hello-world/);
  for (const f of ['package.json', 'tsconfig.json', 'src/index.ts', 'src/index.test.ts', 'README.md', '.gitignore']) t.true(await fs.pathExists(path.join(el, f)), f);
  const pkg = await fs.readJson(path.join(el, 'package.json'));
  t.is(pkg.name, 'dib-element-hello-world');
  t.is(pkg.type, 'module');
  t.true(pkg.keywords.includes('dib-element'));
  t.is(pkg.peerDependencies['@dib/core'], '^0.1.0');
  t.is(pkg.devDependencies.dib, '^0.1.0');
  t.is(pkg.publishConfig, undefined);
  t.truthy(pkg.scripts.build);
  t.truthy(pkg.scripts.test);
  t.regex(await fs.readFile(path.join(el, 'src', 'index.ts'), 'utf8'), /defineElement\(\{\n {2}name: 'hello-world'/);

  // what `npm install` would give it: the core (peer), node types, typescript from this repo
  await fs.ensureDir(path.join(el, 'node_modules', '@dib'));
  await fs.symlink(path.join(REPO, 'core'), path.join(el, 'node_modules', '@dib', 'core'));
  await fs.symlink(path.join(REPO, 'node_modules', '@types'), path.join(el, 'node_modules', '@types'));
  const tsc = await execa('node', [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: el, reject: false, all: true });
  t.is(tsc.exitCode, 0, String(tsc.all));
  t.true(await fs.pathExists(path.join(el, 'dist', 'index.js')));
  // its own test runs the tap against a temporary tree
  const own = await execa('node', ['--test', 'dist/index.test.js'], { cwd: el, reject: false, all: true });
  t.is(own.exitCode, 0, String(own.all));
  t.regex(String(own.all), /# pass 3/);
  // its README's step: in the package itself, dib finds the element it is developing
  const selfPlan = await dib(['plan', 'busybox-root', 'hello-world'], { cwd: el });
  t.is(selfPlan.exitCode, 0, selfPlan.all);
  t.regex(selfPlan.stdout, /50 +hello-world-hello +hello-world/);

  // installed next to a project (what npm install ../dib-element-hello-world does), dib build finds it by name
  const proj = path.join(dir, 'project');
  await fs.ensureDir(path.join(proj, 'node_modules'));
  await fs.symlink(el, path.join(proj, 'node_modules', 'dib-element-hello-world'));
  const plan = await dib(['plan', 'busybox-root', 'hello-world'], { cwd: proj });
  t.regex(plan.stdout, /50 +hello-world-hello +hello-world/);
  const b = await dib(['build', '-o', 'img', '-t', 'tar', '--work-dir', path.join(proj, 'work'), 'busybox-root', 'hello-world'], { cwd: proj });
  t.is(b.exitCode, 0, b.all);
  t.regex(b.stderr, /hello-world: running install\/50-hello-world-hello/);
  t.regex(b.stderr, /hello-world: wrote \/etc\/hello-world-release/);
  const content = await execa('tar', ['-xOf', path.join(proj, 'img.tar'), './etc/hello-world-release']);
  t.is(content.stdout, 'hello from hello-world');
  // the element's variable can be set like any DIB variable
  const b2 = await dib(['build', '-o', 'img2', '-t', 'tar', '--work-dir', path.join(proj, 'work'), '-e', 'DIB_HELLO_WORLD_GREETING=hi', 'busybox-root', 'hello-world'], { cwd: proj });
  t.is(b2.exitCode, 0, b2.all);
  t.is((await execa('tar', ['-xOf', path.join(proj, 'img2.tar'), './etc/hello-world-release'])).stdout, 'hi');
});

test('dib new-element --scope: a scoped package, public on publish', async (t) => {
  const dir = await tmpDir('dib-scaffold-');
  const r = await dib(['new-element', '--scope', 'acme', 'motd'], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  t.regex(r.stdout, /created .*dib-element-motd \(package @acme\/dib-element-motd\)/);
  const pkg = await fs.readJson(path.join(dir, 'dib-element-motd', 'package.json'));
  t.is(pkg.name, '@acme/dib-element-motd');
  t.deepEqual(pkg.publishConfig, { access: 'public' });
  t.regex(await fs.readFile(path.join(dir, 'dib-element-motd', 'README.md'), 'utf8'), /npx dib add @acme\/dib-element-motd/);
  const bad = await dib(['new-element', '--scope', '@Bad Scope', 'motd2'], { cwd: dir });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /\[E_USAGE\] '@Bad Scope' is not a valid npm scope/);
});

test('dib new-element refuses bad names and existing directories', async (t) => {
  const dir = await tmpDir('dib-scaffold-');
  const bad = await dib(['new-element', 'Bad_Name'], { cwd: dir });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /\[E_USAGE\] 'Bad_Name' is not a valid element name/);
  t.is((await dib(['new-element', 'x1'], { cwd: dir })).exitCode, 0);
  const again = await dib(['new-element', 'x1'], { cwd: dir });
  t.is(again.exitCode, 2);
  t.regex(again.stderr, /already exists[\s\S]*hint: .*--force/);
  t.is((await dib(['new-element', '--force', 'x1'], { cwd: dir })).exitCode, 0);
  t.is((await dib(['new-element'], { cwd: dir })).exitCode, 2);
});

test('dib init writes a commented config that loads; it refuses to overwrite without --force', async (t) => {
  const dir = await tmpDir('dib-init-');
  const r = await dib(['init'], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const text = await fs.readFile(path.join(dir, 'dib.config.ts'), 'utf8');
  t.regex(text, /^\/\/ dib\.config\.ts/);
  t.regex(text, /import \{ defineConfig \} from '@dib\/core';/);
  t.regex(text, /elements: \['vm', 'debian-minimal'\],/);
  t.true(text.split('\n').filter((l) => l.trim().startsWith('//')).length >= 15, 'commented');
  // the default config loads and expands (no network needed to plan)
  const plan = await dib(['plan'], { cwd: dir });
  t.is(plan.exitCode, 0, plan.all);
  t.regex(plan.stdout, /debootstrap/);

  const again = await dib(['init'], { cwd: dir });
  t.is(again.exitCode, 2);
  t.regex(again.stderr, /\[E_USAGE\] .*dib\.config\.ts already exists/);
  t.regex(again.stderr, /hint: dib init --force replaces it/);

  // a config for busybox-root to tar, which builds as it is
  const f = await dib(['init', '--force', '-t', 'tar', '-o', 'tiny', 'busybox-root'], { cwd: dir });
  t.is(f.exitCode, 0, f.all);
  const b = await dib(['build', '--work-dir', path.join(dir, 'work')], { cwd: dir });
  t.is(b.exitCode, 0, b.all);
  t.true(await fs.pathExists(path.join(dir, 'tiny.tar')));
});
