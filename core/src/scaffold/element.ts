/**
 * The element package `dib new-element NAME` creates: `dib-element-NAME/`, publishable to npm,
 * picked up by `dib build NAME` once installed next to a config.
 */
import { DibError } from '../errors.js';

export const ELEMENT_NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

export function assertElementName(name: string): void {
  if (!ELEMENT_NAME_RE.test(name) || name.length > 60) {
    throw new DibError('E_USAGE', `'${name}' is not a valid element name`, {
      hint: 'use lowercase letters, digits and dashes, starting with a letter or digit (my-element)',
    });
  }
}

/** `my-element` → `DIB_MY_ELEMENT_GREETING`. */
export function greetingVar(name: string): string {
  return `DIB_${name.toUpperCase().replace(/-/g, '_')}_GREETING`;
}

/** Relative path → file content of the package. */
export function elementFiles(name: string, coreVersion: string): Record<string, string> {
  assertElementName(name);
  const pkg = `dib-element-${name}`;
  const v = greetingVar(name);
  const major = coreVersion.split('.')[0] === '0' ? `^${coreVersion.split('.').slice(0, 2).join('.')}.0` : `^${coreVersion.split('.')[0]}.0.0`;
  const packageJson = {
    name: pkg,
    version: '0.1.0',
    description: `dib element ${name}`,
    keywords: ['dib-element', 'dib', 'diskimage-builder'],
    license: 'Apache-2.0',
    type: 'module',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    files: ['dist', '!dist/**/*.test.*'],
    scripts: {
      build: 'tsc -p .',
      test: 'tsc -p . && node --test dist/index.test.js',
      prepublishOnly: 'npm run build',
    },
    peerDependencies: { '@dib/core': major },
    devDependencies: { '@dib/core': major, '@types/node': '^20.19.0', typescript: '^5.9.0' },
    engines: { node: '>=20.19' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      declaration: true,
      sourceMap: true,
      skipLibCheck: true,
      rootDir: 'src',
      outDir: 'dist',
      types: ['node'],
    },
    include: ['src'],
  };
  const index = `/**
 * dib element ${name}. Add it to a build with \`dib build … ${name}\` or in dib.config.ts
 * (\`elements: ['vm', 'debian-minimal', '${name}']\`) once this package is installed next to
 * the config (npm install ${pkg}).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defineElement } from '@dib/core';

export default defineElement({
  name: '${name}',
  description: 'TODO: say what ${name} does to an image',
  // element-deps: elements this one needs (they are added to the build)
  deps: [],
  // environment.d: defaults, used when the user has not set them
  environment: { ${v}: 'hello from ${name}' },
  // package-installs: packages to install in the image, in DIB's schema
  // packages: { curl: null },
  // host programs this element runs on the build host (dib doctor checks them)
  // hostTools: [{ command: 'jq', package: 'jq', why: 'reads the JSON config' }],
  apply(build) {
    // DIB's install.d/50-${name}-hello. Taps run by (stage, name) within a phase, whatever
    // element registered them; \`dib plan\` lists them. ctx.target.run() runs a command inside
    // the image's chroot, ctx.host.run() on the build host.
    build.hooks.install.tapPromise({ name: '${name}-hello', stage: 50 }, async (ctx) => {
      const etc = path.join(ctx.targetRoot, 'etc');
      await mkdir(etc, { recursive: true });
      await writeFile(path.join(etc, '${name}-release'), \`\${ctx.env.${v}}\\n\`);
      ctx.log.info('wrote /etc/${name}-release');
    });
  },
});
`;
  const test = `/**
 * Runs the element's tap against a temporary image tree (no root or chroot needed).
 * Run it with \`npm test\`; build a real image with \`dib build -t tar busybox-root ${name}\`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { ELEMENT_CONTRACT, isElement, type Build, type Logger, type PhaseContext } from '@dib/core';
import element from './index.js';

interface Tap {
  hook: string;
  name: string;
  stage: number;
  fn: (ctx: PhaseContext) => Promise<void>;
}

/** The part of a Build that apply() uses: hooks that record their taps. */
function recordingBuild(env: Record<string, string>): { build: Build; taps: Tap[] } {
  const taps: Tap[] = [];
  const hooks = new Proxy({}, {
    get: (_t, hook) => ({
      tapPromise: (opts: { name: string; stage?: number }, fn: Tap['fn']) => taps.push({ hook: String(hook), name: opts.name, stage: opts.stage ?? 50, fn }),
    }),
  });
  const build = { hooks, env, planOnly: false, hasElement: () => true, installTypeOf: () => 'source' } as unknown as Build;
  return { build, taps };
}

function memoryLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: (m) => void lines.push(m),
    info: (m) => void lines.push(m),
    warn: (m) => void lines.push(\`WARNING: \${m}\`),
    error: (m) => void lines.push(\`ERROR: \${m}\`),
    child: () => log,
  };
  return log;
}

test('${name} is a dib element for this contract', () => {
  assert.ok(isElement(element));
  assert.equal(element.name, '${name}');
  assert.equal(element.contract, ELEMENT_CONTRACT);
});

test('the ${name}-hello tap writes /etc/${name}-release in the image tree', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), '${name}-'));
  try {
    const env = { ...(element.environment as Record<string, string>) };
    const { build, taps } = recordingBuild(env);
    await element.apply?.(build);
    const tap = taps.find((t) => t.hook === 'install' && t.name === '${name}-hello');
    assert.ok(tap, 'the install tap is registered');
    assert.equal(tap.stage, 50);
    const lines: string[] = [];
    await tap.fn({ phase: 'install', element: '${name}', tap: tap.name, targetRoot: root, env, log: memoryLogger(lines), build } as unknown as PhaseContext);
    assert.equal(await readFile(path.join(root, 'etc', '${name}-release'), 'utf8'), 'hello from ${name}\\n');
    assert.deepEqual(lines, ['wrote /etc/${name}-release']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
`;
  const readme = `# ${pkg}

A dib element: **${name}**. dib builds disk images from elements, as
OpenStack's diskimage-builder does; this package is one element, written in TypeScript.

## Use

\`\`\`sh
npm install ${pkg}            # next to your dib.config.ts
dib build -t qcow2 vm debian-minimal ${name}
\`\`\`

or add \`'${name}'\` to \`elements\` in \`dib.config.ts\`. dib finds \`${pkg}\` from the
config's directory when the build names \`${name}\`.

## What it does

- \`install\` phase, stage 50, tap \`${name}-hello\`: writes \`/etc/${name}-release\` with the value of
  \`${v}\` (default \`hello from ${name}\`).

Variables:

| variable | default | meaning |
|---|---|---|
| \`${v}\` | \`hello from ${name}\` | the line written to \`/etc/${name}-release\` |

## Develop

\`\`\`sh
npm install
npm test                    # compiles, then runs the tap against a temporary tree
dib plan busybox-root ${name}   # where the tap runs among the others
dib build -t tar busybox-root ${name}   # a real build (root), in about a second
\`\`\`

\`src/index.ts\` holds the element: \`defineElement({ name, deps, environment, packages,
hostTools, apply })\`. In \`apply(build)\`, tap the phase hooks (\`build.hooks.root\`, \`extraData\`,
\`preInstall\`, \`install\`, \`postInstall\`, \`postRoot\`, \`blockDevice\`, \`preFinalise\`, \`finalise\`,
\`cleanup\`) with \`{ name, stage }\`, where \`stage\` is the number a DIB script would carry in its
name. \`@dib/core\` is a peer dependency: the dib that runs the build provides it.

## Publish

\`\`\`sh
npm publish                  # keeps the dib-element keyword so it can be found
\`\`\`
`;
  return {
    'package.json': JSON.stringify(packageJson, null, 2) + '\n',
    'tsconfig.json': JSON.stringify(tsconfig, null, 2) + '\n',
    'src/index.ts': index,
    'src/index.test.ts': test,
    'README.md': readme,
    '.gitignore': 'node_modules/\ndist/\n',
  };
}
