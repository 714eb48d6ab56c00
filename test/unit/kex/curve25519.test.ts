import { expect } from 'chai';
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { ProtocolError, SshError } from '../../../src/errors.js';
import { getKex } from '../../../src/kex/index.js';
import { HOST_KEY, MAGICS, TestReader, cat, expectedH, hex, queuedConn, scriptedConn, seededRandom, sshMpint, sshString } from './helpers.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function nodePrivate(d: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
}
function nodePublicRaw(k: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(k).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
}
function nodePublic(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}
function nodeX25519(d: Uint8Array, peer: Uint8Array): Uint8Array {
  return new Uint8Array(diffieHellman({ privateKey: nodePrivate(d), publicKey: nodePublic(peer) }));
}

const SERVER_D = new Uint8Array(32).map((_, i) => (i * 7 + 1) & 0xff);

for (const name of ['curve25519-sha256', 'curve25519-sha256@libssh.org']) {
  describe(`${name} (RFC 8731)`, () => {
    const alg = getKex(name)!;

    it('client: known answer against node:crypto X25519 playing the server', async () => {
      const serverKey = nodePrivate(SERVER_D);
      const qS = nodePublicRaw(serverKey);
      const sig = cat(sshString('sig'), sshString('x'));
      const { conn, sent } = scriptedConn((init) => {
        expect(init[0]).to.equal(30);
        return [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(qS), sshString(sig))];
      });
      const random = seededRandom('x25519 client');
      const clientD = seededRandom('x25519 client')(32);
      const res = await alg.client(conn, MAGICS, random);

      const r = new TestReader(sent[0]!.subarray(1));
      const qC = r.string();
      expect(r.done()).to.equal(true);
      expect(hex(qC)).to.equal(hex(nodePublicRaw(nodePrivate(clientD))));
      const shared = nodeX25519(SERVER_D, qC);
      const K = sshMpint(shared);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(expectedH('sha256', HOST_KEY.blob, cat(sshString(qC), sshString(qS)), K)));
      expect(hex(res.hostKey)).to.equal(hex(HOST_KEY.blob));
      expect(hex(res.signature)).to.equal(hex(sig));
    });

    it('server: known answer against node:crypto X25519 playing the client', async () => {
      const clientKey = nodePrivate(new Uint8Array(32).fill(0x5a));
      const qC = nodePublicRaw(clientKey);
      const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(qC))]);
      const serverD = seededRandom('x25519 server')(32);
      const res = await alg.server(conn, MAGICS, HOST_KEY, seededRandom('x25519 server'));
      const reply = new TestReader(sent[0]!);
      expect(reply.byte()).to.equal(31);
      expect(hex(reply.string())).to.equal(hex(HOST_KEY.blob));
      const qS = reply.string();
      const sig = reply.string();
      expect(reply.done()).to.equal(true);
      expect(hex(qS)).to.equal(hex(nodePublicRaw(nodePrivate(serverD))));
      const K = sshMpint(nodeX25519(new Uint8Array(32).fill(0x5a), qS));
      const H = expectedH('sha256', HOST_KEY.blob, cat(sshString(qC), sshString(qS)), K);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(sig)).to.equal(hex(HOST_KEY.sign(H) as Uint8Array));
    });
  });
}

describe('curve25519 edge cases', () => {
  const alg = getKex('curve25519-sha256')!;

  async function clientWith(qS: Uint8Array, seed = 'edge'): Promise<{ K: Uint8Array; qC: Uint8Array }> {
    let qC: Uint8Array = new Uint8Array(0);
    const { conn } = scriptedConn((init) => {
      qC = new TestReader(init.subarray(1)).string();
      return [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(qS), sshString('s'))];
    });
    const res = await alg.client(conn, MAGICS, seededRandom(seed));
    return { K: res.K, qC };
  }

  it('K is the X25519 output read big-endian, as a minimal mpint (leading zero and high bit cases)', async () => {
    let sawHigh = false;
    let sawLeadingZero = false;
    for (let i = 0; i < 8000 && !(sawHigh && sawLeadingZero); i++) {
      const d = new Uint8Array(32).fill(i & 0xff);
      d[1] = i >> 8;
      const qS = nodePublicRaw(nodePrivate(d));
      const { K, qC } = await clientWith(qS, `edge ${i}`);
      const shared = nodeX25519(d, qC);
      expect(hex(K)).to.equal(hex(sshMpint(shared)));
      if (shared[0]! >= 0x80) {
        sawHigh = true;
        expect(K.length).to.equal(4 + 33);
        expect(K[4]).to.equal(0);
      }
      if (shared[0] === 0 && shared[1]! < 0x80) {
        sawLeadingZero = true;
        expect(K.length).to.be.lessThan(4 + 32);
        expect(K[4]).not.to.equal(0);
      }
    }
    expect(sawHigh && sawLeadingZero).to.equal(true);
  });

  it('rejects an all-zero shared secret (low-order peer key) with a ProtocolError', async () => {
    for (const low of [new Uint8Array(32), Uint8Array.from([1, ...new Uint8Array(31)])]) {
      const err = await clientWith(low).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ProtocolError);
      expect((err as SshError).code).to.equal('KEY_EXCHANGE_FAILURE');
      expect((err as Error).message).to.match(/curve25519-sha256: X25519 shared secret is all zero/);
    }
  });

  it('rejects a peer key of the wrong length', async () => {
    const err = await clientWith(new Uint8Array(31).fill(9)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.match(/peer public key is 31 bytes, expected 32/);
  });

  it('server rejects an all-zero client key', async () => {
    const { conn } = queuedConn([cat(Uint8Array.of(30), sshString(new Uint8Array(32)))]);
    const err = await alg.server(conn, MAGICS, HOST_KEY, seededRandom('s')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.match(/all zero/);
  });
});
