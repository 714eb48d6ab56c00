import { expect } from 'chai';
import { createECDH } from 'node:crypto';
import { ProtocolError, SshError } from '../../../src/errors.js';
import { getKex } from '../../../src/kex/index.js';
import { HOST_KEY, MAGICS, TestReader, cat, expectedH, hex, queuedConn, scriptedConn, seededRandom, sshMpint, sshString } from './helpers.js';

const CURVES = [
  { name: 'ecdh-sha2-nistp256', node: 'prime256v1', hash: 'sha256', len: 32 },
  { name: 'ecdh-sha2-nistp384', node: 'secp384r1', hash: 'sha384', len: 48 },
  { name: 'ecdh-sha2-nistp521', node: 'secp521r1', hash: 'sha512', len: 66 },
] as const;

function reply(qS: Uint8Array, sig: Uint8Array | string = 'sig'): Uint8Array {
  return cat(Uint8Array.of(31), sshString(HOST_KEY.blob), sshString(qS), sshString(sig));
}

for (const c of CURVES) {
  describe(`${c.name} (RFC 5656 §4)`, () => {
    const alg = getKex(c.name)!;
    const serverPriv = Buffer.alloc(c.len, 0x11);
    serverPriv[0] = 0x01; // below the order for every curve

    it('client: known answer against node:crypto ECDH playing the server', async () => {
      const ecdh = createECDH(c.node);
      ecdh.setPrivateKey(serverPriv);
      const qS = new Uint8Array(ecdh.getPublicKey());
      const { conn, sent } = scriptedConn(() => [reply(qS)]);
      const res = await alg.client(conn, MAGICS, seededRandom(`${c.name} client`));

      const r = new TestReader(sent[0]!);
      expect(r.byte()).to.equal(30);
      const qC = r.string();
      expect(r.done()).to.equal(true);
      expect(qC.length).to.equal(1 + 2 * c.len);
      expect(qC[0]).to.equal(4);
      const x = new Uint8Array(ecdh.computeSecret(qC));
      const K = sshMpint(x);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(expectedH(c.hash, HOST_KEY.blob, cat(sshString(qC), sshString(qS)), K)));
      expect(hex(res.signature)).to.equal(hex(sshString('sig').subarray(4)));

      // same seed, same client key: the randomness is the only input
      const again = scriptedConn(() => [reply(qS)]);
      await alg.client(again.conn, MAGICS, seededRandom(`${c.name} client`));
      expect(hex(again.sent[0]!)).to.equal(hex(sent[0]!));
    });

    it('server: known answer against node:crypto ECDH playing the client', async () => {
      const ecdh = createECDH(c.node);
      ecdh.setPrivateKey(Buffer.alloc(c.len, 0x01));
      const qC = new Uint8Array(ecdh.getPublicKey());
      const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(qC))]);
      const res = await alg.server(conn, MAGICS, HOST_KEY, seededRandom(`${c.name} server`));
      const r = new TestReader(sent[0]!);
      expect(r.byte()).to.equal(31);
      expect(hex(r.string())).to.equal(hex(HOST_KEY.blob));
      const qS = r.string();
      const sig = r.string();
      expect(r.done()).to.equal(true);
      const K = sshMpint(new Uint8Array(ecdh.computeSecret(qS)));
      const H = expectedH(c.hash, HOST_KEY.blob, cat(sshString(qC), sshString(qS)), K);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(sig)).to.equal(hex(HOST_KEY.sign(H) as Uint8Array));
    });

    describe('rejects invalid peer points with a ProtocolError', () => {
      const ecdh = createECDH(c.node);
      ecdh.setPrivateKey(serverPriv);
      const good = new Uint8Array(ecdh.getPublicKey());
      const offCurve = good.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const xTooBig = good.slice();
      xTooBig.fill(0xff, 1, 1 + c.len);
      const cases: [string, Uint8Array, RegExp][] = [
        ['off the curve', offCurve, /not a valid point on the curve/],
        ['all-zero coordinates (not a point)', cat(Uint8Array.of(4), new Uint8Array(2 * c.len)), /not a valid point/],
        ['coordinate not below the field prime', xTooBig, /not a valid point/],
        ['compressed form', new Uint8Array(ecdh.getPublicKey(null, 'compressed')), /not an uncompressed/],
        ['wrong prefix byte', cat(Uint8Array.of(5), good.subarray(1)), /not an uncompressed/],
        ['truncated', good.subarray(0, good.length - 1), /not an uncompressed/],
        ['point at infinity encoding', Uint8Array.of(0), /not an uncompressed/],
      ];
      for (const [what, point, re] of cases) {
        it(`client: ${what}`, async () => {
          const { conn } = scriptedConn(() => [reply(point)]);
          const err = await alg.client(conn, MAGICS, seededRandom('bad')).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(ProtocolError);
          expect((err as SshError).code).to.equal('KEY_EXCHANGE_FAILURE');
          expect((err as Error).message)
            .to.match(re)
            .and.to.include(c.name);
        });
      }
      it('server: off-curve client point', async () => {
        const { conn, sent } = queuedConn([cat(Uint8Array.of(30), sshString(offCurve))]);
        const err = await alg.server(conn, MAGICS, HOST_KEY, seededRandom('bad')).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ProtocolError);
        expect((err as Error).message).to.match(/not a valid point on the curve/);
        expect(sent).to.have.length(0);
      });
    });
  });
}
