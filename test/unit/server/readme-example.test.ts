/**
 * The README's server example, as written there (host key and key check filled in): exec
 * answered by the handler, SFTP served from a MemoryFs, over TCP with puressh's client and
 * in memory.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '../../../src/crypto/keys/generate.js';
import type { PublicKey } from '../../../src/crypto/keys/types.js';
import { connect, listen, MemoryFs, SftpServer, SshServer, connectInMemory } from '../../../src/node.js';

describe('README: the server example', () => {
  it('runs exec and SFTP in memory and over TCP', async () => {
    const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
    const hostKey = generateKeyPair({ type: 'ed25519' }, random).privateKey;
    const isAllowed = (key: PublicKey): boolean => key.type === 'ssh-ed25519';

    const files = new MemoryFs();
    files.writeFile('/hello.txt', 'hi\n');
    const server = new SshServer({
      hostKeys: [hostKey],
      auth: {
        publicKey: ({ username, key }) => username === 'git' && isAllowed(key),
        password: ({ username, password }) => username === 'demo' && password === 'demo',
      },
      handlers: {
        session: () => ({
          exec(command, session) {
            void session.write(new TextEncoder().encode(`you ran: ${command}\n`)).then(() => session.sendExitStatus(0));
            return true;
          },
          subsystem(name, session) {
            if (name !== 'sftp') return false;
            void new SftpServer(session.byteStream(), { fs: files }).serve();
            return true;
          },
        }),
      },
    });
    const listener = await listen({ server, host: '127.0.0.1', port: 0 });
    try {
      const { client } = await connectInMemory(server, { username: 'demo', password: 'demo' });
      const { stdout } = await client.run('uname');
      expect(new TextDecoder().decode(stdout)).to.equal('you ran: uname\n');
      const sftp = await client.sftp();
      expect(new TextDecoder().decode(await sftp.readFile('/hello.txt'))).to.equal('hi\n');
      await client.disconnect();

      const userKey = generateKeyPair({ type: 'ed25519' }, random).privateKey;
      const tcp = await connect({
        host: '127.0.0.1',
        port: listener.port,
        username: 'git',
        privateKeys: [userKey],
        hostKeyVerifier: ({ blob }) => Buffer.from(blob).equals(Buffer.from(hostKey.publicKey.blob)),
      });
      const r = await tcp.run('git-upload-pack /repo');
      expect([new TextDecoder().decode(r.stdout), r.code]).to.deep.equal(['you ran: git-upload-pack /repo\n', 0]);
      await tcp.disconnect();
    } finally {
      await listener.close();
    }
  });
});
