/**
 * Setting a pty's window size without native code: a one-line perl ioctl(TIOCSWINSZ) on the
 * terminal's path, which (unlike `stty rows/cols`) also sets the pixel size of RFC 4254 §6.7.
 * The kernel sends SIGWINCH to the terminal's foreground process group when the size changes.
 */
import { execFile } from 'node:child_process';
import { systemTool } from './node-tools.js';

/** TIOCSWINSZ by architecture: the asm-generic value, or the _IOW('t', 103, struct winsize) of the others. */
function tiocswinsz(): number {
  return ['ppc', 'ppc64', 'mips', 'mipsel', 'mips64', 'mips64el', 'sparc', 'sparc64'].includes(process.arch) ? 0x80087467 : 0x5414;
}

const PROGRAM = 'open(my $t, "+<", $ARGV[0]) or die "$ARGV[0]: $!\\n"; ioctl($t, $ARGV[1], pack("S4", @ARGV[2..5])) or die "TIOCSWINSZ: $!\\n";';

/** Clamp to struct winsize's unsigned short. */
function u16(n: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(n) || 0));
}

/** Set rows, columns and pixel size of the terminal at `ttyPath`. */
export function setWindowSize(ttyPath: string, cols: number, rows: number, widthPx: number, heightPx: number): Promise<void> {
  const args = ['-e', PROGRAM, ttyPath, String(tiocswinsz()), ...[rows, cols, widthPx, heightPx].map((n) => String(u16(n)))];
  return new Promise((resolve, reject) => {
    execFile(systemTool('perl'), args, { env: {} }, (err, _out, stderr) => {
      if (err) reject(new Error(`cannot set the window size of ${ttyPath}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** Run stty on the terminal at `ttyPath` with `args` (no-op without arguments). */
export function stty(ttyPath: string, args: readonly string[]): Promise<void> {
  if (args.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    execFile(systemTool('stty'), ['-F', ttyPath, ...args], { env: {} }, (err, _out, stderr) => {
      if (err) reject(new Error(`stty -F ${ttyPath} failed: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}
