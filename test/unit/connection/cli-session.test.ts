/** The CLI's forwarding specifications, -W, escape sequences and pty decision (src/cli/ssh-session.ts, escape.ts). */
import { expect } from 'chai';
import fc from 'fast-check';
import { EscapeFilter, parseEscapeChar } from '../../../src/cli/escape.js';
import { parseForwardSpec, parseStdioForward, wantTty } from '../../../src/cli/ssh-session.js';

const strip = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'spec')) as Partial<T>;

describe('cli/ssh-session', () => {
  it("-L/-R specifications in all of ssh(1)'s forms", () => {
    expect(strip(parseForwardSpec('L', '8080:example.com:80'))).to.deep.equal({ kind: 'L', bindPort: 8080, host: 'example.com', port: 80 });
    expect(strip(parseForwardSpec('L', '127.0.0.1:8080:example.com:80'))).to.deep.equal({
      kind: 'L',
      bindHost: '127.0.0.1',
      bindPort: 8080,
      host: 'example.com',
      port: 80,
    });
    expect(strip(parseForwardSpec('L', '[::1]:8080:[2001:db8::1]:443'))).to.deep.equal({
      kind: 'L',
      bindHost: '::1',
      bindPort: 8080,
      host: '2001:db8::1',
      port: 443,
    });
    expect(strip(parseForwardSpec('L', '*:8080:h:1'))).to.deep.equal({ kind: 'L', bindHost: '*', bindPort: 8080, host: 'h', port: 1 });
    expect(strip(parseForwardSpec('L', '8080:/run/app.sock'))).to.deep.equal({ kind: 'L', bindPort: 8080, path: '/run/app.sock' });
    expect(strip(parseForwardSpec('L', 'localhost:8080:/run/app.sock'))).to.deep.equal({
      kind: 'L',
      bindHost: 'localhost',
      bindPort: 8080,
      path: '/run/app.sock',
    });
    expect(strip(parseForwardSpec('L', '/tmp/l.sock:db:5432'))).to.deep.equal({ kind: 'L', bindPath: '/tmp/l.sock', host: 'db', port: 5432 });
    expect(strip(parseForwardSpec('L', '/tmp/l.sock:/run/r.sock'))).to.deep.equal({ kind: 'L', bindPath: '/tmp/l.sock', path: '/run/r.sock' });
    expect(strip(parseForwardSpec('R', '0:localhost:22'))).to.deep.equal({ kind: 'R', bindPort: 0, host: 'localhost', port: 22 });
    expect(strip(parseForwardSpec('R', '/tmp/r.sock:localhost:22'))).to.deep.equal({ kind: 'R', bindPath: '/tmp/r.sock', host: 'localhost', port: 22 });
    expect(parseForwardSpec('R', '9000:h:1').spec).to.equal('9000:h:1');
  });

  it('-D specifications', () => {
    expect(strip(parseForwardSpec('D', '1080'))).to.deep.equal({ kind: 'D', bindPort: 1080 });
    expect(strip(parseForwardSpec('D', '0.0.0.0:1080'))).to.deep.equal({ kind: 'D', bindHost: '0.0.0.0', bindPort: 1080 });
    expect(strip(parseForwardSpec('D', '[::1]:1080'))).to.deep.equal({ kind: 'D', bindHost: '::1', bindPort: 1080 });
  });

  it('bad specifications name the kind, as ssh says', () => {
    for (const [kind, spec] of [
      ['L', '8080'],
      ['L', '8080:host'],
      ['L', 'x:host:80'],
      ['L', '8080:host:0'],
      ['L', '70000:host:80'],
      ['L', '8080:host:http'],
      ['L', '1:2:3:4:5'],
      ['R', 'a:b:c:d'],
      ['D', 'a:b:c'],
      ['D', 'socks'],
    ] as const) {
      const name = { L: 'local', R: 'remote', D: 'dynamic' }[kind];
      expect(() => parseForwardSpec(kind, spec), `${kind} ${spec}`).to.throw(`Bad ${name} forwarding specification '${spec}'`);
    }
  });

  it('-W host:port', () => {
    expect(parseStdioForward('example.com:22')).to.deep.equal({ host: 'example.com', port: 22 });
    expect(parseStdioForward('[::1]:22')).to.deep.equal({ host: '::1', port: 22 });
    expect(() => parseStdioForward('example.com')).to.throw("Bad stdio forwarding specification 'example.com'");
    expect(() => parseStdioForward(':22')).to.throw(/Bad stdio/);
  });

  describe('escape sequences', () => {
    const run = (input: string[]): { sent: string; actions: string[] } => {
      const f = new EscapeFilter(0x7e);
      let sent = '';
      const actions: string[] = [];
      for (const chunk of input) {
        const r = f.push(new TextEncoder().encode(chunk));
        sent += new TextDecoder().decode(r.data);
        actions.push(...r.actions);
      }
      return { sent, actions };
    };

    it('~. at the start or after a newline disconnects; not mid-line', () => {
      expect(run(['~.'])).to.deep.equal({ sent: '', actions: ['disconnect'] });
      expect(run(['ls\r~.'])).to.deep.equal({ sent: 'ls\r', actions: ['disconnect'] });
      expect(run(['ls\r', '~', '.', 'ignored'])).to.deep.equal({ sent: 'ls\r', actions: ['disconnect'] });
      expect(run(['a~.\r'])).to.deep.equal({ sent: 'a~.\r', actions: [] });
    });

    it('~~ sends one ~, ~? and ~# are commands, ~x sends both', () => {
      expect(run(['~~x'])).to.deep.equal({ sent: '~x', actions: [] });
      expect(run(['\n~?'])).to.deep.equal({ sent: '\n', actions: ['help'] });
      expect(run(['~#'])).to.deep.equal({ sent: '', actions: ['list'] });
      expect(run(['~x\n~'])).to.deep.equal({ sent: '~x\n', actions: [] });
    });

    it('without escapes, bytes pass through unchanged, however they are split (fast-check)', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 20 })), (chunks) => {
          const clean = chunks.map((c) => c.map((b) => (b === 0x7e ? 0x41 : b)));
          const f = new EscapeFilter(0x7e);
          const out = clean.flatMap((c) => [...f.push(c).data]);
          expect(out).to.deep.equal(clean.flatMap((c) => [...c]));
        }),
      );
    });

    it('-e values', () => {
      expect(parseEscapeChar('~')).to.equal(0x7e);
      expect(parseEscapeChar('^]')).to.equal(0x1d);
      expect(parseEscapeChar('none')).to.equal(null);
      expect(() => parseEscapeChar('ab')).to.throw("Bad escape character 'ab'.");
    });
  });

  it('pty allocation follows ssh: -T never, -tt always, -t only with a terminal, default only for a shell on a terminal', () => {
    const lines: string[] = [];
    const log = { debug: () => {}, info: (l: string) => lines.push(l), error: (l: string) => lines.push(`error: ${l}`) };
    expect(wantTty('no', false, true, log)).to.equal(false);
    expect(wantTty('force', true, false, log)).to.equal(true);
    expect(wantTty('yes', true, true, log)).to.equal(true);
    expect(wantTty('auto', false, true, log)).to.equal(true);
    expect(wantTty('auto', true, true, log)).to.equal(false);
    expect(wantTty('auto', false, false, log)).to.equal(false);
    expect(lines).to.deep.equal([]);
    expect(wantTty('yes', true, false, log)).to.equal(false);
    expect(lines).to.deep.equal(['Pseudo-terminal will not be allocated because stdin is not a terminal.\r']);
  });
});
