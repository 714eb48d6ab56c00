/**
 * ssh's escape sequences on an interactive session (ssh(1) "ESCAPE CHARACTERS"): the
 * escape character (default `~`) is recognised only right after a newline (or at the very
 * start); `~.` disconnects, `~?` lists the escapes, `~~` sends one `~`, `~#` lists the
 * forwarded connections. Anything else is sent as typed, escape character included.
 */

export type EscapeAction = 'disconnect' | 'help' | 'list';

export interface EscapeResult {
  /** bytes to send to the server */
  data: Uint8Array;
  /** commands found in this chunk, in order */
  actions: EscapeAction[];
}

export const ESCAPE_HELP = (e: string): string =>
  [
    'Supported escape sequences:',
    ` ${e}.   - terminate connection`,
    ` ${e}#   - list forwarded connections`,
    ` ${e}?   - this message`,
    ` ${e}${e}   - send the escape character by typing it twice`,
    '(Note that escapes are only recognized immediately after newline.)',
    '',
  ].join('\r\n');

export class EscapeFilter {
  private atLineStart = true;
  private pendingEscape = false;
  private disconnected = false;

  /** `escapeChar` is one byte (e.g. 0x7e for '~'). */
  constructor(private readonly escapeChar: number) {}

  push(chunk: Uint8Array): EscapeResult {
    const out: number[] = [];
    const actions: EscapeAction[] = [];
    if (this.disconnected) return { data: new Uint8Array(0), actions };
    for (const b of chunk) {
      if (this.pendingEscape) {
        this.pendingEscape = false;
        if (b === 0x2e /* . */) {
          actions.push('disconnect');
          // nothing after ~. is sent
          this.disconnected = true;
          return { data: Uint8Array.from(out), actions };
        }
        if (b === 0x3f /* ? */) {
          actions.push('help');
          this.atLineStart = false;
          continue;
        }
        if (b === 0x23 /* # */) {
          actions.push('list');
          this.atLineStart = false;
          continue;
        }
        if (b === this.escapeChar) {
          out.push(b);
          this.atLineStart = false;
          continue;
        }
        // not a command: the escape character and this byte go through
        out.push(this.escapeChar);
      } else if (this.atLineStart && b === this.escapeChar) {
        this.pendingEscape = true;
        continue;
      }
      out.push(b);
      this.atLineStart = b === 0x0d || b === 0x0a;
    }
    return { data: Uint8Array.from(out), actions };
  }
}

/** ssh's -e / EscapeChar: a single character, `^X` for a control character, or "none". */
export function parseEscapeChar(text: string): number | null {
  if (text === 'none') return null;
  if (text.length === 1) return text.charCodeAt(0);
  if (text.length === 2 && text[0] === '^') return text.charCodeAt(1) & 0x1f;
  throw new Error(`Bad escape character '${text}'.`);
}
