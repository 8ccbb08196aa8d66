/**
 * Upstream's own functional tests (the `test-elements` of python3-diskimage-builder's elements),
 * run the way upstream's tests/run_functests.sh runs them: `<element> <test-element>` with
 * skip-base, debug trace, the test's output formats (tar by default), ELEMENTS_PATH holding the
 * element's test-elements, and the after-error harness
 *   break=after-error break_outside_target=1 break_cmd="cp -v $TMP_MOUNT_PATH/tmp/dib-test-should-fail DEST || true"
 * A test passes when the build succeeds without leaving the sentinel in the image, or fails
 * after copying it out (upstream's "should fail" tests).
 *
 * Upstream elements dib does not build in (apt-sources, openstack-ci-mirrors, …) are put on
 * ELEMENTS_PATH one by one, so they never replace dib's built-ins. Tests of distributions this
 * host cannot bootstrap are skipped; apt-sources/test-sources (which tests environment.d and
 * the harness, not Ubuntu) runs on debian-minimal instead of ubuntu-minimal when Ubuntu's
 * archive or its keyring is missing — its scripts are upstream's, unchanged.
 * By default CI runs apt-sources/test-sources, with the caller's DIB_RELEASE=bookworm (the
 * release this project pins; the test sets none). upstream's debian-minimal tests build
 * `stable`/`testing` (their environment.d sets it, as run_functests.sh passes no release);
 * DIB_TEST_UPSTREAM=all runs them too, on hosts whose clock and mirror serve current
 * stable-updates (run_functests.sh skips them by default as well).
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { TEST_CACHE, TEST_MIRROR } from '../helpers/debian-root.js';
import { HAVE_UPSTREAM, UPSTREAM_ELEMENTS } from '../helpers/upstream.js';

const PLUGINS = path.resolve(import.meta.dirname, '../../../plugins');

async function reachable(url: string, expect: RegExp): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return res.ok && expect.test((await res.text()).slice(0, 200));
  } catch {
    return false;
  }
}

const debian = HAVE_UPSTREAM && (await reachable(`${TEST_MIRROR}/dists/bookworm/Release`, /^Origin: Debian/m));
// ubuntu-minimal needs Ubuntu's archive and, on the host, its keyring (not packaged by Debian 12)
const ubuntu = HAVE_UPSTREAM && fs.existsSync('/usr/share/keyrings/ubuntu-archive-keyring.gpg') && (await reachable('http://archive.ubuntu.com/ubuntu/dists/noble/Release', /^Origin: Ubuntu/m));
const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/mmdebstrap') && debian;
const ALL = process.env.DIB_TEST_UPSTREAM === 'all';

interface FuncTest {
  element: string;
  testElement: string;
  /** run by default (else only with DIB_TEST_UPSTREAM=all) */
  ci: boolean;
  /** the caller's environment, as an operator running run_functests.sh sets it */
  env?: Record<string, string>;
}

const TESTS: FuncTest[] = [
  { element: 'apt-sources', testElement: 'test-sources', ci: true, env: { DIB_RELEASE: 'bookworm' } },
  { element: 'debian-minimal', testElement: 'stable-build-succeeds', ci: false },
  { element: 'debian-minimal', testElement: 'stable-vm', ci: false },
  { element: 'debian-minimal', testElement: 'testing-build-succeeds', ci: false },
];

/** ELEMENTS_PATH entries: the test-elements, and the upstream elements dib does not have, one link each. */
async function elementsPath(dir: string, element: string, testElements: string): Promise<string> {
  const builtIn = new Set(await fs.readdir(PLUGINS));
  const extra = path.join(dir, 'upstream-only');
  await fs.ensureDir(extra);
  for (const e of await fs.readdir(UPSTREAM_ELEMENTS)) {
    const src = path.join(UPSTREAM_ELEMENTS, e);
    if (builtIn.has(e) || e.startsWith('__') || !(await fs.stat(src)).isDirectory()) continue;
    await fs.symlink(src, path.join(extra, e));
  }
  return `${testElements}:${extra}`;
}

async function runFuncTest(t: import('ava').ExecutionContext, ft: FuncTest): Promise<void> {
  const dir = await tmpDir();
  const dest = path.join(dir, 'dest');
  await fs.ensureDir(dest);
  let testElements = path.join(UPSTREAM_ELEMENTS, ft.element, 'test-elements');
  const src = path.join(testElements, ft.testElement);
  const deps = (await fs.readFile(path.join(src, 'element-deps'), 'utf8').catch(() => '')).split('\n').map((l) => l.trim());
  if (deps.includes('ubuntu-minimal') && !ubuntu) {
    // the same test element, its OS element swapped for one this machine can bootstrap
    testElements = path.join(dir, 'test-elements');
    await fs.copy(src, path.join(testElements, ft.testElement), { dereference: true });
    await fs.writeFile(path.join(testElements, ft.testElement, 'element-deps'), deps.map((d) => (d === 'ubuntu-minimal' ? 'debian-minimal' : d)).filter(Boolean).join('\n') + '\n');
    t.log('no Ubuntu archive or keyring here: ubuntu-minimal → debian-minimal in element-deps');
  }
  const formats = (await fs.readFile(path.join(src, 'test-output-formats'), 'utf8').catch(() => 'tar')).trim();
  const t0 = Date.now();
  const r = await dib(['build', '-x', '-n', '-o', path.join(dest, 'image'), '-t', formats, '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(TEST_CACHE, 'dib'), ft.element, ft.testElement], {
    cwd: dir,
    timeout: 40 * 60 * 1000,
    env: {
      ELEMENTS_PATH: await elementsPath(dir, ft.element, testElements),
      DIB_SHOW_IMAGE_USAGE: '1',
      ...(process.env.DIB_TEST_DEBIAN_MIRROR ? { DIB_DEBIAN_DISTRIBUTION_MIRROR: process.env.DIB_TEST_DEBIAN_MIRROR } : {}),
      ...ft.env,
      break: 'after-error',
      break_outside_target: '1',
      break_cmd: `cp -v $TMP_MOUNT_PATH/tmp/dib-test-should-fail ${dest} || true`,
    },
  });
  t.log(`${ft.element}/${ft.testElement}: exit ${r.exitCode} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const tail = r.all.split('\n').slice(-40).join('\n');
  if (r.exitCode === 0) {
    if (formats.includes('qcow2')) t.true(await fs.pathExists(path.join(dest, 'image.qcow2')), tail);
    if (formats.includes('tar')) {
      t.true(await fs.pathExists(path.join(dest, 'image.tar')), tail);
      const members = (await execa('tar', ['-tf', path.join(dest, 'image.tar')])).stdout;
      t.false(members.includes('/tmp/dib-test-should-fail'), `${ft.element}/${ft.testElement} should have failed, but passed`);
    }
  } else {
    t.true(await fs.pathExists(path.join(dest, 'dib-test-should-fail')), `Build failed for element: ${ft.element}, test-element: ${ft.testElement}\n${tail}`);
  }
  t.deepEqual(await mountsUnder(path.join(dir, 'work')), []);
}

for (const ft of TESTS) {
  const title = `upstream functional test ${ft.element}/${ft.testElement}`;
  if (!canRun || !(ft.ci || ALL)) test.skip(title, () => undefined);
  else test.serial(title, async (t) => {
    t.timeout(40 * 60 * 1000);
    await runFuncTest(t, ft);
  });
}
