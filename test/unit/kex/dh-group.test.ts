import { expect } from 'chai';
import fc from 'fast-check';
import { checkPrimeSync, createDiffieHellman, getDiffieHellman } from 'node:crypto';
import { ProtocolError, SshError } from '../../../src/errors.js';
import { dhExponentBits, dhKeyPair } from '../../../src/kex/dh-group.js';
import { MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18, OAKLEY_GROUP_2 } from '../../../src/kex/dh-groups-data.js';
import { getKex } from '../../../src/kex/index.js';
import { bitLength, modPow } from '../../../src/crypto/bigint.js';
import { HOST_KEY, MAGICS, TestReader, bigBytes, cat, expectedH, hex, queuedConn, scriptedConn, seededRandom, sshMpint, sshString, toBig } from './helpers.js';

/** floor(pi * 2^bits), by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in fixed point. */
function piScaled(bits: number): bigint {
  const guard = 64;
  const one = 1n << BigInt(bits + guard);
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 0n; term !== 0n; k++) {
      const t = term / (2n * k + 1n);
      sum += k % 2n === 0n ? t : -t;
      term /= x2;
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> BigInt(guard);
}

/** RFC 2409 §6.2 / RFC 3526: p = 2^N - 2^(N-64) - 1 + 2^64 * (floor(2^(N-130) pi) + c). */
function rfcPrime(n: number, c: bigint): bigint {
  const N = BigInt(n);
  return (1n << N) - (1n << (N - 64n)) - 1n + (1n << 64n) * (piScaled(n - 130) + c);
}

const GROUPS = [
  { label: 'Oakley group 2 (RFC 2409 §6.2)', group: OAKLEY_GROUP_2, node: 'modp2', c: 129093n },
  { label: 'MODP group 14 (RFC 3526 §3)', group: MODP_GROUP_14, node: 'modp14', c: 124476n },
  { label: 'MODP group 16 (RFC 3526 §5)', group: MODP_GROUP_16, node: 'modp16', c: 240904n },
  { label: 'MODP group 18 (RFC 3526 §7)', group: MODP_GROUP_18, node: 'modp18', c: 4743158n },
] as const;

describe('DH group data', () => {
  for (const { label, group, node, c } of GROUPS) {
    it(`${label}: matches the pi formula of the RFC, node:crypto's ${node}, and g = 2 has order (p-1)/2`, () => {
      expect(bitLength(group.p)).to.equal(group.bits);
      expect(group.g).to.equal(2n);
      expect(group.p).to.equal(rfcPrime(group.bits, c));
      const nodeGroup = getDiffieHellman(node);
      expect(toBig(new Uint8Array(nodeGroup.getPrime()))).to.equal(group.p);
      expect(toBig(new Uint8Array(nodeGroup.getGenerator()))).to.equal(2n);
      // safe prime p = 2q + 1; 2 is a quadratic residue (p ≡ 7 mod 8), so 2^q ≡ 1 (mod p)
      const q = (group.p - 1n) / 2n;
      expect(group.p % 8n).to.equal(7n);
      expect(modPow(2n, q, group.p)).to.equal(1n);
      if (group.bits <= 2048) {
        expect(checkPrimeSync(group.p, { checks: 4 })).to.equal(true);
        expect(checkPrimeSync(q, { checks: 4 })).to.equal(true);
      }
    });
  }
});

describe('modPow', () => {
  function naive(b: bigint, e: bigint, m: bigint): bigint {
    let r = 1n;
    b %= m;
    while (e > 0n) {
      if (e & 1n) r = (r * b) % m;
      b = (b * b) % m;
      e >>= 1n;
    }
    return r;
  }

  it('small known values', () => {
    expect(modPow(2n, 10n, 1000n)).to.equal(24n);
    expect(modPow(3n, 0n, 7n)).to.equal(1n);
    expect(modPow(0n, 5n, 7n)).to.equal(0n);
    expect(modPow(-2n, 3n, 7n)).to.equal(6n);
    expect(modPow(5n, 1n, 7n)).to.equal(5n);
    expect(() => modPow(2n, 3n, 1n)).to.throw(RangeError);
    expect(() => modPow(2n, -1n, 7n)).to.throw(RangeError);
  });

  it('agrees with square-and-multiply on random inputs of every window size', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 600n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 1100n) - 1n }),
        fc.bigInt({ min: 2n, max: (1n << 700n) - 1n }),
        (b, e, m) => modPow(b, e, m) === naive(b, e, m),
      ),
      { numRuns: 150 },
    );
  });

  it('agrees with node:crypto DiffieHellman on MODP group 14', () => {
    const dh = createDiffieHellman(getDiffieHellman('modp14').getPrime(), Buffer.from([2]));
    dh.setPrivateKey(Buffer.alloc(64, 0xa5));
    dh.generateKeys();
    expect(modPow(2n, toBig(new Uint8Array(Buffer.alloc(64, 0xa5))), MODP_GROUP_14.p)).to.equal(toBig(new Uint8Array(dh.getPublicKey())));
  });
});

describe('DH exponent', () => {
  it('is twice the hash size, at least 512 bits, below the modulus size', () => {
    expect(dhExponentBits(20, 1024)).to.equal(512);
    expect(dhExponentBits(32, 2048)).to.equal(512);
    expect(dhExponentBits(64, 8192)).to.equal(1024);
    expect(dhExponentBits(64, 768)).to.equal(767);
  });

  it('dhKeyPair draws x of exactly the requested size and returns g^x mod p', () => {
    for (const bits of [512, 767, 1024]) {
      const random = seededRandom(`x ${bits}`);
      const raw = seededRandom(`x ${bits}`)(Math.ceil(bits / 8));
      const { x, pub } = dhKeyPair(MODP_GROUP_14, random, bits);
      expect(bitLength(x)).to.equal(bits);
      const mask = (1n << BigInt(bits - 1)) - 1n;
      expect(x & mask).to.equal(toBig(raw) & mask);
      expect(pub).to.equal(modPow(2n, x, MODP_GROUP_14.p));
    }
  });
});

const FIXED = [
  { name: 'diffie-hellman-group1-sha1', node: 'modp2', hash: 'sha1' },
  { name: 'diffie-hellman-group14-sha1', node: 'modp14', hash: 'sha1' },
  { name: 'diffie-hellman-group14-sha256', node: 'modp14', hash: 'sha256' },
  { name: 'diffie-hellman-group16-sha512', node: 'modp16', hash: 'sha512' },
  { name: 'diffie-hellman-group18-sha512', node: 'modp18', hash: 'sha512' },
] as const;

function nodeDh(group: string, priv: Buffer) {
  const dh = createDiffieHellman(getDiffieHellman(group).getPrime(), Buffer.from([2]));
  dh.setPrivateKey(priv);
  dh.generateKeys();
  return dh;
}

for (const t of FIXED) {
  describe(`${t.name} (RFC 4253 §8, RFC 8268)`, () => {
    const alg = getKex(t.name)!;
    const p = toBig(new Uint8Array(getDiffieHellman(t.node).getPrime()));

    it('client: known answer against node:crypto DiffieHellman playing the server', async () => {
      const server = nodeDh(t.node, Buffer.alloc(64, 0x3c));
      const f = toBig(new Uint8Array(server.getPublicKey()));
      const { conn, sent } = scriptedConn(() => [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshMpint(f), sshString('sig'))]);
      const res = await alg.client(conn, MAGICS, seededRandom(`${t.name} client`));
      const r = new TestReader(sent[0]!);
      expect(r.byte()).to.equal(30);
      const e = r.mpint();
      expect(r.done()).to.equal(true);
      const K = sshMpint(new Uint8Array(server.computeSecret(bigBytes(e))));
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(expectedH(t.hash, HOST_KEY.blob, cat(sshMpint(e), sshMpint(f)), K)));
      expect(hex(res.signature)).to.equal(hex(new TextEncoder().encode('sig')));
    });

    it('server: known answer against node:crypto DiffieHellman playing the client', async () => {
      const client = nodeDh(t.node, Buffer.alloc(64, 0x77));
      const e = toBig(new Uint8Array(client.getPublicKey()));
      const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshMpint(e))]);
      const res = await alg.server(conn, MAGICS, HOST_KEY, seededRandom(`${t.name} server`));
      const r = new TestReader(sent[0]!);
      expect(r.byte()).to.equal(31);
      expect(hex(r.string())).to.equal(hex(HOST_KEY.blob));
      const f = r.mpint();
      const sig = r.string();
      expect(r.done()).to.equal(true);
      const K = sshMpint(new Uint8Array(client.computeSecret(bigBytes(f))));
      const H = expectedH(t.hash, HOST_KEY.blob, cat(sshMpint(e), sshMpint(f)), K);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(sig)).to.equal(hex(HOST_KEY.sign(H) as Uint8Array));
    });

    if (t.name === 'diffie-hellman-group14-sha256' || t.name === 'diffie-hellman-group1-sha1') {
      const badValues: [string, Uint8Array][] = [
        ['0', sshMpint(0n)],
        ['1', sshMpint(1n)],
        ['p-1', sshMpint(p - 1n)],
        ['p', sshMpint(p)],
        ['p+1', sshMpint(p + 1n)],
        ['-1', cat(Uint8Array.of(0, 0, 0, 1, 0xff))],
      ];
      for (const [label, mp] of badValues) {
        it(`client rejects f = ${label} with a ProtocolError`, async () => {
          const { conn } = scriptedConn(() => [cat(Uint8Array.of(31), sshString(HOST_KEY.blob), mp, sshString('s'))]);
          const err = await alg.client(conn, MAGICS, seededRandom('f')).catch((x: unknown) => x);
          expect(err).to.be.instanceOf(ProtocolError);
          expect((err as SshError).code).to.equal('KEY_EXCHANGE_FAILURE');
          expect((err as Error).message).to.equal(`${t.name}: DH public value f is out of range (must be 1 < f < p-1)`);
        });
        it(`server rejects e = ${label} and sends nothing`, async () => {
          const { conn, sent } = queuedConn([cat(Uint8Array.of(30), mp)]);
          const err = await alg.server(conn, MAGICS, HOST_KEY, seededRandom('e')).catch((x: unknown) => x);
          expect(err).to.be.instanceOf(ProtocolError);
          expect((err as Error).message).to.match(/DH public value e is out of range/);
          expect(sent).to.have.length(0);
        });
      }

      it('wrong message number: ProtocolError naming expected and got', async () => {
        const { conn } = scriptedConn(() => [cat(Uint8Array.of(30), sshMpint(5n))]);
        const err = await alg.client(conn, MAGICS, seededRandom('m')).catch((x: unknown) => x);
        expect(err).to.be.instanceOf(ProtocolError);
        expect((err as SshError).code).to.equal('PROTO');
        expect((err as Error).message).to.equal(`${t.name}: expected SSH_MSG_KEXDH_REPLY (31), got message 30`);
      });

      it('trailing bytes and truncation: ProtocolError', async () => {
        const good = cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshMpint(5n), sshString('s'));
        for (const [pkt, re] of [
          [cat(good, Uint8Array.of(0)), /1 unexpected trailing bytes/],
          [good.subarray(0, good.length - 1), /truncated signature/],
          [Uint8Array.of(31), /truncated server host key/],
          [new Uint8Array(0), /got an empty packet/],
        ] as const) {
          const { conn } = scriptedConn(() => [pkt]);
          const err = await alg.client(conn, MAGICS, seededRandom('t')).catch((x: unknown) => x);
          expect(err).to.be.instanceOf(ProtocolError);
          expect((err as Error).message).to.match(re);
        }
      });
    }
  });
}
