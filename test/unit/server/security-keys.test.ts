/**
 * FIDO security keys (PROTOCOL.u2f) against puressh's own SshServer, in memory, deciding with
 * the authorized_keys evaluator: the software authenticator logs in with both sk key types;
 * a signature without user presence is refused unless no-touch-required (and PubkeyAuthOptions
 * touch-required overrides that); verify-required needs user verification; another
 * application's signature is refused; the publickey callback sees flags and counter.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { authorizeKey, checkSecurityKeySignature, parseAuthorizedKeys } from '../../../src/authkeys/index.js';
import { generateKeyPair, type PrivateKey } from '../../../src/crypto/keys/index.js';
import { AuthError } from '../../../src/errors.js';
import { connectInMemory } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import type { PublicKeyRequest, SecurityKeyServerPolicy } from '../../../src/server/types.js';
import { SoftwareAuthenticator } from '../../support/software-authenticator.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hostKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;

interface Setup {
  server: SshServer;
  requests: PublicKeyRequest[];
  logs: string[];
}

/** A server whose publickey callback decides with authorizeKey over `authorizedKeys`, as sshd does. */
function server(authorizedKeys: string, pubkeyAuthOptions?: SecurityKeyServerPolicy): Setup {
  const requests: PublicKeyRequest[] = [];
  const logs: string[] = [];
  const file = parseAuthorizedKeys(authorizedKeys, '/home/alice/.ssh/authorized_keys');
  const s = new SshServer({
    hostKeys: [hostKey],
    auth: {
      publicKey(req) {
        requests.push(req);
        const v = authorizeKey(req.key, [file], { user: req.username, address: '127.0.0.1' });
        if (!v.allowed) return false;
        if (req.securityKey) {
          const why = checkSecurityKeySignature(req.key, req.securityKey, v.options, {
            user: req.username,
            address: '127.0.0.1',
            port: 22,
            ...(pubkeyAuthOptions ? { pubkeyAuthOptions } : {}),
          });
          if (why) logs.push(why);
        }
        return { noTouchRequired: v.options.noRequireUserPresence, verifyRequired: v.options.requireVerify };
      },
    },
    handlers: {
      session: () => ({
        exec(command, session) {
          void session.write(new TextEncoder().encode(`ran ${command}\n`)).then(() => session.sendExitStatus(0));
          return true;
        },
      }),
    },
    ...(pubkeyAuthOptions ? { pubkeyAuthOptions } : {}),
    limits: { authFailureDelay: false },
  });
  return { server: s, requests, logs };
}

async function login(s: SshServer, key: PrivateKey): Promise<string> {
  const { client } = await connectInMemory(s, { username: 'alice', privateKeys: [key] });
  try {
    const r = await client.run('id');
    return new TextDecoder().decode(r.stdout);
  } finally {
    await client.disconnect();
  }
}

async function refused(s: SshServer, key: PrivateKey): Promise<void> {
  let err: unknown;
  await login(s, key).catch((e: unknown) => (err = e));
  expect(err).to.be.instanceOf(AuthError);
}

describe('security keys against SshServer with authorized_keys', () => {
  for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
    describe(alg, () => {
      it('logs in; the callback sees the flags and counter', async () => {
        const auth = new SoftwareAuthenticator();
        auth.counter = 99;
        const { key, publicLine } = auth.enroll(alg);
        const { server: s, requests } = server(publicLine);
        expect(await login(s, key)).to.equal('ran id\n');
        const signed = requests.filter((r) => r.signed);
        expect(signed).to.have.length(1);
        expect(signed[0]!.securityKey).to.deep.equal({ flags: 1, counter: 100, userPresent: true, userVerified: false });
      });

      it("no user presence: refused (with sshd's log line), accepted under no-touch-required", async () => {
        const auth = new SoftwareAuthenticator();
        auth.userPresence = false;
        const { key, publicLine } = auth.enroll(alg);
        const plain = server(publicLine);
        await refused(plain.server, key);
        expect(plain.logs[0]).to.match(
          /^public key (ED25519|ECDSA)-SK SHA256:\S+ signature for alice from 127\.0\.0\.1 port 22 rejected: user presence \(authenticator touch\) requirement not met $/,
        );
        expect(await login(server(`no-touch-required ${publicLine}`).server, key)).to.equal('ran id\n');
        // PubkeyAuthOptions touch-required: the key option no longer counts
        const strict = server(`no-touch-required ${publicLine}`, { touchRequired: true });
        await refused(strict.server, key);
        expect(strict.logs).to.have.length(1);
      });

      it('verify-required: refused without user verification, accepted with it', async () => {
        const auth = new SoftwareAuthenticator();
        const { key, publicLine } = auth.enroll(alg);
        const s = server(`verify-required ${publicLine}`);
        await refused(s.server, key);
        expect(s.logs[0]).to.match(/rejected: user verification requirement not met $/);
        auth.userVerification = true;
        expect(await login(s.server, key)).to.equal('ran id\n');
        auth.userVerification = false;
        await refused(server(publicLine, { verifyRequired: true }).server, key);
      });

      it('a signature for another application is refused before the callback decides', async () => {
        const auth = new SoftwareAuthenticator();
        auth.applicationOverride = 'ssh:other';
        const { key, publicLine } = auth.enroll(alg);
        const s = server(publicLine);
        await refused(s.server, key);
        expect(s.requests.filter((r) => r.signed)).to.have.length(0);
      });

      it('a key not in authorized_keys is refused', async () => {
        const auth = new SoftwareAuthenticator();
        const { key } = auth.enroll(alg);
        await refused(server(auth.enroll(alg).publicLine).server, key);
      });
    });
  }
});
