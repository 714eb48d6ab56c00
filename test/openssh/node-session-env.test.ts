/**
 * The environment of a Node-run session compared with what Debian's OpenSSH sshd gives for
 * the same request: `env` run through `ssh` against a hermetic sshd, and through
 * startSession with the same user, client variable (SendEnv/AcceptEnv), SetEnv and
 * connection addresses. Every variable must match, except the pty's number.
 */
import { expect } from 'chai';
import { lookupUser } from '../../src/server/node-passwd.js';
import { startSession, type NodeSession, type SessionPty } from '../../src/server/node-session.js';
import { runOpenSsh } from '../support/ssh-client.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser } from '../support/test-user.js';

/** NAME=value lines (values without newlines) as a map. */
function parseEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function output(s: NodeSession): Promise<string> {
  let text = '';
  s.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const ended = new Promise((r) => s.stdout.on('end', r));
  s.stdin.end();
  expect(await s.exit).to.deep.equal({ status: 0 });
  await ended;
  return text;
}

describe('server/node-session environment vs OpenSSH sshd (Debian)', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  const keysFile = '.ssh/puressh-node-session-keys';
  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('this comparison runs sessions for root and the test account: run it as root');
    sshd = await startSshd({ config: ['AcceptEnv LC_PURESSH', 'Match User puressh-test', `AuthorizedKeysFile %h/${keysFile}`] });
    ensureTestUser().writeHomeFile(keysFile, `${sshd.userKeys.ed25519.publicLine}\n`, 0o600);
  });
  after(async () => {
    ensureTestUser().removeHomeFile(keysFile);
    await sshd?.stop();
  });

  for (const login of ['root', 'puressh-test'] as const) {
    for (const withPty of [false, true]) {
      it(`${login}, ${withPty ? 'with' : 'without'} a pty: the same variables and values`, async () => {
        const ssh = await runOpenSsh(sshd, 'env', {
          user: login,
          flags: withPty ? ['-tt'] : ['-T'],
          options: ['SendEnv=LC_PURESSH'],
          env: { ...process.env, LC_PURESSH: 'from the client', TERM: 'xterm-puressh' },
        });
        expect(ssh.code, ssh.stderr).to.equal(0);
        const theirs = parseEnv(ssh.stdout.toString());
        const [clientAddr, clientPort, serverAddr, serverPort] = theirs.get('SSH_CONNECTION')!.split(' ');
        const user = (await lookupUser(login))!;
        const pty: SessionPty | null = withPty ? { term: 'xterm-puressh', cols: 80, rows: 24, widthPx: 0, heightPx: 0, modes: [] } : null;
        const s = await startSession({
          user,
          command: 'env',
          env: { LC_PURESSH: 'from the client' },
          setEnv: { HOME: sshd.dir },
          pty,
          connection: { clientAddr: clientAddr!, clientPort: Number(clientPort), serverAddr: serverAddr!, serverPort: Number(serverPort) },
        });
        const ours = parseEnv(await output(s));
        if (withPty) {
          expect(ours.get('SSH_TTY'))
            .to.equal(s.tty)
            .and.to.match(/^\/dev\/pts\/\d+$/);
          expect(theirs.get('SSH_TTY')).to.match(/^\/dev\/pts\/\d+$/);
          ours.delete('SSH_TTY');
          theirs.delete('SSH_TTY');
        }
        expect(Object.fromEntries(ours)).to.deep.equal(Object.fromEntries(theirs));
        expect(ours.get('LC_PURESSH')).to.equal('from the client');
        expect(ours.get('USER')).to.equal(login);
      });
    }
  }
});
