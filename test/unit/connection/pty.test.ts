/** Terminal modes and pty-req / window-change bodies (RFC 4254 §6.2, §6.7, §8; RFC 8160). */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodePtyRequest,
  decodeTerminalModes,
  encodeTerminalModes,
  ptyRequestBody,
  TERMINAL_MODE,
  terminalModeName,
  windowChangeBody,
} from '../../../src/connection/pty.js';
import { SshError } from '../../../src/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('connection/pty', () => {
  it('opcodes match RFC 4254 §8 and RFC 8160', () => {
    expect(TERMINAL_MODE.VINTR).to.equal(1);
    expect(TERMINAL_MODE.VDISCARD).to.equal(18);
    expect(TERMINAL_MODE.IGNPAR).to.equal(30);
    expect(TERMINAL_MODE.IMAXBEL).to.equal(41);
    expect(TERMINAL_MODE.IUTF8).to.equal(42);
    expect(TERMINAL_MODE.ISIG).to.equal(50);
    expect(TERMINAL_MODE.PENDIN).to.equal(62);
    expect(TERMINAL_MODE.OPOST).to.equal(70);
    expect(TERMINAL_MODE.ONLRET).to.equal(75);
    expect(TERMINAL_MODE.CS7).to.equal(90);
    expect(TERMINAL_MODE.PARODD).to.equal(93);
    expect(TERMINAL_MODE.TTY_OP_ISPEED).to.equal(128);
    expect(TERMINAL_MODE.TTY_OP_OSPEED).to.equal(129);
    expect(terminalModeName(53)).to.equal('ECHO');
    expect(terminalModeName(200)).to.equal('MODE_200');
  });

  it('encodes modes as opcode byte + uint32, ended by TTY_OP_END', () => {
    expect(hex(encodeTerminalModes())).to.equal('00');
    expect(hex(encodeTerminalModes({ ECHO: 0, TTY_OP_ISPEED: 38400 }))).to.equal('35' + '00000000' + '80' + '00009600' + '00');
    expect(
      hex(
        encodeTerminalModes([
          [3, 0x7f],
          [42, 1],
        ]),
      ),
    ).to.equal('03' + '0000007f' + '2a' + '00000001' + '00');
  });

  it('refuses unknown names, reserved opcodes and non-uint32 values', () => {
    expect(() => encodeTerminalModes({ NOPE: 1 } as never)).to.throw(SshError, /unknown terminal mode/);
    expect(() => encodeTerminalModes([[0, 1]])).to.throw(SshError, /out of range/);
    expect(() => encodeTerminalModes([[160, 1]])).to.throw(SshError, /out of range/);
    expect(() => encodeTerminalModes({ ECHO: -1 })).to.throw(SshError, /uint32/);
    expect(() => encodeTerminalModes({ ECHO: 2 ** 32 })).to.throw(SshError, /uint32/);
  });

  it('decoding stops at TTY_OP_END or an opcode of 160 and above', () => {
    expect(decodeTerminalModes(Uint8Array.from([53, 0, 0, 0, 1, 0, 54, 0, 0, 0, 1]))).to.deep.equal([[53, 1]]);
    expect(decodeTerminalModes(Uint8Array.from([53, 0, 0, 0, 1, 170, 1, 2]))).to.deep.equal([[53, 1]]);
  });

  it('modes round-trip (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 159 }), fc.integer({ min: 0, max: 0xffffffff }))), (pairs) => {
        expect(decodeTerminalModes(encodeTerminalModes(pairs))).to.deep.equal(pairs);
      }),
    );
  });

  it('pty-req body: TERM, cols, rows, width, height, modes', () => {
    const body = ptyRequestBody({ term: 'xterm-256color', cols: 132, rows: 43, width: 1024, height: 768, modes: { ECHO: 0 } });
    expect(hex(body)).to.equal(
      '0000000e' + Buffer.from('xterm-256color').toString('hex') + '00000084' + '0000002b' + '00000400' + '00000300' + '00000006' + '350000000000',
    );
    expect(decodePtyRequest(body)).to.deep.equal({ term: 'xterm-256color', cols: 132, rows: 43, width: 1024, height: 768, modes: [[53, 0]] });
    // libssh2's defaults: vt100, 80x24, no pixel size, no modes
    expect(decodePtyRequest(ptyRequestBody())).to.deep.equal({ term: 'vt100', cols: 80, rows: 24, width: 0, height: 0, modes: [] });
  });

  it('window-change body: four uint32s', () => {
    expect(hex(windowChangeBody({ cols: 100, rows: 50 }))).to.equal('00000064' + '00000032' + '00000000' + '00000000');
    expect(hex(windowChangeBody({ cols: 1, rows: 2, width: 3, height: 4 }))).to.equal('00000001000000020000000300000004');
    expect(() => windowChangeBody({ cols: -1, rows: 2 })).to.throw(SshError);
  });
});
