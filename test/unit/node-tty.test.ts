/**
 * The raw-mode line editor shared by the CLI's prompts and the Net::SSH2 facade's `_ask_user`.
 */
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { readHiddenLine, type HiddenLine } from '../../src/node-tty.js';

async function typed(...chunks: string[]): Promise<HiddenLine> {
  const input = new PassThrough();
  const result = readHiddenLine(input);
  for (const c of chunks) input.write(c);
  return result;
}

describe('readHiddenLine', () => {
  it('Enter ends the line', async () => {
    expect(await typed('secret\rnext')).to.deep.equal({ line: 'secret', interrupted: false });
    expect(await typed('a', 'b\n')).to.deep.equal({ line: 'ab', interrupted: false });
  });

  it('Backspace and DEL erase one character (a whole code point), Ctrl-U the line', async () => {
    expect((await typed('abx\x7f\x7fc\r')).line).to.equal('ac');
    expect((await typed('pé😀\b\bq\r')).line).to.equal('pq');
    expect((await typed('wrong\x15right\r')).line).to.equal('right');
    expect((await typed('\x7f\x7fok\r')).line).to.equal('ok');
  });

  it('Ctrl-C interrupts; Ctrl-D ends input only on an empty line; other control characters are dropped', async () => {
    expect(await typed('half\x03more\r')).to.deep.equal({ line: undefined, interrupted: true });
    expect(await typed('\x04')).to.deep.equal({ line: undefined, interrupted: false });
    expect((await typed('a\x04b\r')).line).to.equal('ab');
    expect((await typed('a\x1b\x01b\tc\r')).line).to.equal('abc');
  });

  it('end of input before Enter gives undefined', async () => {
    const input = new PassThrough();
    const result = readHiddenLine(input);
    input.end('unfinished');
    expect(await result).to.deep.equal({ line: undefined, interrupted: false });
  });
});
