/**
 * Pseudo-terminal requests (RFC 4254 §6.2, §6.7) and the encoded terminal modes of §8
 * (plus IUTF8 from RFC 8160).
 */
import { SshError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** RFC 4254 §8 opcodes; each is followed by a uint32 argument. */
export const TERMINAL_MODE = {
  TTY_OP_END: 0,
  VINTR: 1,
  VQUIT: 2,
  VERASE: 3,
  VKILL: 4,
  VEOF: 5,
  VEOL: 6,
  VEOL2: 7,
  VSTART: 8,
  VSTOP: 9,
  VSUSP: 10,
  VDSUSP: 11,
  VREPRINT: 12,
  VWERASE: 13,
  VLNEXT: 14,
  VFLUSH: 15,
  VSWTCH: 16,
  VSTATUS: 17,
  VDISCARD: 18,
  IGNPAR: 30,
  PARMRK: 31,
  INPCK: 32,
  ISTRIP: 33,
  INLCR: 34,
  IGNCR: 35,
  ICRNL: 36,
  IUCLC: 37,
  IXON: 38,
  IXANY: 39,
  IXOFF: 40,
  IMAXBEL: 41,
  /** RFC 8160 */
  IUTF8: 42,
  ISIG: 50,
  ICANON: 51,
  XCASE: 52,
  ECHO: 53,
  ECHOE: 54,
  ECHOK: 55,
  ECHONL: 56,
  NOFLSH: 57,
  TOSTOP: 58,
  IEXTEN: 59,
  ECHOCTL: 60,
  ECHOKE: 61,
  PENDIN: 62,
  OPOST: 70,
  OLCUC: 71,
  ONLCR: 72,
  OCRNL: 73,
  ONOCR: 74,
  ONLRET: 75,
  CS7: 90,
  CS8: 91,
  PARENB: 92,
  PARODD: 93,
  TTY_OP_ISPEED: 128,
  TTY_OP_OSPEED: 129,
} as const;

/** The name of an encoded terminal mode (RFC 4254 §8), e.g. `ECHO` or `VINTR`. */
export type TerminalModeName = Exclude<keyof typeof TERMINAL_MODE, 'TTY_OP_END'>;

/** Terminal modes by name (e.g. `{ ECHO: 0, TTY_OP_ISPEED: 38400 }`) or by raw opcode. */
export type TerminalModes = Partial<Record<TerminalModeName, number>> | ReadonlyArray<readonly [number, number]>;

const BY_OPCODE = new Map<number, string>(Object.entries(TERMINAL_MODE).map(([k, v]) => [v, k]));

/** Encode modes as RFC 4254 §8 requires: (opcode byte, uint32 argument)*, then TTY_OP_END. */
export function encodeTerminalModes(modes: TerminalModes = {}): Uint8Array {
  const w = new Writer(64);
  const pairs: (readonly [number, number])[] = Array.isArray(modes)
    ? [...(modes as ReadonlyArray<readonly [number, number]>)]
    : Object.entries(modes).map(([name, value]) => {
        const op = (TERMINAL_MODE as Record<string, number>)[name];
        if (op === undefined || op === 0) throw new SshError('INVAL', `unknown terminal mode ${JSON.stringify(name)}`);
        return [op, value as number] as const;
      });
  for (const [op, value] of pairs) {
    // Opcodes 160-255 are reserved and would end parsing at the server (§8).
    if (!Number.isInteger(op) || op < 1 || op > 159) throw new SshError('INVAL', `terminal mode opcode ${op} out of range`);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new SshError('INVAL', `terminal mode ${op} value must be a uint32`);
    w.u8(op).u32(value);
  }
  w.u8(TERMINAL_MODE.TTY_OP_END);
  return w.finish().slice();
}

/** Decode encoded terminal modes into [opcode, value] pairs (parsing stops at TTY_OP_END or opcode ≥ 160). */
export function decodeTerminalModes(bytes: Uint8Array): [number, number][] {
  const r = new Reader(bytes, 0, 'terminal modes');
  const out: [number, number][] = [];
  while (r.remaining > 0) {
    const op = r.u8('opcode');
    if (op === TERMINAL_MODE.TTY_OP_END || op >= 160) break;
    out.push([op, r.u32('mode argument')]);
  }
  return out;
}

/** Name of a terminal mode opcode, for logs. */
export function terminalModeName(op: number): string {
  return BY_OPCODE.get(op) ?? `MODE_${op}`;
}

/** A pty-req (RFC 4254 §6.2): terminal type, size and modes. */
export interface PtyOptions {
  /** TERM value (default "vt100", like libssh2) */
  term?: string;
  /** size in characters (default 80 × 24) */
  cols?: number;
  rows?: number;
  /** size in pixels (default 0 × 0: unknown) */
  width?: number;
  height?: number;
  modes?: TerminalModes;
}

/** A terminal size in characters and pixels (RFC 4254 §6.7). */
export interface WindowSize {
  cols: number;
  rows: number;
  width?: number;
  height?: number;
}

function dim(v: number | undefined, fallback: number, what: string): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new SshError('INVAL', `${what} must be a uint32`);
  return n;
}

/** The pty-req body (RFC 4254 §6.2). */
export function ptyRequestBody(o: PtyOptions = {}): Uint8Array {
  return new Writer(128)
    .string(o.term ?? 'vt100')
    .u32(dim(o.cols, 80, 'cols'))
    .u32(dim(o.rows, 24, 'rows'))
    .u32(dim(o.width, 0, 'width'))
    .u32(dim(o.height, 0, 'height'))
    .string(encodeTerminalModes(o.modes))
    .finish()
    .slice();
}

/** The window-change body (RFC 4254 §6.7). */
export function windowChangeBody(s: WindowSize): Uint8Array {
  return new Writer(16)
    .u32(dim(s.cols, 80, 'cols'))
    .u32(dim(s.rows, 24, 'rows'))
    .u32(dim(s.width, 0, 'width'))
    .u32(dim(s.height, 0, 'height'))
    .finish()
    .slice();
}

export interface DecodedPtyRequest {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
  modes: [number, number][];
}

/** Decode a pty-req body (for tests and test servers). */
export function decodePtyRequest(body: Uint8Array): DecodedPtyRequest {
  const r = new Reader(body, 0, 'pty-req');
  const term = r.ascii('TERM');
  const cols = r.u32('cols');
  const rows = r.u32('rows');
  const width = r.u32('width');
  const height = r.u32('height');
  const modes = decodeTerminalModes(r.string('terminal modes'));
  r.end();
  return { term, cols, rows, width, height, modes };
}
