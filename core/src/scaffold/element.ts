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

/** `@acme` / `acme` → `@acme`; throws on a bad scope. */
export function normalizeScope(scope: string): string {
  const s = scope.startsWith('@') ? scope : `@${scope}`;
  if (!/^@[a-z0-9][a-z0-9._-]*$/.test(s) || s.length > 100) {
    throw new DibError('E_USAGE', `'${scope}' is not a valid npm scope`, { hint: 'use lowercase letters, digits, dots, dashes: --scope @acme' });
  }
  return s;
}

export interface ElementScaffoldOptions {
  /** the version of the dib that makes it: the package depends on this line of dib */
  coreVersion: string;
  /** npm scope: the package is `@scope/dib-element-NAME` */
  scope?: string;
}

/** The npm package name of element `name`. */
export function elementPackageName(name: string, scope?: string): string {
  return scope ? `${normalizeScope(scope)}/dib-element-${name}` : `dib-element-${name}`;
}

/** Relative path → file content of the package. */
export function elementFiles(name: string, options: ElementScaffoldOptions): Record<string, string> {
  assertElementName(name);
  const pkg = elementPackageName(name, options.scope);
  const v = greetingVar(name);
  const [major, minor] = options.coreVersion.split('.');
  const range = major === '0' ? `^0.${minor}.0` : `^${major}.0.0`;
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
    files: ['dist', 'src', '!dist/**/*.test.*', '!src/**/*.test.*'],
    scripts: {
      build: 'tsc -p .',
      test: 'tsc -p . && node --test dist/index.test.js',
      prepack: 'npm run build',
    },
    engines: { node: '>=20.19' },
    ...(options.scope ? { publishConfig: { access: 'public' } } : {}),
    // the dib that runs the build provides @dib/core; element deps go in "dependencies"
    peerDependencies: { '@dib/core': range },
    devDependencies: { '@dib/core': range, '@types/node': '^20.19.0', dib: range, typescript: '^5.9.0' },
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
 * Runs the element on dib's real hooks (\`@dib/core/testing\`): a test build of this element
 * alone, its tap run against a temporary image tree (no root or chroot needed).
 * Run it with \`npm test\`; build a real image with \`sudo npx dib build -t tar busybox-root ${name}\`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { ELEMENT_CONTRACT, isElement } from '@dib/core';
import { createTestBuild } from '@dib/core/testing';
import element from './index.js';

test('${name} is a dib element for this contract', () => {
  assert.ok(isElement(element));
  assert.equal(element.name, '${name}');
  assert.equal(element.contract, ELEMENT_CONTRACT);
});

test('the ${name}-hello tap writes /etc/${name}-release in the image tree', async () => {
  const t = await createTestBuild({ elements: [element], expand: false });
  try {
    assert.deepEqual(
      t.taps('install').map((tap) => [tap.stage, tap.name, tap.element]),
      [[50, '${name}-hello', '${name}']],
    );
    await t.runPhase('install');
    assert.equal(await readFile(path.join(t.root, 'etc', '${name}-release'), 'utf8'), 'hello from ${name}\\n');
    assert.ok(t.logs.some((l) => l.scope === '${name}' && l.message === 'wrote /etc/${name}-release'));
  } finally {
    await t.dispose();
  }
});

test('${v} set by the user wins over the default', async () => {
  const t = await createTestBuild({ elements: [element], expand: false, env: { ${v}: 'hi' } });
  try {
    await t.runTap('install', '${name}-hello');
    assert.equal(await readFile(path.join(t.root, 'etc', '${name}-release'), 'utf8'), 'hi\\n');
  } finally {
    await t.dispose();
  }
});
`;
  const readme = `# ${pkg}

A dib element: **${name}**. dib builds disk images from elements, as
OpenStack's diskimage-builder does; this package is one element, written in TypeScript.

## Use

In an image project (a directory with a \`dib.config.ts\`; \`npm create dib\` makes one):

\`\`\`sh
npx dib add ${pkg}      # npm i -D ${pkg}, and '${name}' added to the config's elements
npx dib plan            # the ${name}-hello tap in the install phase
sudo npx dib build
\`\`\`

or \`npm i -D ${pkg}\` and name \`${name}\` yourself: \`sudo npx dib build -t qcow2 vm debian-minimal ${name}\`.

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
npm test                                  # compiles, then runs the tap on dib's real hooks (@dib/core/testing)
npx dib plan busybox-root ${name}               # where the tap runs among the others
sudo npx dib build -t tar busybox-root ${name}  # a real build (root), in seconds
\`\`\`

\`src/index.ts\` holds the element: \`defineElement({ name, deps, environment, packages,
hostTools, apply })\`. In \`apply(build)\`, tap the phase hooks (\`build.hooks.root\`, \`extraData\`,
\`preInstall\`, \`install\`, \`postInstall\`, \`postRoot\`, \`blockDevice\`, \`preFinalise\`, \`finalise\`,
\`cleanup\`) with \`{ name, stage }\`, where \`stage\` is the number a DIB script would carry in its
name. \`@dib/core\` is a peer dependency: the dib that runs the build provides it. An element
named in \`deps\` needs its package in \`dependencies\` (\`npm i dib-element-OTHER\`), so that it
installs with this one; \`npx dib doctor\` lists what a build cannot find.

## Publish

\`\`\`sh
npm publish                  # builds first (prepack); keeps the dib-element keyword so it can be found
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
