/**
 * Reading a line typed with echo off (Node only): the terminal is in raw mode, so the line
 * editing a cooked terminal does (erase, kill, end of input, interrupt) is done here.
 */

/** A typed line, or undefined at end of input or on interrupt; `interrupted` is true for Ctrl-C. */
export interface HiddenLine {
  line: string | undefined;
  interrupted: boolean;
}

/**
 * One line from `input` in raw mode, nothing echoed: Enter ends it; Backspace/DEL erases a
 * character, Ctrl-U the whole line; Ctrl-D on an empty line is end of input; Ctrl-C stops;
 * other control characters are dropped. `input` is paused again afterwards.
 */
export function readHiddenLine(input: NodeJS.ReadableStream): Promise<HiddenLine> {
  return new Promise((resolve) => {
    let line = '';
    const finish = (v: HiddenLine): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve(v);
    };
    const onData = (d: Buffer | string): void => {
      for (const ch of d.toString()) {
        if (ch === '\r' || ch === '\n') return finish({ line, interrupted: false });
        if (ch === '\x03') return finish({ line: undefined, interrupted: true });
        if (ch === '\x04') {
          if (line.length === 0) return finish({ line: undefined, interrupted: false });
          continue;
        }
        if (ch === '\x7f' || ch === '\b') line = [...line].slice(0, -1).join('');
        else if (ch === '\x15') line = '';
        else if (ch >= ' ') line += ch;
      }
    };
    const onEnd = (): void => finish({ line: undefined, interrupted: false });
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}
