/**
 * An agent-held FIDO security key signs with no signer on the client: the agent (here a
 * small in-memory one that reaches the software authenticator, as ssh-agent reaches a token
 * through its SecurityKeyProvider) answers SIGN_REQUEST with the finished sk signature, and
 * the client passes it through; SshServer verifies it and sees the authenticator's counter.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { AgentClient, FramedStream } from '../../../src/auth/agent/client.js';
import { AGENT_MSG } from '../../../src/auth/agent/protocol.js';
import { generateKeyPair, type SecurityKeyPrivateKey } from '../../../src/crypto/keys/index.js';
import { connectInMemory, memoryStreamPair } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import type { PublicKeyRequest } from '../../../src/server/types.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { SoftwareAuthenticator } from '../../support/software-authenticator.js';

/** An agent holding `keys`; it signs through each key's own signer. */
function memoryAgent(keys: SecurityKeyPrivateKey[]): AgentClient {
  return new AgentClient(async () => {
    const [client, agent] = memoryStreamPair();
    const framed = new FramedStream(agent);
    void (async () => {
      for (let msg = await framed.readMessage(); msg; msg = await framed.readMessage()) {
        const r = new Reader(msg, 0, 'agent request');
        const type = r.u8();
        if (type === AGENT_MSG.REQUEST_IDENTITIES) {
          const w = new Writer(1024).u8(AGENT_MSG.IDENTITIES_ANSWER).u32(keys.length);
          for (const k of keys) w.string(k.publicKey.blob).string(k.comment);
          await framed.writeMessage(w.finish().slice());
        } else if (type === AGENT_MSG.SIGN_REQUEST) {
          const blob = r.string();
          const data = r.string().slice();
          const key = keys.find((k) => Buffer.from(k.publicKey.blob).equals(blob));
          if (!key) {
            await framed.writeMessage(new Uint8Array([AGENT_MSG.FAILURE]));
            continue;
          }
          const sig = await key.sign(key.type, data);
          await framed.writeMessage(new Writer(sig.length + 16).u8(AGENT_MSG.SIGN_RESPONSE).string(sig).finish().slice());
        } else {
          await framed.writeMessage(new Uint8Array([AGENT_MSG.FAILURE]));
        }
      }
    })();
    return client;
  });
}

describe('security keys through an ssh-agent', () => {
  it('the agent lists sk keys; its finished signatures log in to SshServer', async () => {
    const auth = new SoftwareAuthenticator();
    auth.counter = 7;
    const ed = auth.enroll('ed25519', { comment: 'ed-sk' }).key;
    const ec = auth.enroll('ecdsa-p256', { comment: 'ec-sk' }).key;
    const agent = memoryAgent([ed, ec]);
    const listed = await agent.keys();
    expect(listed.map((k) => [k.type, k.comment, k.signatureAlgorithms])).to.deep.equal([
      ['sk-ssh-ed25519@openssh.com', 'ed-sk', ['sk-ssh-ed25519@openssh.com']],
      ['sk-ecdsa-sha2-nistp256@openssh.com', 'ec-sk', ['sk-ecdsa-sha2-nistp256@openssh.com']],
    ]);
    const requests: PublicKeyRequest[] = [];
    const server = new SshServer({
      hostKeys: [generateKeyPair({ type: 'ed25519' }, (n) => new Uint8Array(randomBytes(n))).privateKey],
      // only the ecdsa-sk key may log in: the ed25519-sk one is tried first and refused
      auth: {
        publicKey: (req) => {
          if (req.signed) requests.push(req);
          return Buffer.from(req.blob).equals(ec.publicKey.blob);
        },
      },
      limits: { authFailureDelay: false },
    });
    const { client } = await connectInMemory(server, { username: 'alice', agent });
    expect(client.authMethod).to.equal('publickey');
    await client.disconnect();
    expect(requests.map((r) => [r.algorithm, r.securityKey?.counter])).to.deep.equal([
      ['sk-ssh-ed25519@openssh.com', 8],
      ['sk-ecdsa-sha2-nistp256@openssh.com', 9],
    ]);
    agent.close();
  });
});
