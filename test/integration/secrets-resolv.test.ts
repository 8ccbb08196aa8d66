/**
 * No secrets, no host data, on real busybox-root builds through the CLI:
 *  - a password given with -e, a token in the environment, a name added by DIB_SECRET_VARS
 *    reach the script that uses them, and appear nowhere dib records: DIB_ENV, dib_environment
 *    and dib_arguments (in the image and in <name>.d), build-report.json, the log, the log file,
 *    the --json events, a failing script's error (even with tracing on);
 *  - the image's /etc/resolv.conf is its own: none when the root has none, the root's file or
 *    symlink when it has one; the chroot sees the host's while building.
 */
import test from 'ava';
import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test.serial : test.skip;

const PASSWORD = 'Hunter2-correct-horse';
const TOKEN = 'ghp_0123456789abcdefSECRET';
const PIN = '8675309';

async function element(els: string, rel: string, text: string): Promise<void> {
  const p = path.join(els, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, `#!/bin/sh\n${text}\n`);
  await chmod(p, 0o755);
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of (await readdir(dir, { recursive: true })).map(String)) {
    const p = path.join(dir, rel);
    if ((await stat(p)).isFile()) out.push(p);
  }
  return out;
}

root('secrets reach the scripts that use them and nothing dib records', async (t) => {
  const dir = await tmpDir('dib-secrets-');
  const els = path.join(dir, 'elements');
  // uses the secrets (writes them into the image, as a real element would) and prints its env
  await element(els, 'uses-secrets/install.d/50-use', 'echo "$DIB_DEV_USER_PASSWORD $MY_PIN" > /etc/app.conf; env | sort; echo "password is $DIB_DEV_USER_PASSWORD"');
  await element(els, 'uses-secrets/post-install.d/50-host-token', 'echo "host sees token $DIB_API_TOKEN"');
  await element(els, 'fails-with-secret/finalise.d/50-fail', 'echo "login failed for $DIB_DEV_USER_PASSWORD" >&2; exit 4');
  const out = path.join(dir, 'out');
  const logfile = path.join(dir, 'build.log');
  const common = ['-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(dir, 'cache'), '--logfile', logfile, '--json', '-x'];
  const env = { ELEMENTS_PATH: els, DIB_API_TOKEN: TOKEN, GITHUB_TOKEN: TOKEN, DIB_SECRET_VARS: 'MY_PIN' };
  const r = await dib(['build', '-o', path.join(out, 'img'), ...common, '-e', `DIB_DEV_USER_PASSWORD=${PASSWORD}`, '-e', `MY_PIN=${PIN}`, '-e', 'DIB_APT_KEYRING=/etc/keyring.gpg', 'busybox-root', 'uses-secrets'], { env });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-30).join('\n'));

  // they did reach the script
  const appConf = (await execa('tar', ['-xOf', path.join(out, 'img.tar'), './etc/app.conf'])).stdout;
  t.is(appConf, `${PASSWORD} ${PIN}`);
  t.regex(r.stdout, /password is <redacted>/);
  t.regex(r.stdout, /host sees token <redacted>/);

  // … and appear in nothing recorded
  const recorded: Record<string, string> = { stdout: r.stdout, stderr: r.stderr, logfile: await readFile(logfile, 'utf8') };
  for (const f of await allFiles(path.join(out, 'img.d'))) recorded[path.relative(out, f)] = await readFile(f, 'utf8');
  for (const m of ['dib_environment', 'dib_arguments']) recorded[`image ${m}`] = (await execa('tar', ['-xOf', path.join(out, 'img.tar'), `./etc/dib-manifests/${m}`])).stdout;
  t.truthy(recorded['img.d/build-report.json']);
  for (const [where, text] of Object.entries(recorded)) {
    for (const secret of [PASSWORD, TOKEN, PIN]) t.false(text.includes(secret), `${secret} appears in ${where}`);
  }
  const environment = recorded['img.d/dib-manifests/dib_environment']!;
  t.regex(environment, /^declare -x DIB_DEV_USER_PASSWORD="<redacted>"$/m);
  t.regex(environment, /^declare -x DIB_API_TOKEN="<redacted>"$/m);
  // a path named like a key is not a secret
  t.regex(environment, /^declare -x DIB_APT_KEYRING="\/etc\/keyring\.gpg"$/m);
  t.regex(recorded['img.d/dib-manifests/dib_arguments']!, /DIB_DEV_USER_PASSWORD=<redacted>/);
  t.is(recorded['image dib_environment'], environment.trimEnd());
  // every --json line is still JSON
  for (const line of r.stdout.split('\n').filter(Boolean)) JSON.parse(line);

  // a failing script's last lines in the error: redacted too
  const f = await dib(['build', '-o', path.join(dir, 'out2', 'img'), ...common.filter((a) => a !== '--json'), '-e', `DIB_DEV_USER_PASSWORD=${PASSWORD}`, 'busybox-root', 'fails-with-secret'], { env });
  t.is(f.exitCode, 1);
  t.regex(f.stderr, /login failed for <redacted>/);
  t.false(f.all.includes(PASSWORD));
});

root("the image's resolv.conf is the root's own; the chroot sees the host's while building", async (t) => {
  const dir = await tmpDir('dib-resolv-');
  const els = path.join(dir, 'elements');
  await element(els, 'shows-resolv/install.d/50-show', 'echo "resolv in chroot: $(cat /etc/resolv.conf | tr "\\n" " ")"');
  await element(els, 'own-resolv/root.d/90-own', 'echo "nameserver 192.0.2.53 # the image\'s own" > "$TARGET_ROOT/etc/resolv.conf"');
  await element(els, 'link-resolv/root.d/90-link', 'ln -s ../run/systemd/resolve/stub-resolv.conf "$TARGET_ROOT/etc/resolv.conf"');
  const host = (await readFile('/etc/resolv.conf', 'utf8').catch(() => 'nameserver 8.8.8.8\n')).split('\n')[0]!;
  const build = async (name: string, extra: string[]) => {
    const r = await dib(['build', '-o', path.join(dir, name), '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'shows-resolv', ...extra], { env: { ELEMENTS_PATH: els } });
    t.is(r.exitCode, 0, r.all.split('\n').slice(-20).join('\n'));
    t.true(r.stderr.includes(`resolv in chroot: ${host}`), 'the build resolves names with the host resolver');
    const tar = path.join(dir, `${name}.tar`);
    const list = (await execa('tar', ['-tvf', tar])).stdout.split('\n');
    return { list, line: list.find((l) => / \.\/etc\/resolv\.conf( |$)/.test(l)), cat: async () => (await execa('tar', ['-xOf', tar, './etc/resolv.conf'])).stdout };
  };
  const none = await build('none', []);
  t.is(none.line, undefined, 'no resolv.conf in an image whose root has none');
  t.false(none.list.some((l) => l.includes('resolv.conf.ORIG')));
  const own = await build('own', ['own-resolv']);
  t.is(await own.cat(), "nameserver 192.0.2.53 # the image's own");
  const link = await build('link', ['link-resolv']);
  t.regex(link.line ?? '', /\.\/etc\/resolv\.conf -> \.\.\/run\/systemd\/resolve\/stub-resolv\.conf$/);
});
