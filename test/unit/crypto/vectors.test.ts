/**
 * Known-answer tests: RFC 6979 (deterministic DSA/ECDSA, Appendix A.2.1, A.2.5–A.2.7),
 * RFC 8032 §7.1 (Ed25519), and the SSH framing of those signatures.
 */
import { expect } from 'chai';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { modPow } from '../../../src/crypto/bigint.js';
import { DsaPrivateKey, Ed25519PrivateKey, ecdsaPrivateKey, parsePublicKeyBlob, verifySignature } from '../../../src/crypto/keys/index.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';

const H = (s: string) => BigInt('0x' + s.replace(/\s+/g, ''));
const bytes = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (s: string) => new TextEncoder().encode(s);
const innerSig = (blob: Uint8Array) => {
  const r = new Reader(blob);
  r.string();
  const s = r.string().slice();
  r.end();
  return s;
};

describe('crypto/keys: known-answer vectors', () => {
  describe('DSA 1024/160 with SHA-1 (RFC 6979 A.2.1)', () => {
    const p = H(`86F5CA03DCFEB225063FF830A0C769B9DD9D6153AD91D7CE27F787C43278B447
      E6533B86B18BED6E8A48B784A14C252C5BE0DBF60B86D6385BD2F12FB763ED88
      73ABFD3F5BA2E0A8C0A59082EAC056935E529DAF7C610467899C77ADEDFC846C
      881870B7B19B2B58F9BE0521A17002E3BDD6B86685EE90B3D9A1B02B782B1779`);
    const q = H('996F967F6C8E388D9E28D01E205FBA957A5698B1');
    const g = H(`07B0F92546150B62514BB771E2A0C0CE387F03BDA6C56B505209FF25FD3C133D
      89BBCD97E904E09114D9A7DEFDEADFC9078EA544D2E401AEECC40BB9FBBF78FD
      87995A10A1C27CB7789B594BA7EFB5C4326A9FE59A070E136DB77175464ADCA4
      17BE5DCE2F40D10A46A3A3943F26AB7FD9C0398FF8C76EE0A56826A8A88F1DBD`);
    const x = H('411602CB19A6CCC34494D79D98EF1E7ED5AF25F7');
    const y = H(`5DF5E01DED31D0297E274E1691C192FE5868FEF9E19A84776454B100CF16F653
      92195A38B90523E2542EE61871C0440CB87C322FC4B4D2EC5E1E7EC766E1BE8D
      4CE935437DC11C3C8FD426338933EBFE739CB3465F4D3668C5E473508253B1E6
      82F65CBDC4FAE93C2EA212390E54905A86E2223170B44EAA7DA5DD9FFCFB7F3B`);
    const cases = [
      ['sample', '2E1A0C2562B2912CAAF89186FB0F42001585DA55', '29EFB6B0AFF2D7A68EB70CA313022253B9A88DF5'],
      ['test', '42AB2052FD43E123F0607F115052A67DCD9C5C77', '183916B0230D45B9931491D4C6B0BD2FB4AAF088'],
    ];

    it('y = g^x mod p', () => {
      expect(modPow(g, x, p)).to.equal(y);
    });

    for (const [msg, r, s] of cases) {
      it(`signs "${msg}" to the RFC's r ‖ s (40 bytes), which verifies`, () => {
        const key = new DsaPrivateKey({ p, q, g }, y, x, 'rfc6979');
        const sig = key.sign('ssh-dss', text(msg!));
        const expected = new Writer()
          .string('ssh-dss')
          .string(bytes(r! + s!))
          .finish();
        expect(Buffer.from(sig).toString('hex')).to.equal(Buffer.from(expected).toString('hex'));
        expect(verifySignature(key.publicKey.blob, 'ssh-dss', text(msg!), sig)).to.equal(true);
        expect(verifySignature(key.publicKey.blob, 'ssh-dss', text(msg + '!'), sig)).to.equal(false);
      });
    }
  });

  const ECDSA = [
    {
      id: 'nistp256',
      size: 32,
      x: 'C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721',
      ux: '60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6',
      sigs: [
        ['sample', 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716', 'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8'],
        ['test', 'F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367', '019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083'],
      ],
    },
    {
      id: 'nistp384',
      size: 48,
      x: `6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D8
          96D5724E4C70A825F872C9EA60D2EDF5`,
      ux: `EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64
           DEF8F0EA9055866064A254515480BC13`,
      sigs: [
        [
          'sample',
          `94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C
                    81A648152E44ACF96E36DD1E80FABE46`,
          `99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94F
           A329C145786E679E7B82C71A38628AC8`,
        ],
        [
          'test',
          `8203B63D3C853E8D77227FB377BCF7B7B772E97892A80F36AB775D509D7A5FEB
                  0542A7F0812998DA8F1DD3CA3CF023DB`,
          `DDD0760448D42D8A43AF45AF836FCE4DE8BE06B485E9B61B827C2F13173923E0
           6A739F040649A667BF3B828246BAA5A5`,
        ],
      ],
    },
    {
      id: 'nistp521',
      size: 66,
      x: `0FAD06DAA62BA3B25D2FB40133DA757205DE67F5BB0018FEE8C86E1B68C7E75C
          AA896EB32F1F47C70855836A6D16FCC1466F6D8FBEC67DB89EC0C08B0E996B83
          538`,
      ux: `1894550D0785932E00EAA23B694F213F8C3121F86DC97A04E5A7167DB4E5BCD3
           71123D46E45DB6B5D5370A7F20FB633155D38FFA16D2BD761DCAC474B9A2F502
           3A4`,
      sigs: [
        [
          'sample',
          `0C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F1
                    74E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E37
                    7FA`,
          `0617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF2
           82623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A
           67A`,
        ],
        [
          'test',
          `13E99020ABF5CEE7525D16B69B229652AB6BDF2AFFCAEF38773B4B7D08725F10
                  CDB93482FDCC54EDCEE91ECA4166B2A7C6265EF0CE2BD7051B7CEF945BABD47E
                  E6D`,
          `1FBD0013C674AA79CB39849527916CE301C66EA7CE8B80682786AD60F98F7E78
           A19CA69EFF5C57400E3B3A0AD66CE0978214D13BAF4E9AC60752F7B155E2DE4D
           CE3`,
        ],
      ],
    },
  ];

  for (const v of ECDSA) {
    describe(`ECDSA ${v.id} (RFC 6979 A.2.5–A.2.7, hash per RFC 5656 §6.2.1)`, () => {
      const key = ecdsaPrivateKey(v.id, H(v.x), 'rfc6979');
      const alg = `ecdsa-sha2-${v.id}`;

      it('derives the RFC public point, blob = string alg, string id, string Q', () => {
        const point = key.publicKey.point;
        expect(point[0]).to.equal(4);
        expect(Buffer.from(point.subarray(1, 1 + v.size)).toString('hex')).to.equal(
          H(v.ux)
            .toString(16)
            .padStart(2 * v.size, '0'),
        );
        const blob = new Writer().string(alg).string(v.id).string(point).finish();
        expect(key.publicKey.blob).to.deep.equal(blob);
        expect(parsePublicKeyBlob(blob).bits).to.equal(v.id === 'nistp521' ? 521 : v.size * 8);
      });

      for (const [msg, r, s] of v.sigs) {
        it(`signs "${msg}" to the RFC's (r, s) as mpint r ‖ mpint s`, () => {
          const sig = key.sign(alg, text(msg!));
          const inner = new Writer().mpint(H(r!)).mpint(H(s!)).finish();
          expect(Buffer.from(innerSig(sig)).toString('hex')).to.equal(Buffer.from(inner).toString('hex'));
          expect(verifySignature(key.publicKey.blob, alg, text(msg!), sig)).to.equal(true);
        });
      }
    });
  }

  describe('Ed25519 (RFC 8032 §7.1 tests 1 and 2)', () => {
    const cases = [
      [
        '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
        'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
        '',
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      ],
      [
        '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
        '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
        '72',
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
      ],
    ];
    cases.forEach(([seed, pub, msg, sig], i) => {
      it(`test ${i + 1}: public key, signature, SSH framing`, () => {
        const key = new Ed25519PrivateKey(bytes(seed!));
        expect(key.publicKey.blob).to.deep.equal(new Writer().string('ssh-ed25519').string(bytes(pub!)).finish());
        const blob = key.sign('ssh-ed25519', bytes(msg!));
        expect(blob).to.deep.equal(new Writer().string('ssh-ed25519').string(bytes(sig!)).finish());
        expect(verifySignature(key.publicKey.blob, 'ssh-ed25519', bytes(msg!), blob)).to.equal(true);
        const nodeKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes(pub!)).toString('base64url') }, format: 'jwk' });
        expect(nodeVerify(null, bytes(msg!), nodeKey, bytes(sig!))).to.equal(true);
      });
    });

    it('rejects a non-canonical S (S + L), which ZIP-215 style verifiers would also reject', () => {
      const key = new Ed25519PrivateKey(bytes(cases[0]![0]!));
      const sig = bytes(cases[0]![3]!);
      // S is little-endian in the second half; add the group order L
      const L = 2n ** 252n + 27742317777372353535851937790883648493n;
      let S = 0n;
      for (let i = 63; i >= 32; i--) S = (S << 8n) | BigInt(sig[i]!);
      S += L;
      const bad = sig.slice();
      for (let i = 32; i < 64; i++) {
        bad[i] = Number(S & 0xffn);
        S >>= 8n;
      }
      const blob = new Writer().string('ssh-ed25519').string(bad).finish();
      expect(verifySignature(key.publicKey.blob, 'ssh-ed25519', new Uint8Array(0), blob)).to.equal(false);
    });
  });
});
