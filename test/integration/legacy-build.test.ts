/**
 * DIB element directories (test/fixtures/dib-elements, written the DIB way) built for real on
 * the tiny busybox root, mixed with TypeScript elements: every phase, DIB's environment,
 * environment.d, the hooks tree read-only at /tmp/in_target.d, static/, bin/,
 * source-repository-* (local git repo, local tarball, file:// URL, offline cache),
 * install-packages through dib's installer, block-device-<arch>.yaml, duplicates, failures and
 * break points.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { CLI, dib, FIXTURES, testEnv } from '../helpers/cli.js';
import { mountsUnder, mountsUnderSeenBy, pidOf } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { gitRepo } from '../helpers/git.js';

const ELEMENTS = path.join(FIXTURES, 'dib-elements');
const isRoot = process.getuid?.() === 0;
const root = isRoot ? test : test.skip;

/** A local git repo (tags v1, v2 on master), a tarball with a top directory and a plain file. */
async function sources(dir: string) {
  const repo = path.join(dir, 'repo');
  const git = await gitRepo(repo);
  await fs.writeFile(path.join(repo, 'version'), 'v1\n');
  await git('add', '.');
  await git('commit', '-qm', 'one');
  await git('tag', 'v1');
  await fs.writeFile(path.join(repo, 'version'), 'v2\n');
  await git('commit', '-qam', 'two');
  const src = path.join(dir, 'tarsrc', 'proj-1.0');
  await fs.outputFile(path.join(src, 'readme'), 'hello\n');
  await fs.outputFile(path.join(src, 'sub', 'deep'), 'deep\n');
  const tarball = path.join(dir, 'proj.tar.gz');
  await execa('tar', ['-C', path.join(dir, 'tarsrc'), '-czf', tarball, 'proj-1.0']);
  const file = path.join(dir, 'plain.txt');
  await fs.writeFile(file, 'file-content\n');
  return { repo, tarball, file };
}

root('a DIB element directory, mixed with TS elements, runs every phase the DIB way', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const src = await sources(dir);
  const r = await dib(['build', '-o', 'x', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'legacy-probe'], {
    cwd: dir,
    env: {
      ELEMENTS_PATH: ELEMENTS,
      DIB_LP_GIT_REPO: src.repo,
      DIB_LP_GIT_REF: 'v1',
      DIB_LP_TARBALL: src.tarball,
      DIB_LP_FILE: `file://${src.file}`,
    },
  });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  const tar = path.join(dir, 'x.tar');
  const list = new Set((await execa('tar', ['-tf', tar])).stdout.split('\n'));
  const cat = async (p: string) => (await execa('tar', ['-xOf', tar, p])).stdout;
  const log = (await cat('./legacy.log')).split('\n');
  const has = (line: string) => t.true(log.includes(line), `${line}\n--- legacy.log:\n${log.join('\n')}`);

  // every phase directory ran, host phases on the host, chroot phases in the chroot, in order
  const phases = log.filter((l) => / where=/.test(l)).map((l) => l.split(' ')[0]);
  t.deepEqual(phases, ['root.d', 'extra-data.d', 'pre-install.d', 'install.d', 'post-install.d', 'post-root.d', 'block-device.d', 'pre-finalise.d', 'finalise.d', 'cleanup.d']);
  t.true(log.includes('install.d 20-legacy-install where=chroot') && log.includes('root.d 50-legacy-root where=host'));
  // dib-run-parts rules: dotted and non-executable files do not run
  t.false(log.some((l) => l.startsWith('SHOULD-NOT-RUN')));

  // DIB's environment on the host
  const work0 = log.find((l) => l.startsWith('env TMP_BUILD_DIR='))!.slice('env TMP_BUILD_DIR='.length);
  t.true(work0.startsWith(path.join(work, 'dib_build.')));
  has(`env TARGET_ROOT=${work0}/mnt`);
  has(`env TMP_MOUNT_PATH=${work0}/mnt`);
  has(`env TMP_HOOKS_PATH=${work0}/hooks`);
  has('env ARCH=amd64');
  has(`env IMAGE_NAME=${path.join(dir, 'x')}`);
  has('env IMAGE_ELEMENT_YAML_HAS_PROBE=1');
  has(`env ARRAY_PROBE=${path.join(ELEMENTS, 'legacy-probe')}`);
  has('env DIB_DEFAULT_INSTALLTYPE=source');
  t.truthy(log.find((l) => l.startsWith('env IMAGE_ELEMENT=') && l.includes(' legacy-probe ') && l.includes(' ts-mixer') && l.includes(' legacy-helper ')));
  // environment.d: bytewise order (10-a before 9-b), only exports reach scripts; host and chroot
  has('env DIB_LP_ORDER=a10-b9');
  has('env DIB_LP_UNEXPORTED=unset');
  has('chroot DIB_LP_ORDER=a10-b9');
  has('chroot DIB_LP_UNEXPORTED=unset');
  has('chroot TMP_HOOKS_PATH_SET=yes');
  has('chroot home=/root');
  // the hooks tree: scripts, top-level files, no tests/; host script path is in TMP_HOOKS_PATH
  has('hooks-has-script=yes');
  has('hooks-has-readme=yes');
  has('hooks-has-tests=no');
  has(`dollar0=${work0}/hooks/root.d/50-legacy-root`);
  // chroot scripts run as /tmp/in_target.d/<phase>.d/<script>, the tree is there read-only
  has('chroot dollar0=/tmp/in_target.d/install.d/20-legacy-install');
  has('chroot in_target=yes');
  has('chroot in_target_ro=yes');
  t.false([...list].some((p) => p.startsWith('./tmp/in_target.d/') || p.startsWith('./tmp/.dib-install-packages/')));
  // bin/: on the host PATH from TMP_HOOKS_PATH/bin, in the image in /usr/local/bin (install-bin)
  has('host-tool=legacy-tool-ok');
  has('chroot tool=legacy-tool-ok');
  has('chroot tool_path=/usr/local/bin/legacy-tool');
  t.true(list.has('./usr/local/bin/legacy-tool'));
  // static/: copied onto the root, root-owned, links kept
  has('chroot static=from-static');
  const statics = (await execa('tar', ['-tvf', tar, './etc/legacy-static.conf', './usr/share/legacy/link'])).stdout;
  t.regex(statics, /^-rw-r--r-- 0\/0 .* \.\/etc\/legacy-static\.conf$/m);
  t.regex(statics, /^lrwxrwxrwx 0\/0 .* \.\/usr\/share\/legacy\/link -> target-file$/m);
  // install-types: the selected alternative only (default source; other-thing=package from environment.d)
  has('alt source dollar0=/tmp/in_target.d/install.d/40-alt');
  t.false(log.some((l) => l.startsWith('alt package')));
  has('other package');
  t.false(log.includes('other source'));
  // install-packages inside the chroot goes through dib's installer (pkg-map, then the OS element)
  has('Not running install-packages install with empty packages list');
  has('chroot empty-rc=0');
  // busybox-root has no package manager: the request is answered with a warning naming it
  has('chroot ip-rc=0');
  t.regex(r.stderr, /busybox-root has no package manager: not done: install mapped-foo/);
  // source-repository-*: git at a tag, tarball ('*' strips the top dir, '.' keeps it), file://
  t.is(await cat('./opt/src/lp-git/version'), 'v1');
  t.is(await cat('./opt/src/lp-tar/readme'), 'hello');
  t.is(await cat('./opt/src/lp-tar-dot/proj-1.0/sub/deep'), 'deep');
  t.is(await cat('./opt/src/lp-file.txt'), 'file-content');
  t.false(list.has('./opt/src/lp-pkg/'));
  t.true((await fs.readdir(path.join(dir, 'cache', 'source-repositories'))).some((f) => f.startsWith('lp-git_') && f.endsWith('.git')));
  // DIB's records of them: /etc/dib-source-repositories and the git manifest (image and x.d/)
  t.is(await cat('./etc/dib-source-repositories'), ['/opt/src/lp-git', '/opt/src/lp-tar', '/opt/src/lp-tar-dot', '/opt/src/lp-file.txt'].join('\n'));
  const v1 = (await execa('git', ['-C', src.repo, 'rev-parse', 'v1^{commit}'])).stdout.trim();
  t.is(await cat('./etc/dib-manifests/dib-manifest-git-x'), `lp-git git /opt/src/lp-git ${src.repo} ${v1}`);
  t.is(await fs.readFile(path.join(dir, 'x.d', 'dib-manifests', 'dib-manifest-git-x'), 'utf8'), `lp-git git /opt/src/lp-git ${src.repo} ${v1}\n`);

  // one ordering for TS taps and DIB scripts within the install phase
  t.deepEqual((await cat('./order.log')).split('\n'), ['alpha', '20-legacy-install', '30-legacy-helper', '55-legacy-mid', 'zulu']);
  // each script's output is logged with its element and script
  t.regex(r.stderr, /\| legacy-probe install\.d\/20-legacy-install: legacy install output line$/m);
  t.regex(r.stderr, /\| legacy-probe root\.d\/50-legacy-root: legacy root\.d output line$/m);

  // nothing mounted, work dir empty
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

root('dib plan lists DIB scripts and TS taps in one order, with their elements', async (t) => {
  const r = await dib(['plan', '--json', 'busybox-root', 'legacy-probe'], { env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 0, r.all);
  const plan = JSON.parse(r.stdout) as { elements: string[]; taps: { phase: string; name: string; stage: number; element: string; kind: string }[] };
  const install = plan.taps.filter((x) => x.phase === 'install' && ['ts-mixer', 'legacy-probe', 'legacy-helper'].includes(x.element));
  t.deepEqual(
    install.map((x) => `${x.stage} ${x.name} ${x.element} ${x.kind}`),
    ['20 alpha ts-mixer ts', '20 20-legacy-install legacy-probe script', '30 30-legacy-helper legacy-helper script', '40 40-alt legacy-probe script', '45 45-other legacy-probe script', '55 55-legacy-mid legacy-probe script', '55 zulu ts-mixer ts'],
  );
  t.deepEqual(plan.taps.filter((x) => x.phase === 'root' && x.element === 'legacy-probe').map((x) => x.name), ['50-legacy-root']);
  // legacy → npm (ts-mixer) and npm → legacy (legacy-helper) dependencies; DIB's helper
  // elements stay in the element list when depended on, as upstream (with their own deps)
  t.true(plan.elements.includes('ts-mixer') && plan.elements.includes('legacy-helper'));
  for (const helper of ['install-static', 'source-repositories', 'cache-url', 'manifests', 'package-installs']) t.true(plan.elements.includes(helper), helper);
  t.true(plan.taps.some((x) => x.phase === 'install' && x.name === 'install-static-files' && x.stage === 10 && x.element === 'install-static'));
  t.true(plan.taps.some((x) => x.phase === 'extra-data' && x.name === 'source-repositories' && x.stage === 98 && x.element === 'source-repositories'));
  const text = await dib(['plan', 'busybox-root', 'legacy-probe'], { env: { ELEMENTS_PATH: ELEMENTS } });
  t.regex(text.stdout, /^\s+20\s+20-legacy-install\s+legacy-probe \(script\)$/m);
  // DIB_INSTALLTYPE_<prefix> selects the other alternative
  const pkg = await dib(['plan', '--json', 'busybox-root', 'legacy-probe'], { env: { ELEMENTS_PATH: ELEMENTS, DIB_INSTALLTYPE_legacy_probe: 'package' } });
  t.true((JSON.parse(pkg.stdout) as typeof plan).taps.some((x) => x.name === '40-alt'));
});

root('duplicate scripts across elements are DIB\'s duplicated-hook error; so are other duplicated hooks', async (t) => {
  const dir = await tmpDir();
  const plan = await dib(['plan', 'busybox-root', 'legacy-dup-a', 'legacy-dup-b'], { env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(plan.exitCode, 1);
  t.regex(plan.stderr, /\[E_DUPLICATE_TAP\] There is a duplicated hook in your elements: install\/50-same \(elements legacy-dup-a and legacy-dup-b\)/);
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'd', '-t', 'tar', '--work-dir', work, 'busybox-root', 'legacy-envdup-a', 'legacy-envdup-b'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /There is a duplicated hook in your elements: environment\.d\/50-same-env \(elements legacy-envdup-a and legacy-envdup-b\)/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

root('a failing script fails the build naming element, phase and script with its last lines; nothing stays mounted', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'f', '-t', 'tar', '--work-dir', work, 'busybox-root', 'legacy-fail'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /dib: error \[E_TAP_FAILED\] install phase, element legacy-fail, tap 30-fail-here: script install\.d\/30-fail-here exited with status 7/);
  // the last lines (20) of its output follow the error
  const after = r.stderr.slice(r.stderr.indexOf('dib: error'));
  t.regex(after, /\| fail-here line 30\n\s+\| about to fail/);
  t.regex(after, /\| fail-here line 12/);
  t.notRegex(after, /\| fail-here line 10\n/);
  t.regex(r.stderr, /legacy-fail install\.d\/30-fail-here: fail-here line 1$/m);
  t.notRegex(r.stderr, /40-never/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
  t.false(await fs.pathExists(path.join(dir, 'f.tar')));
});

root('an environment.d fragment using an unset variable fails the phase at its first script (set -u), naming the fragment', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'e', '-t', 'tar', '--work-dir', work, 'busybox-root', 'legacy-envfail'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /install phase, element legacy-envfail, tap 10-after-env: environment\.d \(sourced once for the phase, before script install\.d\/10-after-env\) exited with status/);
  t.regex(r.stderr, /DIB_SURELY_UNSET_VARIABLE: parameter not set/);
  t.regex(r.stderr, /sourcing \/tmp\/in_target\.d\/environment\.d\/20-unset failed/);
  t.deepEqual(await mountsUnder(work), []);
});

root('block-device-<arch>.yaml of a directory element wins over its block-device-default.yaml', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'b', '-t', 'raw', '--work-dir', work, 'busybox-root', 'legacy-bd'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));
  t.regex(r.stderr, /block-device layout from .*legacy-bd\/block-device-amd64\.yaml/);
  const raw = path.join(dir, 'b.raw');
  t.is((await execa('blkid', ['-o', 'value', '-s', 'PTTYPE', raw])).stdout.trim(), 'dos');
  const label = await execa('blkid', ['-p', '-o', 'value', '-s', 'LABEL', '--offset', String(2048 * 512), raw], { reject: false });
  t.is(label.stdout.trim(), 'legacy-arch');
  // without the arch file the default one is used
  const other = await tmpDir();
  await fs.copy(path.join(ELEMENTS, 'legacy-bd'), path.join(other, 'legacy-bd'));
  await fs.remove(path.join(other, 'legacy-bd', 'block-device-amd64.yaml'));
  const p = await dib(['build', '-o', 'b2', '-t', 'tar', '--work-dir', path.join(other, 'work'), 'busybox-root', 'legacy-bd'], { cwd: other, env: { ELEMENTS_PATH: other } });
  t.is(p.exitCode, 0, p.all.split('\n').slice(-30).join('\n'));
  t.regex(p.stderr, /block-device layout from .*legacy-bd\/block-device-default\.yaml/);
  t.deepEqual(await mountsUnder(work), []);
});

root('source repositories: downloads are cached; --offline serves the cache or fails with E_OFFLINE_CACHE_MISS', async (t) => {
  const dir = await tmpDir();
  const src = await sources(dir);
  const cache = path.join(dir, 'cache');
  const build = (name: string, extra: string[], cacheDir = cache) =>
    dib(['build', '-o', name, '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', cacheDir, ...extra, 'busybox-root', 'legacy-offline'], {
      cwd: dir,
      env: { ELEMENTS_PATH: ELEMENTS, DIB_LP_OFFLINE_TARBALL: src.tarball, DIB_LP_OFFLINE_GIT: src.repo },
    });
  const online = await build('on', []);
  t.is(online.exitCode, 0, online.all.split('\n').slice(-30).join('\n'));
  t.regex(online.stderr, /source repository lp-offline: fetched/);
  // the tarball and the git repo are gone: offline still works from the cache
  await fs.remove(src.tarball);
  await fs.remove(src.repo);
  const offline = await build('off', ['--offline']);
  t.is(offline.exitCode, 0, offline.all.split('\n').slice(-30).join('\n'));
  t.regex(offline.stderr, /using cached .* \(offline\)/);
  t.is((await execa('tar', ['-xOf', path.join(dir, 'off.tar'), './opt/src/lp-offline/proj-1.0/readme'])).stdout, 'hello');
  t.is((await execa('tar', ['-xOf', path.join(dir, 'off.tar'), './opt/src/lp-offline-git/version'])).stdout, 'v2');
  // an empty cache offline: a clear error
  const miss = await build('miss', ['--offline'], path.join(dir, 'empty-cache'));
  t.is(miss.exitCode, 1);
  t.regex(miss.stderr, /\[E_OFFLINE_CACHE_MISS\] extra-data phase, element source-repositories, tap source-repositories: source repository lp-offline \(.*proj\.tar\.gz\) is not in the cache and the build is offline/);
  t.regex(miss.stderr, /hint: run the build once without --offline/);
  t.deepEqual(await mountsUnder(dir), []);
});

root('break points are refused without a terminal, with a clear message, before any work', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const flag = await dib(['build', '-o', 'k', '-t', 'tar', '--work-dir', work, '--break', 'before-install', 'busybox-root', 'legacy-helper'], { cwd: dir, env: { ELEMENTS_PATH: ELEMENTS } });
  t.is(flag.exitCode, 2, "a break point that cannot be honoured is a usage error");
  t.regex(flag.stderr, /\[E_BREAK\] break=before-install needs an interactive terminal, and none is attached/);
  const env = await dib(['build', '-o', 'k', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env: { break: 'after-error' } });
  t.is(env.exitCode, 2);
  t.regex(env.stderr, /\[E_BREAK\] break=after-error needs an interactive terminal/);
  const bad = await dib(['build', '-o', 'k', '-t', 'tar', '--work-dir', work, '--break', 'before-instal', 'busybox-root'], { cwd: dir });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /unknown break point 'before-instal' \(did you mean 'before-install'\?\)/);
  t.false(await fs.pathExists(path.join(dir, 'k.tar')));
  t.false((await fs.readdir(work).catch(() => [] as string[])).length > 0);
});

/** Run the CLI on a pseudo-terminal (util-linux script), typing `input` into it. */
async function onTerminal(args: string[], input: string, cwd: string) {
  const cmd = ['node', CLI, ...args].map((a) => `'${a}'`).join(' ');
  const r = await execa('script', ['-qec', cmd, '/dev/null'], { cwd, input, env: { ELEMENTS_PATH: ELEMENTS }, reject: false, timeout: 120_000 });
  return { exitCode: r.exitCode, out: String(r.stdout) };
}

const withScript = isRoot && fs.existsSync('/usr/bin/script') ? test : test.skip;

withScript('with a terminal, before-<phase> and after-error open a shell in the chroot with /tmp/in_target.d', async (t) => {
  const dir = await tmpDir();
  const before = await onTerminal(
    ['build', '-o', 'k', '-t', 'tar', '--work-dir', path.join(dir, 'w1'), '--break', 'before-install', 'busybox-root', 'legacy-helper'],
    'echo "IN-$(cat /etc/hostname)-$(ls /tmp/in_target.d/install.d)"\nexit\n',
    dir,
  );
  t.is(before.exitCode, 0, before.out.slice(-3000));
  t.regex(before.out, /break: before-install: starting a shell in the chroot/);
  t.regex(before.out, /IN-busybox-30-legacy-helper/);
  t.true(await fs.pathExists(path.join(dir, 'k.tar')));
  const after = await onTerminal(
    ['build', '-o', 'e', '-t', 'tar', '--work-dir', path.join(dir, 'w2'), '--break', 'after-error', 'busybox-root', 'legacy-fail'],
    'echo "AFTER-$(ls /tmp/in_target.d/install.d | tr "\\n" +)"\nexit\n',
    dir,
  );
  t.is(after.exitCode, 1, after.out.slice(-3000));
  t.regex(after.out, /break: after-error: starting a shell in the chroot/);
  t.regex(after.out, /AFTER-30-fail-here\+40-never\+/);
  t.regex(after.out, /tap 30-fail-here: script install\.d\/30-fail-here exited with status 7/);
  t.deepEqual(await mountsUnder(dir), []);
});

root('Ctrl-C during a chroot script: the script is killed, /tmp/in_target.d and the chroot are unmounted', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const child = execa('node', [CLI, 'build', '-o', 'z', '-t', 'tar', '--work-dir', work, 'busybox-root', 'legacy-sleep'], {
    cwd: dir,
    reject: false,
    all: true,
    env: testEnv({ ELEMENTS_PATH: ELEMENTS }),
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the build never reached the sleep')), 90_000);
    child.all!.on('data', (d: Buffer) => {
      if (d.toString().includes('LEGACY-SLEEPING-NOW')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  t.deepEqual(await mountsUnder(work), [], 'the build mounts in its sandbox, never in the host table');
  const during = await mountsUnderSeenBy((await pidOf('sleep 121'))!, work);
  t.true(during.some((m) => m.endsWith('/tmp/in_target.d')), during.join('\n'));
  child.kill('SIGINT');
  const r = await child;
  t.is(r.exitCode, 130, String(r.all).slice(-2000));
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
  t.false((await execa('ps', ['-eo', 'args'])).stdout.includes('sleep 121'));
});
