/**
 * dib-init: the process that is PID 1 of every PID namespace dib makes (the build's sandbox and
 * each command's own namespace), in the spirit of tini and of the init systemd-nspawn and
 * bubblewrap put in front of their payload.
 *
 * It runs one command as its only child, forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 to it (PID 1 of a namespace receives only the signals it has handlers for), reaps every
 * orphan that is re-parented to it, and when the command — the main process — exits, it names on
 * fd 3 every process still alive in the namespace before exiting itself: the kernel then kills
 * them all (a PID namespace dies with its init). So a command is finished when its main process
 * exits, whatever it left running, and nothing it started outlives it.
 *
 * Lines on fd 3 (when fd 3 is open; it is closed for the command):
 *   `left <pid> <command line>`   a process still running when the main process exited
 *                                 (pid as the namespace sees it, what `$!` gave the script)
 *   `exec <errno> <message>`      the command could not be started
 *   `status exit <n>` / `status signal <n>`  how the main process ended
 * The exit status is the command's, or 128 + the signal that killed it.
 *
 * Written in Perl because perl-base is Essential on Debian and Ubuntu (always there, starts in a
 * millisecond or two); it runs outside the chroot, so the image needs nothing.
 */
import { readFileSync } from 'node:fs';
import { findTool } from '../util/find-tool.js';

export const INIT_SCRIPT = String.raw`
use strict;
# no modules (POSIX alone costs 20 ms a start); Linux values: F_SETFD 2, FD_CLOEXEC 1, WNOHANG 1, EINTR 4
$0 = 'dib-init';
delete $ENV{DIB_INIT_PL};
sub slurp { my ($p) = @_; open(my $f, '<', $p) or return undef; local $/; my $t = <$f>; return $t; }
my $rep;
if (open($rep, '>&=', 3)) {
    fcntl($rep, 2, 1);                    # the command does not get fd 3
    select((select($rep), $| = 1)[0]);
} else {
    undef $rep;
}
my $pid = fork();
if (!defined $pid) { print $rep "exec " . ($!+0) . " fork: $!\n" if $rep; exit 127; }
if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP QUIT USR1 USR2 PIPE CHLD);
    exec { $ARGV[0] } @ARGV;
    print $rep "exec " . ($!+0) . " $!\n" if $rep;
    CORE::exit(127);
}
for my $s (qw(TERM INT HUP QUIT USR1 USR2)) { $SIG{$s} = sub { kill $s, $pid; }; }
my $status;
while (1) {
    my $w = waitpid(-1, 0);
    if ($w == -1) { last unless $! == 4; next; }
    if ($w == $pid) { $status = $?; last; }
}
my $r;
1 while ($r = waitpid(-1, 1)) > 0;
# no child left (waitpid: ECHILD) means the namespace holds nobody else: orphans are re-parented to us
if ($rep && $r == 0) {
    my $self = readlink('/proc/self') // '';
    my $me = readlink('/proc/self/ns/pid') // '';
    opendir(my $dh, '/proc');
    for my $n (sort { $a <=> $b } grep { /^\d+$/ } readdir($dh)) {
        next if $n eq $self;
        my $st = slurp("/proc/$n/status") // next;
        next if $st =~ /^State:\s+[ZX]/m;
        my $ns_pid = $n;
        if ($self ne '1') {
            # /proc is the parent namespace's: keep the processes of this namespace
            next unless (readlink("/proc/$n/ns/pid") // '') eq $me;
            ($ns_pid) = $st =~ /^NSpid:.*\s(\d+)\s*$/m;
            $ns_pid //= $n;
        }
        my $cmd = slurp("/proc/$n/cmdline") // '';
        $cmd =~ s/\0+$//; $cmd =~ s/\0/ /g; $cmd =~ s/[\r\n]/ /g;
        if ($cmd eq '') { ($cmd) = $st =~ /^Name:\s+(.*)$/m; $cmd = "[$cmd]"; }
        print $rep "left $ns_pid $cmd\n";
    }
}
if ($status & 127) {
    print $rep "status signal " . ($status & 127) . "\n" if $rep;
    exit(128 + ($status & 127));
}
print $rep "status exit " . ($status >> 8) . "\n" if $rep;
exit($status >> 8);
`;

/** The direct children of `pid` (util-linux unshare's one child is the namespace's dib-init). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** kill(2), ignoring a process that is already gone. */
export function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** The variable that carries the script to perl (so that `ps` shows a short command line). */
export const INIT_ENV = 'DIB_INIT_PL';

/** The programs that make a PID namespace with dib-init in it, as absolute paths. */
export interface NamespaceTools {
  setpriv: string;
  unshare: string;
  perl: string;
}

/** Debian package of each tool. */
export const NAMESPACE_TOOL_PACKAGES: Readonly<Record<keyof NamespaceTools, string>> = { setpriv: 'util-linux', unshare: 'util-linux', perl: 'perl-base' };

/** The tools on PATH, or the name of the first one missing. */
export function findNamespaceTools(pathEnv = process.env.PATH): NamespaceTools | { missing: keyof NamespaceTools } {
  const found: Partial<NamespaceTools> = {};
  for (const name of Object.keys(NAMESPACE_TOOL_PACKAGES) as (keyof NamespaceTools)[]) {
    const p = findTool(name, pathEnv);
    if (!p) return { missing: name };
    found[name] = p;
  }
  return found as NamespaceTools;
}

/**
 * argv that runs `command` as the only child of dib-init, PID 1 of a new PID namespace:
 * `setpriv --pdeathsig KILL` (it dies with the process that starts it, even by SIGKILL) `unshare
 * --pid --fork --kill-child=SIGKILL` (dib-init dies with unshare). A `sandbox` also gets a
 * private mount namespace and a /proc of its own. Run it with {@link namespaceEnv}.
 */
export function namespaceArgv(t: NamespaceTools, kind: 'command' | 'sandbox', command: readonly string[]): [string, string[]] {
  const ns = kind === 'sandbox' ? ['--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc'] : ['--pid', '--fork'];
  return [t.setpriv, ['--pdeathsig', 'KILL', t.unshare, ...ns, '--kill-child=SIGKILL', t.perl, '-e', `eval $ENV{${INIT_ENV}}; die $@ if $@; exit 127`, '--', ...command]];
}

/** The environment for {@link namespaceArgv}: `env` plus dib-init's script (removed before the command runs). */
export function namespaceEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out[INIT_ENV] = INIT_SCRIPT;
  return out;
}

/** What dib-init reported on fd 3 about one command. */
export interface InitReport {
  /** processes still running when the main process exited (the kernel killed them) */
  left: { pid: number; command: string }[];
  /** the command could not be started: errno and message */
  execError?: { errno: number; message: string };
  /** how the main process ended */
  exit?: { code: number } | { signal: number };
}

/** Parse dib-init's fd-3 lines. */
export function parseInitReport(text: string): InitReport {
  const report: InitReport = { left: [] };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^left (\d+) (.*)$/.exec(line))) report.left.push({ pid: Number(m[1]), command: m[2]! });
    else if ((m = /^exec (\d+) (.*)$/.exec(line))) report.execError = { errno: Number(m[1]), message: m[2]! };
    else if ((m = /^status exit (\d+)$/.exec(line))) report.exit = { code: Number(m[1]) };
    else if ((m = /^status signal (\d+)$/.exec(line))) report.exit = { signal: Number(m[1]) };
  }
  return report;
}
