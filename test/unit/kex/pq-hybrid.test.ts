/**
 * The post-quantum hybrid methods: mlkem768x25519-sha256 and sntrup761x25519-sha512 (and its
 * @openssh.com alias). Fixed-randomness transcripts with the test playing the peer: the
 * exact C_INIT / S_REPLY, the string-encoded K = string HASH(K_PQ ‖ K_CL) and H, computed
 * here independently (node:crypto X25519 and SHA-2, test-side SSH encoders; the KEMs are
 * noble's ml_kem768 and our sntrup761, whose own known answers are in pq-sntrup761.test.ts).
 * Then malformed peers, client/server pairs and the registry.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { expect } from 'chai';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ProtocolError, SshError } from '../../../src/errors.js';
import { DEFAULT_KEX, INSECURE_KEX, SUPPORTED_KEX, getKex } from '../../../src/kex/index.js';
import { decapsulate as sntrupDecap, encapsulate as sntrupEncap, keypair as sntrupKeypair } from '../../../src/kex/sntrup761/kem.js';
import type { KexResult, RandomSource } from '../../../src/kex/types.js';
import { HOST_KEY, MAGICS, TestReader, cat, expectedH, hex, memKexPair, queuedConn, scriptedConn, seededRandom, sshString, u32 } from './helpers.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const nodePrivate = (d: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
const nodePublicRaw = (d: Uint8Array): Uint8Array =>
  new Uint8Array(createPublicKey(nodePrivate(d)).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
const nodeX25519 = (d: Uint8Array, peer: Uint8Array): Uint8Array =>
  new Uint8Array(
    diffieHellman({
      privateKey: nodePrivate(d),
      publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peer]), format: 'der', type: 'spki' }),
    }),
  );
const digest = (algo: string, ...parts: Uint8Array[]): Uint8Array => {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** A random source that replays `tape` (fixed test randomness) and then fails. */
function tape(...chunks: Uint8Array[]): RandomSource {
  const queue = [...chunks];
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`test tape: asked for ${n} bytes, have ${next?.length ?? 'none'}`);
    return next.slice();
  };
}

const SERVER_D = new Uint8Array(32).map((_, i) => (i * 7 + 1) & 0xff);
const CLIENT_D = new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff);
const SIG = cat(sshString('sig'), sshString('over-H'));

function expectKexFailure(e: unknown, pattern: RegExp): void {
  expect(e).to.be.instanceOf(ProtocolError);
  expect((e as SshError).code).to.equal('KEY_EXCHANGE_FAILURE');
  expect((e as Error).message).to.match(pattern);
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

interface Method {
  name: string;
  hash: 'sha256' | 'sha512';
  pkLen: number;
  ctLen: number;
  /** the client's KEM key pair and X25519 secret, drawn from `random` as the client does */
  clientKeys(random: RandomSource): { pk: Uint8Array; sk: Uint8Array; xd: Uint8Array };
  encap(pk: Uint8Array, random: RandomSource): { ct: Uint8Array; ss: Uint8Array };
  decap(ct: Uint8Array, sk: Uint8Array): Uint8Array;
  /** exact H of the fixed client transcript below (pins the whole computation) */
  pinnedClientH: string;
}

const MLKEM: Method = {
  name: 'mlkem768x25519-sha256',
  hash: 'sha256',
  pkLen: 1184,
  ctLen: 1088,
  clientKeys(random) {
    const { publicKey, secretKey } = ml_kem768.keygen(random(64));
    return { pk: publicKey, sk: secretKey, xd: random(32) };
  },
  encap(pk, random) {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(pk, random(32));
    return { ct: cipherText, ss: sharedSecret };
  },
  decap: (ct, sk) => ml_kem768.decapsulate(ct, sk),
  pinnedClientH: '9aa8efe76d31eabf8804475827b7d35eee4f655f5cfb3321f6713b421789833d',
};

function sntrupMethod(name: string, pinnedClientH: string): Method {
  return {
    name,
    hash: 'sha512',
    pkLen: 1158,
    ctLen: 1039,
    clientKeys(random) {
      const { publicKey, secretKey } = sntrupKeypair(random);
      return { pk: publicKey, sk: secretKey, xd: random(32) };
    },
    encap(pk, random) {
      const { cipherText, sharedSecret } = sntrupEncap(pk, random);
      return { ct: cipherText, ss: sharedSecret };
    },
    decap: sntrupDecap,
    pinnedClientH,
  };
}

const METHODS: Method[] = [
  MLKEM,
  sntrupMethod(
    'sntrup761x25519-sha512',
    '02925aa386ffefc2dd79f6f0fc3924b22fc965be73d537b1c7484408ec87d287' + '0903fb8bc3cc4d94ba0f30e0b8e70d7e8cb1af40d47ee7e690f090306964bbf1',
  ),
  sntrupMethod(
    'sntrup761x25519-sha512@openssh.com',
    '92bf06a544ac8714ba62369430e1f1f82946058161f6a0b9d7b4f532afa9f72a' + '9da875c5b3bb2ad595db4707c7f2d30c91b678138b529bc84f8e9f402347c51d',
  ),
];

for (const m of METHODS) {
  describe(`${m.name}: fixed-randomness transcripts`, () => {
    const alg = getKex(m.name)!;
    const hashLen = m.hash === 'sha256' ? 32 : 64;
    /** K = string HASH(K_PQ ‖ K_CL), built here with node:crypto and the test encoder */
    const expectedK = (kemSecret: Uint8Array, ecdh: Uint8Array): Uint8Array => sshString(digest(m.hash, kemSecret, ecdh));

    it('client: C_INIT, K (a string, not an mpint) and H, against a scripted server', async () => {
      const mine = m.clientKeys(seededRandom(`${m.name} client`));
      const qC = nodePublicRaw(mine.xd);
      const qS = nodePublicRaw(SERVER_D);
      let serverSecret: Uint8Array | undefined;
      let sReply: Uint8Array | undefined;
      const { conn, sent } = scriptedConn((init) => {
        const r = new TestReader(init);
        expect(r.byte()).to.equal(30); // SSH_MSG_KEX_HYBRID_INIT / KEX_ECDH_INIT
        const cInit = r.string();
        expect(r.done()).to.equal(true);
        expect(hex(cInit)).to.equal(hex(cat(mine.pk, qC)));
        const { ct, ss } = m.encap(cInit.subarray(0, m.pkLen), seededRandom(`${m.name} encap`));
        serverSecret = ss;
        sReply = cat(ct, qS);
        return [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(sReply), sshString(SIG))];
      });
      const res = await alg.client(conn, MAGICS, seededRandom(`${m.name} client`));

      const cInit = cat(mine.pk, qC);
      expect(sent).to.have.length(1);
      expect(cInit.length).to.equal(m.pkLen + 32);
      expect(sReply!.length).to.equal(m.ctLen + 32);
      const K = expectedK(serverSecret!, nodeX25519(SERVER_D, qC));
      expect(K.length).to.equal(4 + hashLen);
      expect(hex(res.K)).to.equal(hex(K));
      const H = expectedH(m.hash, HOST_KEY.blob, cat(sshString(cInit), sshString(sReply!)), K);
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(res.hostKey)).to.equal(hex(HOST_KEY.blob));
      expect(hex(res.signature)).to.equal(hex(SIG));
      expect(hex(res.H)).to.equal(m.pinnedClientH);
    });

    it('server: S_REPLY, K and H, and the signature over H, against a scripted client', async () => {
      const client = m.clientKeys(seededRandom(`${m.name} test client`));
      const cInit = cat(client.pk, nodePublicRaw(CLIENT_D));
      const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(cInit))]);
      const res = await alg.server(conn, MAGICS, HOST_KEY, seededRandom(`${m.name} server`));

      // the server draws its KEM randomness first, then its X25519 key
      const serverRandom = seededRandom(`${m.name} server`);
      const { ct } = m.encap(client.pk, serverRandom);
      const serverD = serverRandom(32);
      const reply = new TestReader(sent[0]!);
      expect(reply.byte()).to.equal(31);
      expect(hex(reply.string())).to.equal(hex(HOST_KEY.blob));
      const sReply = reply.string();
      const sig = reply.string();
      expect(reply.done()).to.equal(true);
      expect(hex(sReply)).to.equal(hex(cat(ct, nodePublicRaw(serverD))));

      const K = expectedK(m.decap(sReply.subarray(0, m.ctLen), client.sk), nodeX25519(CLIENT_D, sReply.subarray(m.ctLen)));
      const H = expectedH(m.hash, HOST_KEY.blob, cat(sshString(cInit), sshString(sReply)), K);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(sig)).to.equal(hex(HOST_KEY.sign(H) as Uint8Array));
      expect(hex(res.signature)).to.equal(hex(sig));
    });

    it('client: a wrong-length S_REPLY is a key-exchange failure', async () => {
      for (const len of [m.ctLen + 31, m.ctLen + 33, 32, 0]) {
        const { conn } = scriptedConn(() => [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(new Uint8Array(len).fill(1)), sshString(SIG))]);
        expectKexFailure(await rejects(alg.client(conn, MAGICS, seededRandom('c'))), /server reply is \d+ bytes/);
      }
    });

    it('client: an all-zero X25519 result (low-order server key) is a key-exchange failure', async () => {
      const { conn } = scriptedConn((init) => {
        const cInit = new TestReader(init.subarray(1)).string();
        const { ct } = m.encap(cInit.subarray(0, m.pkLen), seededRandom('e'));
        return [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(cat(ct, new Uint8Array(32))), sshString(SIG))];
      });
      expectKexFailure(await rejects(alg.client(conn, MAGICS, seededRandom('c'))), /all zero/);
    });

    it('client: a modified ciphertext gives a different K (implicit rejection), not an error', async () => {
      const pair = memKexPair((p) => {
        if (p[0] === 31) p[p.length - 100]! ^= 0x04; // inside the KEM ciphertext (before Q_S and the signature)
        return p;
      });
      const [c, s] = await Promise.all([
        alg.client(pair.client, MAGICS, seededRandom('c')),
        alg.server(pair.server, MAGICS, { ...HOST_KEY, sign: () => SIG }, seededRandom('s')),
      ]);
      expect(hex(c.K)).not.to.equal(hex(s.K));
      expect(c.K.length).to.equal(s.K.length);
    });

    it('client: wrong message number and trailing bytes are protocol errors', async () => {
      const wrong = scriptedConn(() => [cat(Uint8Array.of(33), sshString(HOST_KEY.blob))]);
      const e1 = await rejects(alg.client(wrong.conn, MAGICS, seededRandom('c')));
      expect(e1).to.be.instanceOf(ProtocolError);
      expect((e1 as Error).message).to.match(/expected SSH_MSG_KEX_(HYBRID|ECDH)_REPLY \(31\), got message 33/);
      const trailing = scriptedConn((init) => {
        const cInit = new TestReader(init.subarray(1)).string();
        const { ct } = m.encap(cInit.subarray(0, m.pkLen), seededRandom('e'));
        return [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(cat(ct, nodePublicRaw(SERVER_D))), sshString(SIG), u32(0))];
      });
      expect(await rejects(alg.client(trailing.conn, MAGICS, seededRandom('c')))).to.be.instanceOf(ProtocolError);
    });

    it('server: a wrong-length C_INIT or an all-zero X25519 result is a key-exchange failure', async () => {
      for (const len of [m.pkLen + 31, m.pkLen + 33, 32]) {
        const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(new Uint8Array(len).fill(2)))]);
        expectKexFailure(await rejects(alg.server(conn, MAGICS, HOST_KEY, seededRandom('s'))), /client init is \d+ bytes/);
        expect(sent).to.have.length(0);
      }
      const client = m.clientKeys(seededRandom('k'));
      const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(cat(client.pk, new Uint8Array(32))))]);
      expectKexFailure(await rejects(alg.server(conn, MAGICS, HOST_KEY, seededRandom('s'))), /all zero/);
      expect(sent).to.have.length(0);
    });
  });
}

describe('mlkem768x25519-sha256: ML-KEM input checks', () => {
  it('server: an encapsulation key with a coefficient >= q fails the FIPS 203 modulus check', async () => {
    const pk = ml_kem768.keygen(new Uint8Array(64).fill(9)).publicKey.slice();
    pk[0] = 0xff;
    pk[1]! |= 0x0f; // first 12-bit coefficient = 4095 > q = 3329
    const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(cat(pk, nodePublicRaw(CLIENT_D))))]);
    expectKexFailure(await rejects(getKex('mlkem768x25519-sha256')!.server(conn, MAGICS, HOST_KEY, seededRandom('s'))), /invalid ML-KEM-768 public key/);
    expect(sent).to.have.length(0);
  });

  it('the client draws 64 bytes of ML-KEM seed, then 32 of X25519 secret, from the injected source', async () => {
    const seed = new Uint8Array(64).fill(0xa5);
    const xd = new Uint8Array(32).fill(0x3c);
    const { conn, sent } = queuedConn([]);
    await rejects(getKex('mlkem768x25519-sha256')!.client(conn, MAGICS, tape(seed, xd)));
    const cInit = new TestReader(sent[0]!.subarray(1)).string();
    expect(hex(cInit)).to.equal(hex(cat(ml_kem768.keygen(seed).publicKey, nodePublicRaw(xd))));
  });
});

describe('post-quantum hybrids: registry and client/server pairs', () => {
  it('are first in DEFAULT_KEX in OpenSSH 10 order, registered, not insecure', () => {
    expect(DEFAULT_KEX.slice(0, 4)).to.deep.equal([
      'mlkem768x25519-sha256',
      'sntrup761x25519-sha512',
      'sntrup761x25519-sha512@openssh.com',
      'curve25519-sha256',
    ]);
    for (const m of METHODS) {
      const alg = getKex(m.name)!;
      expect(alg.name).to.equal(m.name);
      expect(alg.insecure ?? false).to.equal(false);
      expect(SUPPORTED_KEX).to.include(m.name);
      expect(INSECURE_KEX).not.to.include(m.name);
      expect(alg.hash(new Uint8Array(3)).length).to.equal(m.hash === 'sha256' ? 32 : 64);
    }
  });

  for (const m of METHODS) {
    it(`${m.name}: client and server agree on K and H over a memory pipe; fresh randomness changes them`, async () => {
      const alg = getKex(m.name)!;
      const run = async (seed: string): Promise<[KexResult, KexResult]> => {
        const pair = memKexPair();
        const [c, s] = await Promise.all([
          alg.client(pair.client, MAGICS, seededRandom(`client ${seed}`)),
          alg.server(pair.server, MAGICS, HOST_KEY, seededRandom(`server ${seed}`)),
        ]);
        expect(pair.clientSent[0]!.length).to.equal(1 + 4 + m.pkLen + 32);
        expect(pair.serverSent[0]!.length).to.equal(1 + 4 + HOST_KEY.blob.length + 4 + m.ctLen + 32 + 4 + c.signature.length);
        return [c, s];
      };
      const [c, s] = await run('1');
      const hashLen = m.hash === 'sha256' ? 32 : 64;
      expect(hex(c.K)).to.equal(hex(s.K));
      expect(hex(c.H)).to.equal(hex(s.H));
      expect(c.H.length).to.equal(hashLen);
      // K is string HASH(...): uint32 length = hash size, then the digest (its top bit may be set)
      expect(hex(c.K.subarray(0, 4))).to.equal(hex(u32(hashLen)));
      expect(c.K.length).to.equal(4 + hashLen);
      expect(hex(c.signature)).to.equal(hex(HOST_KEY.sign(c.H) as Uint8Array));
      const [c2] = await run('2');
      expect(hex(c2.H)).not.to.equal(hex(c.H));
      expect(hex(c2.K)).not.to.equal(hex(c.K));
    });
  }
});
