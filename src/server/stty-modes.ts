/**
 * Terminal modes of a pty-req (RFC 4254 §8, RFC 8160) as stty(1) arguments, so a pty allocated
 * without native code gets the client's settings, as sshd's tty_parse_modes applies them.
 * Modes Linux has no setting for (VDSUSP, VSTATUS, VSWTCH, VFLUSH) are skipped, as sshd skips
 * what the platform lacks.
 */
import { TERMINAL_MODE } from '../connection/pty.js';

const M = TERMINAL_MODE;

/** Special characters: opcode → stty name. */
const CHARS = new Map<number, string>([
  [M.VINTR, 'intr'],
  [M.VQUIT, 'quit'],
  [M.VERASE, 'erase'],
  [M.VKILL, 'kill'],
  [M.VEOF, 'eof'],
  [M.VEOL, 'eol'],
  [M.VEOL2, 'eol2'],
  [M.VSTART, 'start'],
  [M.VSTOP, 'stop'],
  [M.VSUSP, 'susp'],
  [M.VREPRINT, 'rprnt'],
  [M.VWERASE, 'werase'],
  [M.VLNEXT, 'lnext'],
  [M.VDISCARD, 'discard'],
]);

/** Boolean flags: opcode → stty name (argument 0 clears, anything else sets). */
const FLAGS = new Map<number, string>([
  [M.IGNPAR, 'ignpar'],
  [M.PARMRK, 'parmrk'],
  [M.INPCK, 'inpck'],
  [M.ISTRIP, 'istrip'],
  [M.INLCR, 'inlcr'],
  [M.IGNCR, 'igncr'],
  [M.ICRNL, 'icrnl'],
  [M.IUCLC, 'iuclc'],
  [M.IXON, 'ixon'],
  [M.IXANY, 'ixany'],
  [M.IXOFF, 'ixoff'],
  [M.IMAXBEL, 'imaxbel'],
  [M.IUTF8, 'iutf8'],
  [M.ISIG, 'isig'],
  [M.ICANON, 'icanon'],
  [M.XCASE, 'xcase'],
  [M.ECHO, 'echo'],
  [M.ECHOE, 'echoe'],
  [M.ECHOK, 'echok'],
  [M.ECHONL, 'echonl'],
  [M.NOFLSH, 'noflsh'],
  [M.TOSTOP, 'tostop'],
  [M.IEXTEN, 'iexten'],
  [M.ECHOCTL, 'echoctl'],
  [M.ECHOKE, 'echoke'],
  [M.PENDIN, 'pendin'],
  [M.OPOST, 'opost'],
  [M.OLCUC, 'olcuc'],
  [M.ONLCR, 'onlcr'],
  [M.OCRNL, 'ocrnl'],
  [M.ONOCR, 'onocr'],
  [M.ONLRET, 'onlret'],
  [M.PARENB, 'parenb'],
  [M.PARODD, 'parodd'],
]);

/** The speeds stty accepts on Linux (termios B* constants). */
const SPEEDS = new Set([
  0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000,
  1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
]);

/**
 * A special character as stty reads it: 255 disables it (sshd maps 255 to _POSIX_VDISABLE),
 * control characters in ^X form, and anything else as a decimal number of two or more digits
 * (a single character would be taken literally).
 */
function sttyChar(value: number): string | null {
  const c = value & 0xff;
  if (value !== c) return null;
  if (c === 255) return 'undef';
  if (c === 127) return '^?';
  if (c < 32) return `^${String.fromCharCode(c + 64)}`;
  return String(c);
}

/** stty arguments that apply `modes` ([opcode, value] pairs as decoded from a pty-req). */
export function sttyArguments(modes: ReadonlyArray<readonly [number, number]>): string[] {
  const out: string[] = [];
  for (const [op, value] of modes) {
    const ch = CHARS.get(op);
    if (ch !== undefined) {
      const v = sttyChar(value);
      if (v !== null) out.push(ch, v);
      continue;
    }
    const flag = FLAGS.get(op);
    if (flag !== undefined) {
      out.push(value ? flag : `-${flag}`);
      continue;
    }
    if (op === M.CS7 || op === M.CS8) {
      // A character size is set, not cleared: sshd only sets CSIZE bits for a non-zero value.
      if (value) out.push(op === M.CS7 ? 'cs7' : 'cs8');
      continue;
    }
    if ((op === M.TTY_OP_ISPEED || op === M.TTY_OP_OSPEED) && SPEEDS.has(value)) {
      out.push(op === M.TTY_OP_ISPEED ? 'ispeed' : 'ospeed', String(value));
    }
  }
  return out;
}
