/**
 * The element API as a third party sees it: the README's element example, and an element that
 * taps with `installType`, owns a hook, answers a core-owned hook and adds an output format,
 * compile with `tsc --strict` against @dib/core's published entry points only (its
 * package.json `exports`), and misuse (an unknown tap option, a string state key, an output
 * format made from neither the tree nor the disk) is a type error.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** The first ```ts block of the README section `heading`. */
function readmeBlock(heading: string): string {
  const text = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf(`## ${heading}`));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`no ts block under ## ${heading}`);
  return m[1]!;
}

/** A project outside the repository with @dib/core (and tapable, @types/node) installed by link. */
async function project(files: Record<string, string>): Promise<string> {
  const dir = await tmpDir('dib-api-types-');
  const nm = path.join(dir, 'node_modules');
  await fs.ensureDir(path.join(nm, '@dib'));
  await fs.ensureDir(path.join(nm, '@types'));
  await fs.symlink(path.join(REPO, 'core'), path.join(nm, '@dib', 'core'));
  await fs.symlink(path.join(REPO, 'node_modules', 'tapable'), path.join(nm, 'tapable'));
  await fs.symlink(path.join(REPO, 'node_modules', '@types', 'node'), path.join(nm, '@types', 'node'));
  await fs.writeJson(path.join(dir, 'package.json'), { name: 'dib-element-example', version: '1.0.0', type: 'module' });
  await fs.writeJson(path.join(dir, 'tsconfig.json'), {
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'], skipLibCheck: false },
    include: ['*.ts'],
  });
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

async function tsc(dir: string) {
  const r = await execa('node', [TSC, '-p', dir], { reject: false, all: true });
  return { ok: r.exitCode === 0, out: String(r.all ?? '') };
}

const THIRD_PARTY = `
import { AsyncSeriesWaterfallHook } from 'tapable';
import { createHooksRegistry, defineElement, defineOutputFormat, DibError, getOutputHooks, getPackageHooks, shellQuote, stateKey, type OutputFormat, type OutputJob, type PhaseContext } from '@dib/core';
import { createTestBuild } from '@dib/core/testing';

export const getGreeterHooks = createHooksRegistry('greeter', () =>
  Object.freeze({ greeting: new AsyncSeriesWaterfallHook<[string, PhaseContext]>(['greeting', 'ctx']) }),
);
export const GREETED = stateKey<{ who: string }>('greeter:greeted');

/** An output format of our own: the disk, xz-compressed (\`-t raw-xz\` → <name>.raw.xz). */
export const rawXz: OutputFormat = defineOutputFormat({
  type: 'raw-xz',
  extension: 'raw.xz',
  from: 'disk',
  description: 'the disk image, xz-compressed',
  hostTools: [{ command: 'xz', package: 'xz-utils', why: 'compresses the disk' }],
  load: (options) => (options.compress ? 'cpu' : 'io'),
  async write(job: OutputJob) {
    job.log.info(\`xz of \${job.disk} for \${job.type}\${job.sourceDateEpoch !== undefined ? ' (reproducible)' : ''}\`);
    await job.run.sh(\`xz -T0 -c \${shellQuote(job.disk!)} > \${shellQuote(job.file)}\`);
    job.progress(100);
  },
});

export default defineElement({
  name: 'greeter',
  deps: ['package-installs'],
  apply(build) {
    build.hooks.install.tapPromise({ name: 'greet-from-source', stage: 20, installType: 'source' }, async (ctx) => {
      const text = await getGreeterHooks(ctx.build).greeting.promise('hello', ctx);
      ctx.state.set(GREETED, { who: text });
    });
    build.hooks.finalise.tap({ name: 'check', stage: 1 }, (ctx) => {
      const g = ctx.state.get(GREETED);
      if (!g) throw new DibError('E_TAP_FAILED', 'nobody was greeted', { hint: 'run the install phase' });
    });
    // add an output format to the build's registry
    getOutputHooks(build).formats.tap('greeter', (formats) => {
      if (!formats.types().includes('raw-xz')) formats.add(rawXz);
    });
    // answer a core-owned hook: a package manager for a distro of our own
    getPackageHooks(build).installPackages.tapPromise('greeter-pm', async (ctx, req) => {
      if (ctx.env.DISTRO_NAME !== 'greeterOS') return undefined;
      await ctx.target.run('gpm', [req.action, ...req.packages]);
      return true;
    });
  },
});

export async function selfTest(): Promise<string[]> {
  const t = await createTestBuild({ elements: [], expand: false });
  const names = t.taps().map((x) => x.name);
  await t.dispose();
  return names;
}
`;

test("the README's element example, and an element with installType taps, its own hook, a typed state key, a core hook and an output format, compile", async (t) => {
  const dir = await project({ 'readme.ts': readmeBlock('Writing an element'), 'greeter.ts': THIRD_PARTY });
  const r = await tsc(dir);
  t.true(r.ok, r.out);
});

test('misuse is a type error: an unknown tap option, a string state key, a private import', async (t) => {
  const bad = `
import { defineElement, defineOutputFormat, type StateKey } from '@dib/core';
import { createPhaseHooks } from '@dib/core/internal/pipeline/hooks.js';
export default defineElement({
  name: 'bad',
  apply(build) {
    build.hooks.install.tapPromise({ name: 'x', installTyp: 'source' }, async () => {});
    build.state.set('bad:key', 1);
  },
});
export const k: StateKey<number> | typeof createPhaseHooks = { name: 'k' };
export const iso = defineOutputFormat({ type: 'iso', extension: 'iso', from: 'disc', description: 'x', async write() {} });
`;
  const dir = await project({ 'index.ts': bad });
  const r = await tsc(dir);
  t.false(r.ok);
  t.regex(r.out, /installTyp/);
  t.regex(r.out, /'string' is not assignable to parameter of type 'StateKey/);
  t.regex(r.out, /Type '"disc"' is not assignable to type '"tree" \| "disk"'/);
  // internals are not part of the published package
  t.regex(r.out, /Cannot find module '@dib\/core\/internal\/pipeline\/hooks\.js'/);
});
