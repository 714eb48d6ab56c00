/**
 * sntrup761: the NTRU Prime submission's known-answer procedure (NIST AES-256-CTR DRBG,
 * implemented here over node:crypto), checked against liboqs's SHA-256 of the KAT
 * transcript for count 0 and for all 100 counts, plus the first three counts transcribed
 * in test/vectors/sntrup761.json. Then the arithmetic, encodings and sorting against
 * naive reference computations, and implicit rejection.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { rqDecode, rqEncode, roundedDecode, roundedEncode, smallDecode, smallEncode } from '../../../src/kex/sntrup761/encode.js';
import { f3Freeze, fqFreeze, fqRecip } from '../../../src/kex/sntrup761/field.js';
import {
  CIPHERTEXT_BYTES,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SHARED_SECRET_BYTES,
  decapsulate,
  encapsulate,
  keypair,
} from '../../../src/kex/sntrup761/kem.js';
import { P, Q, Q12, ROUNDED_BYTES, RQ_BYTES, SMALL_BYTES, W } from '../../../src/kex/sntrup761/params.js';
import { r3FromRq, r3Mult, rqMult3, rqMultSmall, round, weightwMask } from '../../../src/kex/sntrup761/poly.js';
import { r3Recip, rqRecip3 } from '../../../src/kex/sntrup761/recip.js';
import { shortFromList, smallFromRandom } from '../../../src/kex/sntrup761/sort.js';

interface KatEntry {
  count: number;
  seed: string;
  pk_sha256: string;
  sk_sha256: string;
  ct_sha256: string;
  ss: string;
  pk_prefix: string;
  ct_prefix: string;
}
const VECTORS = JSON.parse(readFileSync(new URL('../../vectors/sntrup761.json', import.meta.url), 'utf8')) as {
  transcript_sha256: { count_0: string; counts_0_to_99: string };
  entries: KatEntry[];
};

// ---- NIST SP 800-90A AES-256 CTR_DRBG as in NIST's rng.c (no derivation function) ----

class NistDrbg {
  private key = Buffer.alloc(32);
  private v = Buffer.alloc(16);
  constructor(seed: Uint8Array) {
    this.update(Buffer.from(seed));
  }
  /** the next n counter blocks V+1 .. V+n encrypted under the current key */
  private blocks(n: number): Buffer {
    const counters = Buffer.alloc(16 * n);
    for (let i = 0; i < n; i++) {
      for (let j = 15; j >= 0; j--) {
        this.v[j] = (this.v[j]! + 1) & 0xff;
        if (this.v[j] !== 0) break;
      }
      this.v.copy(counters, 16 * i);
    }
    const aes = createCipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    return aes.update(counters);
  }
  private update(provided: Buffer | null): void {
    const t = this.blocks(3);
    if (provided) for (let i = 0; i < 48; i++) t[i]! ^= provided[i]!;
    t.copy(this.key, 0, 0, 32);
    t.copy(this.v, 0, 32, 48);
  }
  /** randombytes(): whole blocks, the tail of the last one dropped, then an update */
  random = (n: number): Uint8Array => {
    const out = new Uint8Array(this.blocks(Math.ceil(n / 16)).subarray(0, n));
    this.update(null);
    return out;
  };
}

const hexU = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const sha512 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Run counts 0..n-1 of the KAT procedure; returns the transcript and the raw values. */
function katTranscript(n: number): { text: string; values: { seed: Uint8Array; pk: Uint8Array; sk: Uint8Array; ct: Uint8Array; ss: Uint8Array }[] } {
  const outer = new NistDrbg(Uint8Array.from({ length: 48 }, (_, i) => i));
  let text = '';
  const values = [];
  for (let count = 0; count < n; count++) {
    const seed = outer.random(48);
    const drbg = new NistDrbg(seed);
    const { publicKey: pk, secretKey: sk } = keypair(drbg.random);
    const { cipherText: ct, sharedSecret: ss } = encapsulate(pk, drbg.random);
    expect(hex(decapsulate(ct, sk)), `decapsulate, count ${count}`).to.equal(hex(ss));
    text += `count = ${count}\nseed = ${hexU(seed)}\npk = ${hexU(pk)}\nsk = ${hexU(sk)}\nct = ${hexU(ct)}\nss = ${hexU(ss)}\n`;
    if (count !== n - 1) text += '\n';
    values.push({ seed, pk, sk, ct, ss });
  }
  return { text, values };
}

// ---- naive reference arithmetic ----

const modQ = (x: number): number => {
  const r = ((x % Q) + Q) % Q;
  return r > Q12 ? r - Q : r;
};
const mod3 = (x: number): number => {
  const r = ((x % 3) + 3) % 3;
  return r === 2 ? -1 : r;
};
function naiveMul(a: ArrayLike<number>, b: ArrayLike<number>, reduce: (x: number) => number): number[] {
  const fg = new Array<number>(2 * P - 1).fill(0);
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) fg[i + j]! += a[i]! * b[j]!;
  for (let i = 2 * P - 2; i >= P; i--) {
    fg[i - P]! += fg[i]!;
    fg[i - P + 1]! += fg[i]!;
  }
  return fg.slice(0, P).map(reduce);
}
const isOne = (poly: number[]): boolean => poly[0] === 1 && poly.slice(1).every((c) => c === 0);

function randomSmall(): Int8Array {
  return smallFromRandom(new Uint8Array(randomBytes(4 * P)));
}
function randomShort(): Int8Array {
  return shortFromList(new Uint8Array(randomBytes(4 * P)));
}
function randomFq(): Int16Array {
  return Int16Array.from({ length: P }, () => Math.floor(Math.random() * Q) - Q12);
}

describe('sntrup761 known-answer tests (NIST DRBG procedure)', function () {
  this.timeout(120_000);

  it("count 0: the transcript hashes to liboqs's value, and matches the transcribed entry", () => {
    const { text, values } = katTranscript(1);
    expect(sha256(text)).to.equal(VECTORS.transcript_sha256.count_0);
    const e = VECTORS.entries[0]!;
    const v = values[0]!;
    expect(hex(v.seed)).to.equal(e.seed);
    expect(v.pk.length).to.equal(PUBLIC_KEY_BYTES);
    expect(v.sk.length).to.equal(SECRET_KEY_BYTES);
    expect(v.ct.length).to.equal(CIPHERTEXT_BYTES);
    expect(v.ss.length).to.equal(SHARED_SECRET_BYTES);
  });

  it('counts 0-2 match the transcribed pk, sk, ct digests and shared secrets', () => {
    const { values } = katTranscript(3);
    VECTORS.entries.forEach((e, i) => {
      const v = values[i]!;
      expect(e.count).to.equal(i);
      expect(hex(v.seed), `seed ${i}`).to.equal(e.seed);
      expect(sha256(v.pk), `pk ${i}`).to.equal(e.pk_sha256);
      expect(hex(v.pk.subarray(0, 16)), `pk prefix ${i}`).to.equal(e.pk_prefix);
      expect(sha256(v.sk), `sk ${i}`).to.equal(e.sk_sha256);
      expect(sha256(v.ct), `ct ${i}`).to.equal(e.ct_sha256);
      expect(hex(v.ct.subarray(0, 16)), `ct prefix ${i}`).to.equal(e.ct_prefix);
      expect(hex(v.ss), `ss ${i}`).to.equal(e.ss);
    });
  });

  it("all 100 counts: the transcript hashes to liboqs's value", () => {
    expect(sha256(katTranscript(100).text)).to.equal(VECTORS.transcript_sha256.counts_0_to_99);
  });

  it('the secret key is f ‖ 1/g ‖ pk ‖ rho ‖ Hash4(pk)', () => {
    const drbg = new NistDrbg(new Uint8Array(48).fill(7));
    const { publicKey, secretKey } = keypair(drbg.random);
    const pkAt = 2 * SMALL_BYTES;
    expect(hex(secretKey.subarray(pkAt, pkAt + PUBLIC_KEY_BYTES))).to.equal(hex(publicKey));
    const cache = sha512(Uint8Array.of(4), publicKey).subarray(0, 32);
    expect(hex(secretKey.subarray(SECRET_KEY_BYTES - 32))).to.equal(hex(cache));
    // f is short, and f * (1/g) decodes to valid ternary polynomials
    const f = smallDecode(secretKey.subarray(0, SMALL_BYTES));
    expect(Array.from(f).filter((c) => c !== 0)).to.have.length(W);
  });
});

describe('sntrup761 KEM behaviour', () => {
  const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
  const { publicKey, secretKey } = keypair(rnd);

  it('encapsulate/decapsulate agree for fresh randomness', () => {
    for (let i = 0; i < 5; i++) {
      const { cipherText, sharedSecret } = encapsulate(publicKey, rnd);
      expect(hex(decapsulate(cipherText, secretKey))).to.equal(hex(sharedSecret));
    }
  });

  it('implicit rejection: a modified ciphertext yields Hash0(Hash3(rho) ‖ c), not an error', () => {
    const rho = secretKey.subarray(2 * SMALL_BYTES + PUBLIC_KEY_BYTES, 2 * SMALL_BYTES + PUBLIC_KEY_BYTES + SMALL_BYTES);
    const { cipherText, sharedSecret } = encapsulate(publicKey, rnd);
    for (const pos of [0, 500, ROUNDED_BYTES - 1, ROUNDED_BYTES, CIPHERTEXT_BYTES - 1]) {
      const bad = cipherText.slice();
      bad[pos]! ^= 0x01;
      const k = decapsulate(bad, secretKey);
      const expected = sha512(Uint8Array.of(0), sha512(Uint8Array.of(3), rho).subarray(0, 32), bad).subarray(0, 32);
      expect(hex(k), `byte ${pos}`).to.equal(hex(expected));
      expect(hex(k)).not.to.equal(hex(sharedSecret));
    }
  });

  it('the accepted secret is Hash1(Hash3(r) ‖ c), with r re-derivable from the ciphertext', () => {
    // decapsulating with rho replaced must not change the result for a valid ciphertext
    const { cipherText, sharedSecret } = encapsulate(publicKey, rnd);
    const sk2 = secretKey.slice();
    sk2.fill(0x55, 2 * SMALL_BYTES + PUBLIC_KEY_BYTES, 2 * SMALL_BYTES + PUBLIC_KEY_BYTES + SMALL_BYTES);
    expect(hex(decapsulate(cipherText, sk2))).to.equal(hex(sharedSecret));
  });

  it('rejects wrong lengths and short random output with RangeError', () => {
    expect(() => encapsulate(publicKey.subarray(1), rnd)).to.throw(RangeError);
    expect(() => decapsulate(new Uint8Array(CIPHERTEXT_BYTES - 1), secretKey)).to.throw(RangeError);
    expect(() => decapsulate(new Uint8Array(CIPHERTEXT_BYTES), secretKey.subarray(1))).to.throw(RangeError);
    expect(() => keypair(() => new Uint8Array(3))).to.throw(RangeError);
  });
});

describe('sntrup761 arithmetic, encodings and sampling', function () {
  this.timeout(60_000);

  it('f3Freeze is x mod 3 in {-1,0,1} for every |x| <= 16000', () => {
    for (let x = -16000; x <= 16000; x++) if (f3Freeze(x) !== mod3(x)) expect.fail(`f3Freeze(${x})`);
  });

  it('fqFreeze is x mod q in [-Q12, Q12] for every |x| <= 2^23 (every value the code reduces)', () => {
    let want = modQ(-(2 ** 23)); // then tracked incrementally: the loop is 2^24 steps
    for (let x = -(2 ** 23); x <= 2 ** 23; x++) {
      if (fqFreeze(x) !== want) expect.fail(`fqFreeze(${x}) = ${fqFreeze(x)}, want ${want}`);
      want = want === Q12 ? -Q12 : want + 1;
    }
  });

  it('fqFreeze stays exact up to 2^40 (fast-check against BigInt)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (x) => {
        const r = BigInt(fqFreeze(x));
        const want = ((BigInt(x) % BigInt(Q)) + BigInt(Q)) % BigInt(Q);
        return r === (want > BigInt(Q12) ? want - BigInt(Q) : want);
      }),
      { numRuns: 20_000 },
    );
  });

  it('fqRecip(a) * a = 1 for every nonzero a, and fqRecip(0) = 0', () => {
    expect(fqRecip(0)).to.equal(0);
    for (let a = -Q12; a <= Q12; a++) if (a !== 0 && modQ(a * fqRecip(a)) !== 1) expect.fail(`fqRecip(${a})`);
  });

  it('rqMultSmall and r3Mult equal the schoolbook product, including extreme coefficients', () => {
    const cases: [Int16Array, Int8Array, Int8Array][] = [
      [randomFq(), randomSmall(), randomSmall()],
      [new Int16Array(P).fill(Q12), new Int8Array(P).fill(1), new Int8Array(P).fill(1)],
      [new Int16Array(P).fill(-Q12), new Int8Array(P).fill(1), new Int8Array(P).fill(-1)],
      [Int16Array.from({ length: P }, (_, i) => (i % 2 ? Q12 : -Q12)), Int8Array.from({ length: P }, (_, i) => (i % 2 ? 1 : -1)), randomShort()],
    ];
    for (const [h, g, s] of cases) {
      expect(Array.from(rqMultSmall(h, g))).to.deep.equal(naiveMul(h, g, modQ));
      expect(Array.from(r3Mult(s, g))).to.deep.equal(naiveMul(s, g, mod3));
    }
  });

  it('rqMult3, r3FromRq, round and weightwMask', () => {
    const h = randomFq();
    expect(Array.from(rqMult3(h))).to.deep.equal(Array.from(h, (c) => modQ(3 * c)));
    expect(Array.from(r3FromRq(h))).to.deep.equal(Array.from(h, mod3));
    const rounded = round(h);
    rounded.forEach((c, i) => {
      expect(c % 3).to.equal(0);
      expect(Math.abs(c - h[i]!)).to.be.at.most(1);
    });
    expect(weightwMask(randomShort())).to.equal(0);
    expect(weightwMask(new Int8Array(P))).to.equal(-1);
    const heavy = randomShort();
    heavy[heavy.indexOf(0)] = 1;
    expect(weightwMask(heavy)).to.equal(-1);
  });

  it('r3Recip inverts in R3 and reports 0 as not invertible', () => {
    for (let i = 0; i < 4; i++) {
      const g = randomSmall();
      const inv = new Int8Array(P);
      expect(r3Recip(inv, g)).to.equal(0);
      expect(isOne(naiveMul(inv, g, mod3))).to.equal(true);
    }
    expect(r3Recip(new Int8Array(P), new Int8Array(P))).to.equal(-1);
  });

  it('rqRecip3 gives 1/(3f) in Rq', () => {
    for (const f of [randomShort(), randomSmall(), Int8Array.from({ length: P }, (_, i) => (i === 0 ? 1 : 0))]) {
      const inv = new Int16Array(P);
      expect(rqRecip3(inv, f)).to.equal(0);
      expect(isOne(naiveMul(inv, f, modQ).map((c) => modQ(3 * c)))).to.equal(true);
    }
  });

  it('Rq, rounded and small encodings round-trip, with the specified sizes', () => {
    const extremes = [new Int16Array(P).fill(-Q12), new Int16Array(P).fill(Q12), randomFq()];
    for (const h of extremes) {
      const enc = rqEncode(h);
      expect(enc.length).to.equal(RQ_BYTES);
      expect(Array.from(rqDecode(enc))).to.deep.equal(Array.from(h));
      const r = round(h); // Q12 = 3*765, so rounding stays within [-Q12, Q12]
      const renc = roundedEncode(r);
      expect(renc.length).to.equal(ROUNDED_BYTES);
      expect(Array.from(roundedDecode(renc))).to.deep.equal(Array.from(r));
    }
    const s = randomSmall();
    const senc = smallEncode(s);
    expect(senc.length).to.equal(SMALL_BYTES);
    expect(Array.from(smallDecode(senc))).to.deep.equal(Array.from(s));
  });

  it('decoding arbitrary bytes yields in-range coefficients that re-encode canonically', () => {
    for (const bytes of [new Uint8Array(RQ_BYTES).fill(0xff), new Uint8Array(randomBytes(RQ_BYTES))]) {
      const h = rqDecode(bytes);
      expect(h.every((c) => c >= -Q12 && c <= Q12)).to.equal(true);
      expect(Array.from(rqDecode(rqEncode(h)))).to.deep.equal(Array.from(h));
    }
    const c = roundedDecode(new Uint8Array(ROUNDED_BYTES).fill(0xff));
    expect(c.every((x) => x >= -Q12 && x <= Q12 && x % 3 === 0)).to.equal(true);
  });

  it('shortFromList equals the specification (tag, sort as unsigned, take the low bits)', () => {
    const inputs = [
      new Uint8Array(randomBytes(4 * P)),
      new Uint8Array(4 * P).fill(0xff),
      new Uint8Array(4 * P),
      Uint8Array.from({ length: 4 * P }, (_, i) => (i % 4 === 3 ? (i * 37) & 0x81 : 0)), // many ties, top bits set
    ];
    for (const bytes of inputs) {
      const words = Array.from({ length: P }, (_, i) => Buffer.from(bytes.buffer, bytes.byteOffset + 4 * i, 4).readUInt32LE(0));
      const tagged = words.map((u, i) => (i < W ? (u & ~1) >>> 0 : ((u & ~3) | 1) >>> 0));
      tagged.sort((a, b) => a - b);
      const want = tagged.map((u) => (u & 3) - 1);
      const got = shortFromList(bytes);
      expect(Array.from(got)).to.deep.equal(want);
      expect(Array.from(got).filter((x) => x !== 0)).to.have.length(W);
    }
  });

  it('smallFromRandom equals ((u mod 2^30) * 3 >> 30) - 1 per little-endian word', () => {
    const bytes = new Uint8Array(randomBytes(4 * P));
    const want = Array.from({ length: P }, (_, i) => {
      const u = Buffer.from(bytes.buffer, bytes.byteOffset + 4 * i, 4).readUInt32LE(0);
      return Number((BigInt(u & 0x3fffffff) * 3n) >> 30n) - 1;
    });
    expect(Array.from(smallFromRandom(bytes))).to.deep.equal(want);
  });
});
