/** The command-line parser and help generated from the command and settings tables. */
import test from 'ava';
import { commandOptions, parseArgv, parseCommandArgs, settingOverrides, helpRequested } from '#core/cli/args.js';
import { COMMANDS, commandSpec } from '#core/cli/commands.js';
import { recordedArguments } from '#core/cli/recorded-args.js';
import { formatHelp } from '#core/cli/help.js';
import { SETTINGS } from '#core/config/settings.js';
import type { DibError } from '@dib/core';

const build = (argv: string[]) => parseCommandArgs('build', argv);

test('values that start with - work as --opt VALUE and --opt=VALUE (getopt)', (t) => {
  for (const argv of [
    ['--mkfs-options', '-m 1', 'busybox-root'],
    ['--mkfs-options=-m 1', 'busybox-root'],
    ['busybox-root', '--mkfs-options', '-m 1'],
  ]) {
    const p = build(argv);
    t.is(p.values.get('mkfs-options'), '-m 1', argv.join(' '));
    t.deepEqual(p.positionals, ['busybox-root']);
  }
  t.is(build(['-o', '-weird']).values.get('output'), '-weird');
  t.is(build(['-o-weird']).values.get('output'), '-weird');
  t.is(build(['--output=']).values.get('output'), '');
});

test('short options bundle and repeat; -- ends the options', (t) => {
  const p = build(['-xxun', '-ofile', '-t', 'qcow2,tar', '-t', 'raw', '--', '-not-an-option']);
  t.is(p.values.get('trace'), 2);
  t.true(p.values.has('uncompressed') && p.values.has('skip-base'));
  t.is(p.values.get('output'), 'file');
  t.deepEqual(p.values.get('type'), ['qcow2,tar', 'raw']);
  t.deepEqual(p.positionals, ['-not-an-option']);
  const o = settingOverrides(p, 'all');
  t.deepEqual(o.overrides.types, ['qcow2', 'tar', 'raw']);
  t.is(o.overrides.compress, false);
  t.is(o.overrides.skipBase, true);
  t.deepEqual(o.overrides.elements, ['-not-an-option']);
  t.is(o.labels.types, '--type');
});

test('unknown options, missing values and values given to switches are E_USAGE with a hint', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--chcksum'], /unknown option --chcksum \(did you mean '--checksum'\?\)/],
    [['--image-size'], /--image-size needs a value \(SIZE\)/],
    [['-o'], /-o\/--output needs a value \(NAME\)/],
    [['--checksum=yes'], /--checksum takes no value/],
    [['-z'], /unknown option -z/],
    [['-xz'], /unknown option -z \(in -xz\)/],
  ];
  for (const [argv, re] of cases) {
    const e = t.throws(() => build(argv)) as unknown as DibError;
    t.is(e.code, 'E_USAGE', argv.join(' '));
    t.regex(e.message, re);
    t.is(e.hint, "see 'dib build --help'");
    t.is(e.exitCode, 2);
  }
});

test('setting flags parse into config values; bad text is a problem naming the flag', (t) => {
  const o = settingOverrides(build(['--image-size', '4', '--image-extra-size', '512', '--mkfs-journal-size', '16', '--max-online-resize', '274877906944', '-e', 'A=1', '-e', 'B=x=y', '--elements-path', 'a:b,c']), 'all');
  t.is(o.overrides.imageSize, 4);
  t.is(o.overrides.imageExtraSize, 512);
  t.is(o.overrides.mkfsJournalSize, 16);
  t.is(o.overrides.maxOnlineResize, 274877906944);
  t.deepEqual(o.overrides.env, { A: '1', B: 'x=y' });
  t.deepEqual(o.overrides.elementsPath, ['a', 'b', 'c']);
  t.is(settingOverrides(build(['--image-size', '4GiB']), 'all').overrides.imageSize, '4GiB');
  const bad = settingOverrides(build(['-e', 'NOEQUALS']), 'all');
  t.deepEqual(bad.problems.map((p) => [p.where, p.path, p.message]), [['command line', '--env', "'NOEQUALS' is not NAME=VALUE"]]);
});

test('every command: options unique, help in one style listing every option by its long name', (t) => {
  for (const spec of COMMANDS) {
    const opts = commandOptions(spec);
    const longs = opts.map((o) => o.long);
    const shorts = opts.filter((o) => o.short).map((o) => o.short);
    t.deepEqual([...new Set(longs)], longs, `${spec.name}: duplicate long option`);
    t.deepEqual([...new Set(shorts)], shorts, `${spec.name}: duplicate short option`);
    const help = formatHelp(spec);
    t.true(help.startsWith(`Usage: dib ${spec.name} `), spec.name);
    for (const o of opts) t.true(help.includes(`--${o.long}`), `${spec.name} --help lacks --${o.long}`);
    t.true(help.includes('  -h, --help'), spec.name);
    t.false(help.split('\n').some((l) => l.length > 100), `${spec.name}: a help line is longer than 100 columns`);
    t.true(helpRequested(spec.name, ['--help']));
  }
  // build's help shows what it used to hide
  const help = formatHelp(commandSpec('build')!);
  for (const f of ['--type', '--output', '--arch', '--trace', '--skip-base', '--packages', '--uncompressed', '--mkfs-journal-size', '--qemu-img-options', '--image-extra-size', '--max-online-resize', '--clear-env']) {
    t.true(help.includes(f), f);
  }
  t.regex(help, /--image-size SIZE\s+image size.*\[imageSize, \$DIB_IMAGE_SIZE\]/s);
  t.regex(help, /--no-tmpfs\s+dib never builds in a tmpfs/);
});

test('every setting with a flag is an option of build, plan, packages and config', (t) => {
  for (const name of ['build', 'plan', 'packages', 'config']) {
    const longs = new Set(commandOptions(commandSpec(name)!).map((o) => o.long));
    for (const [k, s] of Object.entries(SETTINGS)) if ('flag' in s && s.flag) t.true(longs.has(s.flag.long), `${name} lacks --${s.flag.long} (${k})`);
  }
});

test('help is asked for even among arguments that do not parse', (t) => {
  t.true(helpRequested('build', ['--bogus', '--help']));
  t.false(helpRequested('build', ['--mkfs-options', '-h']), 'a value is not a switch');
  t.false(helpRequested('build', ['--', '-h']));
  t.deepEqual(parseArgv('x', ['-h'], [{ long: 'help', short: 'h', doc: '' }]).values.get('help'), true);
});

test("dib_arguments: dib's cache and reporting switches are not recorded in the image; DIB's options are", (t) => {
  t.deepEqual(
    recordedArguments(['-o', 'img', '--no-cache', '-t', 'qcow2', '--json', '--tap-timeout', '30', '--refresh', '--tap-timeout=5', '--check-reproducible', '--logfile', 'x.log', 'vm', 'debian-minimal']),
    ['-o', 'img', '-t', 'qcow2', '--logfile', 'x.log', 'vm', 'debian-minimal'],
  );
  t.deepEqual(recordedArguments(['vm', '--', '--json']), ['vm', '--', '--json']);
});
