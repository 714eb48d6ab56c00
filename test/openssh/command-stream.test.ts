/**
 * commandStream: an SSH connection over a spawned command's stdin/stdout (what ProxyCommand
 * uses), against sshd. The command here is OpenSSH's own `ssh -W host:port` through the same
 * sshd, and a small node relay; a command that does not exist or exits at once fails the
 * connection with an error, never a hang.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { ConnectionLostError, SshError } from '../../src/errors.js';
import { commandStream, connect } from '../../src/node.js';
import { sshdClientOptions } from '../support/connect.js';
import { SSH_PATH } from '../support/ssh-client.js';
import { startSshd, type Sshd } from '../support/sshd.js';

async function run(client: Awaited<ReturnType<typeof connect>>, command: string): Promise<string> {
  const ch = await client.exec(command);
  let out = '';
  for (let c = await ch.read(); c !== null; c = await ch.read()) out += Buffer.from(c).toString();
  return out;
}

describe('commandStream: SSH over a command (ProxyCommand) against sshd', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
    dir = mkdtempSync(join(tmpdir(), 'puressh-cmdstream-'));
    writeFileSync(
      join(dir, 'relay.cjs'),
      "const s = require('net').connect(Number(process.argv[3]), process.argv[2]); process.stdin.pipe(s); s.pipe(process.stdout);\n",
    );
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('through a node relay: a command runs and 1 MiB comes back intact', async () => {
    const client = await connect(sshdClientOptions(sshd, { stream: commandStream(process.execPath, [join(dir, 'relay.cjs'), sshd.host, String(sshd.port)]) }));
    try {
      expect(await run(client, 'echo $((6*7))')).to.equal('42\n');
      const out = await run(client, 'head -c 1048576 /dev/zero | tr "\\0" a | sha256sum');
      expect(out).to.equal(`${sha256('a'.repeat(1 << 20))}  -\n`);
    } finally {
      await client.disconnect();
    }
  });

  it("through OpenSSH's ssh -W (a jump over sshd itself)", async () => {
    const argv = [
      '-F',
      'none',
      '-i',
      sshd.userKeys.ed25519.privatePath,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${sshd.knownHostsPath}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
    ];
    const stream = commandStream(SSH_PATH, [...argv, '-p', String(sshd.port), '-W', `${sshd.host}:${sshd.port}`, `${sshd.user}@${sshd.host}`]);
    const client = await connect(sshdClientOptions(sshd, { stream }));
    try {
      expect(await run(client, 'echo via-W')).to.equal('via-W\n');
    } finally {
      await client.disconnect();
    }
  });

  for (const [what, file, args] of [
    ['a command that does not exist', '/nonexistent/proxy', []],
    ['a command that exits at once', '/bin/false', []],
  ] as const) {
    it(`${what}: the connection fails with an SshError`, async () => {
      let failure: unknown;
      try {
        await connect(sshdClientOptions(sshd, { stream: commandStream(file, [...args], { stderr: 'ignore' }), timeout: 20_000 }));
      } catch (e) {
        failure = e;
      }
      expect(failure).to.be.instanceOf(SshError);
      if (file.startsWith('/nonexistent')) expect(failure).to.be.instanceOf(ConnectionLostError);
    });
  }
});

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
