/**
 * The connection layer against a real OpenSSH sshd: pty sessions (tty, stty size before and
 * after window-change, terminal modes), env with AcceptEnv, exit-status and exit-signal,
 * signals and break, extended-data modes, an interactive shell, and the server's other
 * host keys proven with hostkeys-prove-00.
 */
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import type { SshClient } from '../../src/client.js';
import type { Session } from '../../src/connection/session.js';
import { parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { sshdClientOptions } from '../support/connect.js';
import { startSshd, type Sshd } from '../support/sshd.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Read stdout until `pattern` matches everything read so far; returns it. */
async function readUntil(ch: Session, pattern: RegExp): Promise<string> {
  let s = '';
  while (!pattern.test(s)) {
    const c = await ch.read({ timeout: 10_000 });
    if (c === null) throw new Error(`EOF before ${pattern}; got ${JSON.stringify(s)}`);
    s += text(c);
  }
  return s;
}

async function readAll(ch: Session): Promise<string> {
  let s = '';
  for (;;) {
    const c = await ch.read();
    if (c === null) return s;
    s += text(c);
  }
}

describe('connection layer with OpenSSH sshd', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let client: SshClient;
  before(async () => {
    sshd = await startSshd({ config: ['AcceptEnv PURESSH_*'] });
    client = await connect(options());
  });
  after(async () => {
    await client?.disconnect();
    await sshd?.stop();
  });

  const options = (extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions => sshdClientOptions(sshd, extra);

  describe('pty', () => {
    it('`tty` under a pty prints a /dev/pts path', async () => {
      const r = await client.run('tty', { pty: true });
      expect(text(r.stdout)).to.match(/^\/dev\/pts\/\d+\r\n$/);
      expect(r.code).to.equal(0);
    });

    it('without a pty, `tty` says "not a tty"', async () => {
      const r = await client.run('tty');
      expect(text(r.stdout)).to.equal('not a tty\n');
      expect(r.code).to.equal(1);
    });

    it('`stty size` shows the requested size', async () => {
      const r = await client.run('stty size', { pty: { cols: 123, rows: 45 } });
      expect(text(r.stdout)).to.equal('45 123\r\n');
    });

    it('`stty size` follows a window-change', async () => {
      const ch = await client.exec('read a; stty size; read b; stty size', { pty: { cols: 80, rows: 24, modes: { ECHO: 0 } } });
      await ch.write(new TextEncoder().encode('\n'));
      expect(await readUntil(ch, /\n$/)).to.equal('24 80\r\n');
      await ch.windowChange({ cols: 132, rows: 50, width: 1320, height: 1000 });
      await ch.write(new TextEncoder().encode('\n'));
      expect(await readAll(ch)).to.equal('50 132\r\n');
      expect((await ch.exit).code).to.equal(0);
    });

    it('terminal modes and speeds reach the tty', async () => {
      const r = await client.run('stty -a', { pty: { term: 'xterm', modes: { ECHO: 0, ICANON: 1, TTY_OP_ISPEED: 9600, TTY_OP_OSPEED: 9600 } } });
      const out = text(r.stdout);
      expect(out).to.match(/^speed 9600 baud;/);
      expect(out.split(/\s+/)).to.include.members(['-echo', 'icanon']);
      const r2 = await client.run('stty -a', { pty: { modes: { ECHO: 1 } } });
      expect(text(r2.stdout).split(/\s+/)).to.include('echo');
      const term = await client.run('echo $TERM', { pty: { term: 'xterm-256color' } });
      expect(text(term.stdout)).to.equal('xterm-256color\r\n');
    });

    it('an interactive shell: prompt, a command, its output, exit', async () => {
      const ch = await client.shell({ pty: { cols: 100, rows: 30 }, env: { PURESSH_PS: 'x' } });
      await ch.write(new TextEncoder().encode('PS1="PROMPT> "; echo "sum=$((6*7))"\n'));
      expect(await readUntil(ch, /sum=42\r\n[\s\S]*PROMPT> $/)).to.match(/sum=42/);
      await ch.write(new TextEncoder().encode('exit 3\n'));
      await readAll(ch);
      expect((await ch.exit).code).to.equal(3);
    });

    it('break is performed on a pty and refused without one (RFC 4335)', async () => {
      const withPty = await client.exec('read x', { pty: { modes: { ECHO: 0 } } });
      expect(await withPty.sendBreak(100)).to.equal(true);
      await withPty.write(new TextEncoder().encode('\n'));
      await readAll(withPty);
      expect((await withPty.exit).code).to.equal(0);
      const without = await client.exec('read x');
      expect(await without.sendBreak(100)).to.equal(false);
      await without.write(new TextEncoder().encode('\n'));
      await without.eof();
      expect((await without.exit).code).to.equal(0);
    });
  });

  describe('env, exit status and signals', () => {
    it('env requests allowed by AcceptEnv are applied, others refused', async () => {
      const s = await client.session();
      expect(await s.setEnv('PURESSH_A', 'hello world')).to.equal(true);
      expect(await s.setEnv('OTHER_B', 'no')).to.equal(false);
      await s.exec('printf "%s|%s" "$PURESSH_A" "$OTHER_B"');
      expect(await readAll(s)).to.equal('hello world|');
      const r = await client.run('printf %s "$PURESSH_C"', { env: { PURESSH_C: 'via options' } });
      expect(text(r.stdout)).to.equal('via options');
    });

    it('exit status', async () => {
      expect((await client.run('exit 7')).code).to.equal(7);
      expect(await client.run('true')).to.deep.include({ code: 0, signal: null });
    });

    it('`kill -TERM $$` yields exit-signal TERM', async () => {
      const r = await client.run('kill -TERM $$');
      expect([r.code, r.signal, r.coreDumped]).to.deep.equal([null, 'TERM', false]);
    });

    it('a signal request reaches sshd, which delivers it in non-root sessions', async () => {
      const ch = await client.exec('exec sleep 3');
      await ch.signal('TERM');
      await readAll(ch);
      const st = await ch.exit;
      if (sshd.user === 'root') {
        // OpenSSH delivers signals only from its privilege-separated child, which root
        // sessions do not have: it logs the refusal and the command runs to its end.
        expect(sshd.logs()).to.include('session_signal_req: session signalling requires privilege separation');
        expect([st.code, st.signal]).to.deep.equal([0, null]);
      } else {
        expect([st.code, st.signal]).to.deep.equal([null, 'TERM']);
      }
    });
  });

  describe('extended data', () => {
    const cmd = 'printf out1; printf err1 >&2; sleep 0.2; printf out2';
    it('normal: stderr separate', async () => {
      const r = await client.run(cmd);
      expect([text(r.stdout), text(r.stderr)]).to.deep.equal(['out1out2', 'err1']);
    });
    it('merge: stderr into stdout', async () => {
      const r = await client.run(cmd, { extendedData: 'merge' });
      expect([text(r.stdout), text(r.stderr)]).to.deep.equal(['out1err1out2', '']);
    });
    it('ignore: stderr dropped', async () => {
      const r = await client.run(cmd, { extendedData: 'ignore' });
      expect([text(r.stdout), text(r.stderr)]).to.deep.equal(['out1out2', '']);
    });
  });

  describe('hostkeys-00@openssh.com', () => {
    for (const hostKey of ['ssh-ed25519', 'rsa-sha2-512', 'ecdsa-sha2-nistp384']) {
      it(`learns every host key and proves them (kex host key ${hostKey})`, async () => {
        const c = await connect(options({ algorithms: { hostKey: [hostKey] } }));
        try {
          const keys = await c.hostKeyUpdates.received;
          const expected = Object.values(sshd.hostKeys).map((k) => parsePublicKeyLine(k.publicLine).key.blob);
          expect(keys.map((k) => k.blob)).to.have.deep.members(expected);
          expect(keys.length).to.equal(5);
          const proven = await c.hostKeyUpdates.prove();
          expect(proven.map((k) => k.type).sort()).to.deep.equal(
            ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519', 'ssh-rsa'].sort(),
          );
        } finally {
          await c.disconnect();
        }
      });
    }
  });
});
