/**
 * The small Perl program that sits between a session's process and the server (Node only).
 *
 * Node cannot exec with a chosen argv[0] (sshd starts a login shell as `-bash`), cannot make a
 * process group leader the terminal's foreground group, and `script` (our pty allocator)
 * reports a signal death as 128+N, which sshd's exit-signal must not confuse with `exit 130`.
 * This waiter does those three things with nothing but perl-base (Debian: Essential): it
 * reports the terminal name, receives what to run over fd 3 (no quoting, no argv size limit),
 * changes to the home directory as sshd does, forks the session process as a process group
 * leader (the terminal's foreground group when there is one), and reports its exact wait
 * status (exit code, signal, core dump) on fd 3.
 *
 * Protocol on fd 3 (a socketpair from Node's spawn):
 *   waiter → server  `T <tty path or empty>\n`
 *   server → waiter  `<byte length>\n` then NUL-separated fields:
 *                    home, file, argv0, argument count, arguments…, NAME=value…
 *   waiter → server  `P <pid>\n` once the session process is forked
 *   waiter → server  `X <wait status>\n` when it has ended (the raw 16-bit status)
 */

// Kept free of single quotes so it stays one shell word inside '…' (script -c runs a shell).
// Perl's %ENV assignments call setenv() in order, so the environment keeps the order given
// (sshd's order), which a hash assignment would not.
// Only builtins, so that perl starts in a few ms: `use POSIX`, `use warnings` and a method call on
// a handle (which loads IO::File) would each add 2 to 15 ms to every session. POSIX is loaded
// only with a terminal, for tcsetpgrp. exit() stands for POSIX::_exit: nothing is buffered and
// there are no END blocks. perl's waitpid itself restarts after a handled signal.
const WAITER_SOURCE = String.raw`
open(my $c, "+<&=", 3) or exit(125);
binmode($c); select((select($c), $| = 1)[0]);
my $tty = -t STDIN ? (readlink("/proc/self/fd/0") // "") : "";
print $c "T $tty\n";
my $len = <$c>; exit(125) unless defined($len) && $len =~ /^(\d+)\n\z/; $len = $1;
my $spec = "";
while (length($spec) < $len) { my $n = read($c, $spec, $len - length($spec), length($spec)); exit(125) unless $n; }
my @f = split(/\0/, $spec, -1);
my ($home, $file, $argv0, $nargs) = splice(@f, 0, 4);
my @args = splice(@f, 0, $nargs);
unless (chdir($home)) { print STDERR "Could not chdir to home directory $home: $!\n"; chdir("/"); }
my $pid = fork();
unless (defined($pid)) { print STDERR "fork: $!\n"; print $c "X 256\n"; exit(1); }
if ($pid == 0) {
  setpgrp(0, 0);
  if ($tty ne "") { require POSIX; local $SIG{TTOU} = "IGNORE"; POSIX::tcsetpgrp(0, $$); }
  close($c);
  %ENV = ();
  for my $kv (@f) { my $i = index($kv, "="); $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1); }
  exec { $file } $argv0, @args;
  print STDERR "$file: $!\n"; exit(1);
}
print $c "P $pid\n";
$SIG{$_} = sub {} for qw(HUP INT QUIT TERM);
$SIG{PIPE} = "IGNORE";
close(STDIN); close(STDOUT); close(STDERR);
waitpid($pid, 0);
print $c "X $?\n";
exit(0);
`;

/** The waiter as a perl -e argument. */
export const WAITER_PROGRAM = WAITER_SOURCE.trim();

/** What the waiter runs: the spec it reads on fd 3. */
export interface WaiterSpec {
  /** directory to change to (sshd prints "Could not chdir to home directory …" and uses / when it cannot) */
  home: string;
  /** the program to execute */
  file: string;
  argv0: string;
  args: readonly string[];
  /** the environment, in order */
  env: readonly (readonly [string, string])[];
}

/** Encode a spec as the waiter reads it; NUL cannot occur in argv or the environment, so it is refused. */
export function encodeWaiterSpec(spec: WaiterSpec): Buffer {
  const fields = [spec.home, spec.file, spec.argv0, String(spec.args.length), ...spec.args, ...spec.env.map(([k, v]) => `${k}=${v}`)];
  for (const f of fields) if (f.includes('\0')) throw new Error('a NUL byte cannot be passed to a program');
  const body = Buffer.from(fields.join('\0'), 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/** One report line from the waiter. */
export type WaiterReport = { kind: 'tty'; path: string } | { kind: 'pid'; pid: number } | { kind: 'exit'; status: number };

/** Splits the waiter's fd-3 output into reports (lines); bytes of an unfinished line are kept. */
export class WaiterReader {
  private pending = '';

  push(chunk: Buffer): WaiterReport[] {
    this.pending += chunk.toString('latin1');
    const out: WaiterReport[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      const m = /^([TPX]) (.*)$/s.exec(line);
      if (!m) continue;
      if (m[1] === 'T') out.push({ kind: 'tty', path: m[2]! });
      else if (/^\d+$/.test(m[2]!)) out.push(m[1] === 'P' ? { kind: 'pid', pid: Number(m[2]) } : { kind: 'exit', status: Number(m[2]) });
    }
    // A well-behaved waiter sends short lines; do not grow without bound on a broken one.
    if (this.pending.length > 4096) this.pending = '';
    return out;
  }
}
