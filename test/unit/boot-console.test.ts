import test from 'ava';
import { classifyConsoleLine, cleanConsoleText, ConsoleWatcher } from '#core/boot/console.js';

function feedAll(chunks: string[]) {
  const w = new ConsoleWatcher();
  const lines: string[] = [];
  const verdicts = [];
  for (const c of chunks) {
    const u = w.feed(c);
    lines.push(...u.lines);
    if (u.verdict) verdicts.push(u.verdict);
  }
  return { w, lines, verdicts };
}

test('a login prompt without newline is success', (t) => {
  const { verdicts, lines, w } = feedAll(['Debian GNU/Linux 12 debian ttyS0\r\n\r\n', 'debian login: ']);
  t.deepEqual(lines, ['Debian GNU/Linux 12 debian ttyS0', '']);
  t.deepEqual(verdicts, [{ kind: 'login', ok: true, line: 'debian login:' }]);
  t.is(w.flush(), 'debian login: ');
  t.is(w.flush(), undefined);
});

test('a login prompt split across chunks is found', (t) => {
  const { verdicts } = feedAll(['deb', 'ian lo', 'gin', ':', ' ']);
  t.is(verdicts.length, 1);
  t.is(verdicts[0]!.kind, 'login');
});

test('kernel panic is failure, with its line', (t) => {
  const { verdicts } = feedAll(['[    5.45] Kernel pa', 'nic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n']);
  t.deepEqual(verdicts, [{ kind: 'panic', ok: false, line: '[    5.45] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)' }]);
});

test('only the first verdict counts', (t) => {
  const { verdicts, w } = feedAll(['Kernel panic - not syncing: x\n', 'host login: ']);
  t.is(verdicts.length, 1);
  t.is(w.verdict?.kind, 'panic');
});

test('ANSI escape sequences (colours, cursor moves, OSC) are removed, also when split', (t) => {
  const { lines, verdicts } = feedAll([
    '\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: starting\r\n',
    '[  \x1b[0;32mOK  \x1b[0m] Started \x1b[0;1;39mgetty@tty1.service\x1b[0m.\r\n',
    '\x1b]0;title\x07plain\r\n',
    'myhost lo\x1b[',
    '0mgin: \x1b[?25h',
  ]);
  t.deepEqual(lines, ['BdsDxe: starting', '[  OK  ] Started getty@tty1.service.', 'plain']);
  t.is(verdicts[0]?.kind, 'login');
});

test('login-like chatter is not a prompt', (t) => {
  t.is(classifyConsoleLine('Last login: Mon Jan  1 00:00:00 UTC 2024 on ttyS0'), undefined);
  t.is(classifyConsoleLine('         Starting systemd-logind.service - User Login Management...'), undefined);
  t.is(classifyConsoleLine('[  OK  ] Started systemd-logind.service - User Login Management.'), undefined);
  t.is(classifyConsoleLine('xlogin: '), undefined);
  t.is(classifyConsoleLine('login: ')?.kind, 'login');
  t.is(classifyConsoleLine('ubuntu-noble login:', true)?.kind, 'login');
  // a panic is only taken from complete lines (its text continues on the same line)
  t.is(classifyConsoleLine('Kernel panic - not syncing', true), undefined);
});

test('emergency mode and the initramfs shell are failures', (t) => {
  t.like(classifyConsoleLine('You are in emergency mode. After logging in, type "journalctl -xb" to view'), { kind: 'emergency', ok: false });
  t.like(classifyConsoleLine('Give root password for maintenance', true), { kind: 'emergency', ok: false });
  t.like(classifyConsoleLine('(initramfs) ', true), { kind: 'initramfs', ok: false });
  t.like(classifyConsoleLine('Gave up waiting for root file system device.  Common problems:'), { kind: 'initramfs' });
});

test('cleanConsoleText drops carriage returns and control characters', (t) => {
  t.is(cleanConsoleText('a\rb\x07c\x00d\te'), 'abcd\te');
  t.is(cleanConsoleText('half \x1b[0;3'), 'half ');
});

test('a runaway line without newline is emitted to bound memory', (t) => {
  const w = new ConsoleWatcher();
  const u = w.feed('x'.repeat(70 * 1024));
  t.is(u.lines.length, 1);
  t.is(u.lines[0]!.length, 70 * 1024);
});
