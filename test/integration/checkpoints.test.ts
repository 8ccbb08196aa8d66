/**
 * Phase checkpoints on busybox-root with a DIB element directory whose scripts change between
 * builds: a rebuild runs exactly the phases from the change on, and the image holds the new
 * content — the same image, file for file, as a build without checkpoints; nothing changed:
 * the outputs come from the cache. A corrupt or truncated checkpoint is detected and made
 * again, never restored; two concurrent builds populating the same checkpoint leave one
 * intact entry; SIGKILL while a checkpoint is stored leaves nothing half-written; dib cache ls
 * and prune.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CLI, dib, testEnv } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { MARKER_VAR, newMarker, processesWithMarker } from '../helpers/fault.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';
import { DirCache } from '#core/cache/cache.js';
import { DirEntryStore } from '#core/cache/dir-entries.js';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test : test.skip;
const PHASES = ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'block-device', 'pre-finalise', 'finalise', 'cleanup'];

const script = (body: string) => ({ text: `#!/bin/sh\nset -e\n${body}\n`, mode: 0o755 });

/**
 * A DIB element that logs every phase it runs into the image, and exercises what layers must
 * get right: a hard link made at root and written through one name in the chroot, a file
 * removed, a directory renamed, the hooks directory written at extra-data and read later.
 */
async function probeElement(els: string): Promise<string> {
  const dir = path.join(els, 'cp-probe');
  await writeTree(dir, {
    'element-deps': '',
    'root.d/50-probe': script(
      [
        'echo "root v1" >> "$TARGET_ROOT/cp-probe.log"',
        'mkdir -p "$TARGET_ROOT/probe/dir"',
        'echo one > "$TARGET_ROOT/probe/linked"',
        'ln "$TARGET_ROOT/probe/linked" "$TARGET_ROOT/probe/linked-too"',
        'echo gone > "$TARGET_ROOT/probe/removed-later"',
        'echo inside > "$TARGET_ROOT/probe/dir/file"',
      ].join('\n'),
    ),
    'extra-data.d/50-probe': script('echo "from extra-data" > "$TMP_HOOKS_PATH/cp-probe-note"'),
    'install.d/50-probe': script(['echo "install v1" >> /cp-probe.log', 'cat /tmp/in_target.d/cp-probe-note >> /cp-probe.log', 'rm /probe/removed-later'].join('\n')),
    'post-root.d/50-probe': script('echo "post-root v1" >> "$TARGET_ROOT/cp-probe.log"'),
    'finalise.d/50-probe': script(['echo "finalise v1" >> /cp-probe.log', 'echo two >> /probe/linked', 'mv /probe/dir /probe/renamed'].join('\n')),
  });
  return dir;
}

interface Built {
  exitCode: number;
  all: string;
  events: Array<Record<string, unknown>>;
  /** phases that ran (their taps ran) */
  ran: string[];
  cached: string[];
  reasons: Record<string, string>;
}

async function setup() {
  const dir = await tmpDir('dib-checkpoints-');
  const els = path.join(dir, 'elements');
  const probe = await probeElement(els);
  const cache = path.join(dir, 'cache');
  const build = async (name: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Built> => {
    const r = await dib(['build', '--json', '-o', name, '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', cache, '--elements-path', els, ...extra, 'busybox-root', 'cp-probe'], {
      cwd: dir,
      env: { DIB_NO_CACHE: '', ...env },
    });
    const events = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ends = events.filter((e) => e.type === 'phase-end');
    return {
      exitCode: r.exitCode,
      all: r.all,
      events,
      ran: ends.filter((e) => e.cached === false).map((e) => String(e.phase)),
      cached: ends.filter((e) => e.cached === true).map((e) => String(e.phase)),
      reasons: Object.fromEntries(ends.filter((e) => e.reason).map((e) => [String(e.phase), String(e.reason)])),
    };
  };
  return { dir, els, probe, cache, build };
}

/** Every entry of an image tarball: type, mode, owner, size, link target or content hash; no times. */
async function treeOf(tar: string): Promise<Map<string, string>> {
  const x = await fs.mkdtemp(`${tar}.x-`);
  try {
    await execa('tar', ['-xf', tar, '-C', x, '--numeric-owner']);
    const out = await execa('find', [x, '-mindepth', '1', '-printf', '%P\t%y\t%m\t%U:%G\t%s\t%l\t%n\n']);
    const map = new Map<string, string>();
    for (const line of out.stdout.split('\n').filter(Boolean)) {
      const [p, type, ...rest] = line.split('\t');
      const hash = type === 'f' ? createHash('sha256').update(await fs.readFile(path.join(x, p!))).digest('hex').slice(0, 16) : '';
      // directory sizes are the filesystem's business
      map.set(p!, [type, ...rest.map((v, i) => (type === 'd' && i === 2 ? '' : v)), hash].join(' '));
    }
    return map;
  } finally {
    await fs.remove(x);
  }
}

async function tarFile(tar: string, p: string): Promise<string> {
  return (await execa('tar', ['-xOf', tar, p])).stdout;
}

async function sha(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

root('a changed script reruns exactly its phase onward, the image holds the new content, and is the image a build without checkpoints makes', async (t) => {
  const s = await setup();
  const cold = await s.build('img');
  t.is(cold.exitCode, 0, cold.all.slice(-3000));
  t.deepEqual(cold.ran, PHASES);
  t.deepEqual(
    cold.events.filter((e) => e.type === 'checkpoint').map((e) => `${e.checkpoint} ${e.action}`),
    ['root stored', 'post-install stored', 'post-root stored', 'image stored'],
  );
  t.is(cold.reasons.root, 'not cached yet');
  const img = path.join(s.dir, 'img.tar');
  t.is(await tarFile(img, './cp-probe.log'), 'root v1\ninstall v1\nfrom extra-data\npost-root v1\nfinalise v1');

  // a finalise.d script changes: root, post-install and post-root come from their checkpoints
  await fs.writeFile(path.join(s.probe, 'finalise.d/50-probe'), script(['echo "finalise v2" >> /cp-probe.log', 'echo two >> /probe/linked', 'mv /probe/dir /probe/renamed'].join('\n')).text);
  const late = await s.build('img');
  t.is(late.exitCode, 0, late.all.slice(-3000));
  t.deepEqual(late.cached, PHASES.slice(0, 6));
  t.deepEqual(late.ran, PHASES.slice(6));
  t.is(late.reasons.finalise, "element cp-probe's finalise.d changed");
  t.deepEqual(new Set(late.events.filter((e) => e.type === 'tap-start').map((e) => e.phase)), new Set(['block-device', 'pre-finalise', 'finalise', 'cleanup'].filter((p) => late.events.some((e) => e.type === 'tap-start' && e.phase === p))));
  t.false(late.events.some((e) => e.type === 'tap-start' && PHASES.slice(0, 6).includes(String(e.phase))), 'no tap of a cached phase ran');
  t.is(await tarFile(img, './cp-probe.log'), 'root v1\ninstall v1\nfrom extra-data\npost-root v1\nfinalise v2');
  const report = (await fs.readJson(path.join(s.dir, 'img.d', 'build-report.json'))) as { phases: Array<{ phase: string; cached: boolean; reason?: string }>; checkpoints: Array<{ name: string; action: string }> };
  t.deepEqual(report.phases.filter((p) => PHASES.includes(p.phase)).map((p) => p.cached), [true, true, true, true, true, true, false, false, false, false]);
  t.is(report.phases.find((p) => p.phase === 'finalise')!.reason, "element cp-probe's finalise.d changed");
  t.deepEqual(report.checkpoints.map((c) => `${c.name} ${c.action}`), ['root restored', 'post-install restored', 'post-root restored', 'image stored']);

  // the layers behaved as one directory: the hard link written through one name, the removed
  // file, the renamed directory, the hooks directory note from extra-data
  const tree = await treeOf(img);
  t.is(tree.get('probe/linked-too'), tree.get('probe/linked'), 'both names hold what was written through one');
  t.is(await tarFile(img, './probe/linked'), 'one\ntwo');
  t.is(tree.get('probe/linked')!.split(' ')[5], '2', 'still one file with two names');
  t.false(tree.has('probe/removed-later'));
  t.true(tree.has('probe/renamed/file') && !tree.has('probe/dir'));

  // the same inputs without checkpoints make the same tree, file for file (times aside)
  const plain = await s.build('plain', ['--no-cache']);
  t.is(plain.exitCode, 0, plain.all.slice(-3000));
  t.deepEqual(plain.cached, []);
  t.is(plain.reasons.root, 'checkpoints are off (--no-cache)');
  const a = await treeOf(img);
  const b = await treeOf(path.join(s.dir, 'plain.tar'));
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k) && !k.startsWith('etc/dib-manifests'));
  t.deepEqual(differ, [], differ.map((k) => `${k}: ${a.get(k)} | ${b.get(k)}`).join('\n'));

  // an install.d change: only root is cached, the install phase onward runs
  await fs.writeFile(path.join(s.probe, 'install.d/50-probe'), script(['echo "install v2" >> /cp-probe.log', 'cat /tmp/in_target.d/cp-probe-note >> /cp-probe.log', 'rm /probe/removed-later'].join('\n')).text);
  const mid = await s.build('img');
  t.is(mid.exitCode, 0, mid.all.slice(-3000));
  t.deepEqual(mid.cached, ['root']);
  t.is(mid.reasons.install, "element cp-probe's install.d changed");
  t.is(await tarFile(img, './cp-probe.log'), 'root v1\ninstall v2\nfrom extra-data\npost-root v1\nfinalise v2');

  // nothing changed: every phase is cached, the outputs are the last build's
  const before = await sha(img);
  const same = await s.build('img');
  t.is(same.exitCode, 0, same.all.slice(-3000));
  t.deepEqual(same.cached, PHASES);
  t.deepEqual(same.events.filter((e) => e.type === 'checkpoint').map((e) => `${e.checkpoint} ${e.action}`), ['image restored']);
  t.is(await sha(img), before);
  const out = same.events.find((e) => e.type === 'output')!;
  t.is(out.sha256, before);
  t.true(await fs.pathExists(path.join(s.dir, 'img.d', 'dib-manifests')), 'the manifests directory came back with the image');
  t.deepEqual(await mountsUnder(s.dir), []);
});

root('a corrupted or truncated checkpoint is detected, never restored, and made again', async (t) => {
  const s = await setup();
  t.is((await s.build('img')).exitCode, 0);
  const store = new DirEntryStore(new DirCache(s.cache, false), 'checkpoints');
  const rootEntry = (await store.list()).find((e) => e.manifest.meta?.group === 'root')!;
  const busybox = path.join(store.entryDir(rootEntry.manifest.key), 'tree', 'bin', 'busybox');
  const size = (await fs.stat(busybox)).size;
  await fs.truncate(busybox, 1000);
  await fs.writeFile(path.join(s.probe, 'finalise.d/50-probe'), script('echo "finalise v2" >> /cp-probe.log').text);
  const r = await s.build('img');
  t.is(r.exitCode, 0, r.all.slice(-3000));
  t.regex(r.all, /cache entry checkpoints\/root-[0-9a-f]+ is corrupt: tree\/bin\/busybox has 1000 bytes instead of \d+ \(truncated or overwritten\)/);
  t.deepEqual(r.cached, [], 'nothing was restored');
  t.regex(r.reasons.root!, /^the cached entry was corrupt/);
  // the image has the whole busybox, and the checkpoint is intact again
  const x = await execa('tar', ['-tvf', path.join(s.dir, 'img.tar'), './bin/busybox']);
  t.true(x.stdout.includes(` ${size} `), x.stdout);
  const again = await store.open(rootEntry.manifest.key);
  t.true(again.ok);
  if (again.ok) await again.entry.release();

  // a byte overwritten in place (same size) and a damaged manifest are caught too
  const post = (await store.list()).find((e) => e.manifest.meta?.group === 'post-root')!;
  const log = path.join(store.entryDir(post.manifest.key), 'tree', 'cp-probe.log');
  const fh = await fs.open(log, 'r+');
  await fs.write(fh, 'X', 0);
  await fs.close(fh);
  const installEntry = (await store.list()).find((e) => e.manifest.meta?.group === 'post-install')!;
  await fs.writeFile(store.manifestPath(installEntry.manifest.key), '{"format": 1, "kind"');
  await fs.writeFile(path.join(s.probe, 'finalise.d/50-probe'), script('echo "finalise v3" >> /cp-probe.log').text);
  const r2 = await s.build('img');
  t.is(r2.exitCode, 0, r2.all.slice(-3000));
  t.deepEqual(r2.cached, ['root'], 'post-install is corrupt (its manifest): only root is used');
  t.regex(r2.all, /checkpoints\/post-install-[0-9a-f]+ is corrupt: its manifest is unreadable/);
  t.true((await tarFile(path.join(s.dir, 'img.tar'), './cp-probe.log')).startsWith('root v1\n'));
  t.false((await tarFile(path.join(s.dir, 'img.tar'), './cp-probe.log')).includes('X'));
  t.deepEqual(await mountsUnder(s.dir), []);
});

root('two concurrent builds populating the same checkpoints leave one intact entry each', async (t) => {
  const s = await setup();
  const [a, b] = await Promise.all([s.build('a'), s.build('b')]);
  t.is(a.exitCode, 0, a.all.slice(-2000));
  t.is(b.exitCode, 0, b.all.slice(-2000));
  const store = new DirEntryStore(new DirCache(s.cache, false), 'checkpoints');
  const entries = await store.list();
  const groups = entries.map((e) => String(e.manifest.meta?.group)).sort();
  t.deepEqual(groups.filter((g) => g === 'root'), ['root'], 'one root checkpoint');
  t.is(new Set(groups).size, groups.length, `one entry per checkpoint: ${groups.join(' ')}`);
  for (const e of entries) {
    const o = await store.open(e.manifest.key);
    t.true(o.ok, `${e.manifest.key} is intact`);
    if (o.ok) await o.entry.release();
  }
  t.deepEqual((await fs.readdir(store.dir)).filter((n) => n.includes('.dib-tmp-')), []);
  // both images are whole, and a third build uses the checkpoints
  for (const n of ['a', 'b']) t.true((await tarFile(path.join(s.dir, `${n}.tar`), './cp-probe.log')).endsWith('finalise v1'));
  const c = await s.build('c');
  t.deepEqual(c.cached, PHASES.slice(0, 6));
  t.deepEqual(await mountsUnder(s.dir), []);
});

root('SIGKILL while a checkpoint is stored leaves no entry half-written; the next build makes it again', async (t) => {
  const s = await setup();
  // a root phase that makes many files: storing its checkpoint takes long enough to be caught
  await writeTree(path.join(s.els, 'many-files'), {
    'element-deps': '',
    'root.d/60-many': script('mkdir -p "$TARGET_ROOT/many"; i=0; while [ $i -lt 40 ]; do mkdir "$TARGET_ROOT/many/$i"; j=0; while [ $j -lt 400 ]; do : > "$TARGET_ROOT/many/$i/$j"; j=$((j+1)); done; i=$((i+1)); done'),
  });
  const dir = path.join(s.cache, 'checkpoints');
  await fs.ensureDir(dir);
  const work = path.join(s.dir, 'work-killed');
  const child = execa('node', [CLI, 'build', '-o', 'k', '-t', 'tar', '--work-dir', work, '--image-cache', s.cache, '--elements-path', s.els, 'busybox-root', 'cp-probe', 'many-files'], {
    cwd: s.dir,
    reject: false,
    env: testEnv({ DIB_NO_CACHE: '' }),
  });
  // the store of the root checkpoint begins with its temporary directory in the cache
  const seen = await new Promise<boolean>((resolve) => {
    const w = fs.watch(dir, (_ev, name) => {
      if (name && String(name).includes('.dib-tmp-') && String(name).startsWith('.root-')) {
        child.kill('SIGKILL');
        w.close();
        resolve(true);
      }
    });
    void child.then(() => {
      w.close();
      resolve(false);
    });
  });
  await child;
  t.true(seen, 'the build was killed while storing');
  // the killed build had no sandbox of its own yet: release what it left mounted (its work dir only)
  for (const p of (await mountsUnder(work)).sort((x, y) => y.length - x.length)) await execa('umount', ['-l', p], { reject: false });
  const store = new DirEntryStore(new DirCache(s.cache, false), 'checkpoints');
  for (const e of await store.list()) {
    const o = await store.open(e.manifest.key);
    t.true(o.ok, `a committed entry is whole: ${e.manifest.key}`);
    if (o.ok) await o.entry.release();
  }
  t.false((await store.list()).some((e) => e.manifest.meta?.group === 'root'), 'the root checkpoint was not committed');
  // the next build does not take the leftover for a checkpoint: it makes it, and clears the leftover
  const r = await dib(['build', '--json', '-o', 'k', '-t', 'tar', '--work-dir', path.join(s.dir, 'work'), '--image-cache', s.cache, '--elements-path', s.els, 'busybox-root', 'cp-probe', 'many-files'], { cwd: s.dir, env: { DIB_NO_CACHE: '' } });
  t.is(r.exitCode, 0, r.all.slice(-2000));
  t.false(r.stdout.includes('"cached":true'));
  t.deepEqual((await fs.readdir(dir)).filter((n) => n.includes('.dib-tmp-')), []);
  t.true((await store.list()).some((e) => e.manifest.meta?.group === 'root'));
  await fs.remove(work);
});

root('an element that cannot be keyed stops the checkpoints before its phase; --refresh and the age limit make them again', async (t) => {
  const s = await setup();
  await writeTree(path.join(s.els, 'unkeyed'), { 'element-deps': '', 'cache-inputs': 'none\n', 'post-root.d/50-fetch': script('echo "fetched" >> "$TARGET_ROOT/unkeyed.log"') });
  const build = (extra: string[] = [], env: Record<string, string> = {}) =>
    dib(['build', '--json', '-o', 'u', '-t', 'tar', '--work-dir', path.join(s.dir, 'work'), '--image-cache', s.cache, '--elements-path', s.els, ...extra, 'busybox-root', 'cp-probe', 'unkeyed'], { cwd: s.dir, env: { DIB_NO_CACHE: '', ...env } });
  const phasesOf = (out: string) =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === 'phase-end');
  t.is((await build()).exitCode, 0);
  const second = phasesOf((await build()).stdout);
  t.deepEqual(second.filter((e) => e.cached).map((e) => e.phase), ['root', 'extra-data', 'pre-install', 'install', 'post-install']);
  t.is(second.find((e) => e.phase === 'post-root')!.reason, 'element unkeyed cannot be cached (its cacheInputs are false)');
  const store = new DirEntryStore(new DirCache(s.cache, false), 'checkpoints');
  const made = async () => (await store.list()).map((e) => `${String(e.manifest.meta?.group)} ${e.manifest.instance}`).sort();
  const first = await made();
  const refreshed = phasesOf((await build(['--refresh'])).stdout);
  t.deepEqual(refreshed.filter((e) => e.cached), []);
  t.is(refreshed[0]!.reason, 'made again (--refresh)');
  const remade = await made();
  t.is(remade.length, first.length, 'one entry per checkpoint still');
  t.deepEqual(remade.filter((x) => first.includes(x)), [], 'the refreshed checkpoints replaced the old ones');
  t.deepEqual(phasesOf((await build()).stdout).filter((e) => e.cached).map((e) => e.phase), ['root', 'extra-data', 'pre-install', 'install', 'post-install'], 'and are used');
  const aged = phasesOf((await build([], { DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '0' })).stdout);
  t.regex(String(aged[0]!.reason), /^it is 0\.0 days old \(DIB_DEBOOTSTRAP_CACHE_MAX_AGE=0\)$/);
  t.deepEqual((await made()).filter((x) => remade.includes(x)), [], 'a checkpoint made again for its age replaces the old one');
  // offline, the age limit does not apply: what is cached is used
  const offline = phasesOf((await build(['--offline'], { DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '0' })).stdout);
  t.true(offline[0]!.cached as boolean);
  const both = await build(['--offline', '--refresh']);
  t.is(both.exitCode, 2);
  t.regex(both.all, /--refresh and --offline cannot go together/);
});

root('dib cache ls lists entries with size, age and image; prune keeps what a running build uses', async (t) => {
  const s = await setup();
  // (the build's mounts are in its sandbox: the second build is seen by the marker its finalise script carries)
  const marker = newMarker();
  t.is((await s.build('img', [], { [MARKER_VAR]: marker })).exitCode, 0);
  const ls = await dib(['cache', 'ls', '--image-cache', s.cache]);
  t.is(ls.exitCode, 0, ls.all);
  t.regex(ls.stdout, /^KIND\s+KEY\s+SIZE\s+AGE\s+USED\s+HOLDS\s+IMAGE$/m);
  t.regex(ls.stdout, /^checkpoints\s+root-[0-9a-f]{32}\s+[\d.]+ [KM]iB\s+\d+s\s+\d+s\s+after root\s+.*\/img$/m);
  t.regex(ls.stdout, /^outputs\s+image-[0-9a-f]{32}\s+/m);
  const json = JSON.parse((await dib(['cache', 'ls', '--json', '--image-cache', s.cache])).stdout) as { entries: Array<{ kind: string; key: string; bytes: number }> };
  t.is(json.entries.length, 4);
  t.true(json.entries.every((e) => e.bytes > 0));
  t.is((await dib(['cache', 'prune', '--older-than', 'soon', '--image-cache', s.cache])).exitCode, 2);
  t.is((await dib(['cache', 'frob', '--image-cache', s.cache])).exitCode, 2);
  // nothing is that old
  const none = await dib(['cache', 'prune', '--older-than', '1d', '--image-cache', s.cache]);
  t.regex(none.stdout, /removed 0 entries/);

  // a build that has restored the checkpoints and sleeps in finalise holds them
  await fs.writeFile(path.join(s.probe, 'finalise.d/50-probe'), script('echo "finalise v2" >> /cp-probe.log; sleep 4').text);
  const running = s.build('img', [], { [MARKER_VAR]: marker });
  const store = new DirEntryStore(new DirCache(s.cache, false), 'checkpoints');
  for (let i = 0; i < 300 && !(await processesWithMarker(marker)).some((p) => p.cmd === 'sleep 4'); i++) await new Promise((r) => setTimeout(r, 100));
  t.true((await processesWithMarker(marker)).some((p) => p.cmd === 'sleep 4'), 'the build is in its finalise script');
  const pruned = await dib(['cache', 'prune', '--image-cache', s.cache]);
  t.is(pruned.exitCode, 0, pruned.all);
  t.regex(pruned.stdout, /kept checkpoints\/root-[0-9a-f]+: a running build is using it/);
  t.regex(pruned.stdout, /removed outputs\/image-/);
  const ran = await running;
  t.is(ran.exitCode, 0);
  t.deepEqual(ran.cached, ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root'], 'it had restored them');
  t.is((await store.list()).length, 3, 'the three checkpoints stayed');
  const all = await dib(['cache', 'prune', '--image-cache', s.cache]);
  t.regex(all.stdout, /removed 4 entries/);
  t.deepEqual((await dib(['cache', 'ls', '--image-cache', s.cache])).stdout.trim(), `${s.cache}: no cache entries`);
});
