import { expect } from 'chai';
import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import { ProtocolError, SshError } from '../../../src/errors.js';
import { GEX_DEFAULTS, chooseGexGroup } from '../../../src/kex/dh-gex.js';
import { MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18, OAKLEY_GROUP_2 } from '../../../src/kex/dh-groups-data.js';
import { getKex } from '../../../src/kex/index.js';
import type { KexClientOptions } from '../../../src/kex/types.js';
import {
  HOST_KEY,
  MAGICS,
  TestReader,
  bigBytes,
  cat,
  expectedH,
  hex,
  queuedConn,
  scriptedConn,
  seededRandom,
  sshMpint,
  sshString,
  toBig,
  u32,
} from './helpers.js';

function nodeDh(p: bigint, priv: Buffer) {
  const dh = createDiffieHellman(bigBytes(p), Buffer.from([2]));
  dh.setPrivateKey(priv);
  dh.generateKeys();
  return dh;
}

const groupMsg = (p: bigint, g: bigint) => cat(Uint8Array.of(31), sshMpint(p), sshMpint(g));
const replyMsg = (f: bigint) => cat(Uint8Array.of(33), sshString(HOST_KEY.blob), sshMpint(f), sshString('sig'));

for (const { name, hash } of [
  { name: 'diffie-hellman-group-exchange-sha256', hash: 'sha256' },
  { name: 'diffie-hellman-group-exchange-sha1', hash: 'sha1' },
]) {
  describe(`${name} (RFC 4419)`, () => {
    const alg = getKex(name)!;

    it('client: known answer against node:crypto DiffieHellman playing the server', async () => {
      const p = MODP_GROUP_14.p;
      const server = nodeDh(p, Buffer.alloc(64, 0x29));
      const f = toBig(new Uint8Array(server.getPublicKey()));
      const { conn, sent } = scriptedConn((pkt, i) => (i === 0 ? [groupMsg(p, 2n)] : [replyMsg(f)]));
      const res = await alg.client(conn, MAGICS, seededRandom(`${name} client`));

      const rq = new TestReader(sent[0]!);
      expect(rq.byte()).to.equal(34);
      const [min, n, max] = [rq.u32(), rq.u32(), rq.u32()];
      expect(rq.done()).to.equal(true);
      expect([min, n, max]).to.deep.equal([GEX_DEFAULTS.min, GEX_DEFAULTS.preferred, GEX_DEFAULTS.max]);
      const init = new TestReader(sent[1]!);
      expect(init.byte()).to.equal(32);
      const e = init.mpint();
      expect(init.done()).to.equal(true);

      const K = sshMpint(new Uint8Array(server.computeSecret(bigBytes(e))));
      const fields = cat(u32(min), u32(n), u32(max), sshMpint(p), sshMpint(2n), sshMpint(e), sshMpint(f));
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(expectedH(hash, HOST_KEY.blob, fields, K)));
      expect(hex(res.hostKey)).to.equal(hex(HOST_KEY.blob));
    });

    it('server: known answer against node:crypto DiffieHellman playing the client', async () => {
      // 2048 <= n=4096 <= 8192: the server picks the 4096-bit group 16
      const client = nodeDh(MODP_GROUP_16.p, Buffer.alloc(64, 0x61));
      const e = toBig(new Uint8Array(client.getPublicKey()));
      const { conn, sent } = queuedConn([cat(Uint8Array.of(34), u32(2048), u32(4096), u32(8192)), cat(Uint8Array.of(32), sshMpint(e))]);
      const res = await alg.server(conn, MAGICS, HOST_KEY, seededRandom(`${name} server`));
      expect(hex(sent[0]!)).to.equal(hex(groupMsg(MODP_GROUP_16.p, 2n)));
      const r = new TestReader(sent[1]!);
      expect(r.byte()).to.equal(33);
      expect(hex(r.string())).to.equal(hex(HOST_KEY.blob));
      const f = r.mpint();
      const sig = r.string();
      expect(r.done()).to.equal(true);
      const K = sshMpint(new Uint8Array(client.computeSecret(bigBytes(f))));
      const fields = cat(u32(2048), u32(4096), u32(8192), sshMpint(MODP_GROUP_16.p), sshMpint(2n), sshMpint(e), sshMpint(f));
      const H = expectedH(hash, HOST_KEY.blob, fields, K);
      expect(hex(res.K)).to.equal(hex(K));
      expect(hex(res.H)).to.equal(hex(H));
      expect(hex(sig)).to.equal(hex(HOST_KEY.sign(H) as Uint8Array));
    });
  });
}

describe('group exchange validation', () => {
  const alg = getKex('diffie-hellman-group-exchange-sha256')!;

  async function clientError(group: Uint8Array, options?: KexClientOptions): Promise<unknown> {
    const { conn, sent } = scriptedConn((_p, i) => (i === 0 ? [group] : []));
    const err = await alg.client(conn, MAGICS, seededRandom('v'), options).catch((x: unknown) => x);
    expect(sent).to.have.length(1); // nothing sent after the bad GROUP
    return err;
  }

  it('rejects a group smaller than min', async () => {
    const err = await clientError(groupMsg(OAKLEY_GROUP_2.p, 2n));
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as SshError).code).to.equal('KEY_EXCHANGE_FAILURE');
    expect((err as Error).message).to.equal("diffie-hellman-group-exchange-sha256: server's group is 1024 bits, outside the requested range [2048, 8192]");
  });

  it('rejects a group larger than max', async () => {
    const err = await clientError(groupMsg(MODP_GROUP_18.p, 2n), { gexMin: 2048, gexPreferred: 2048, gexMax: 4096 });
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.match(/group is 8192 bits, outside the requested range \[2048, 4096\]/);
  });

  it('rejects a generator outside (1, p-1) and an even modulus', async () => {
    const p = MODP_GROUP_14.p;
    for (const g of [0n, 1n, p - 1n, p]) {
      const err = await clientError(groupMsg(p, g));
      expect(err).to.be.instanceOf(ProtocolError);
      expect((err as Error).message).to.match(/generator is out of range/);
    }
    const err = await clientError(groupMsg(p + 1n, 2n));
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.match(/modulus is even/);
  });

  it('rejects f out of range in the reply', async () => {
    const p = MODP_GROUP_14.p;
    const { conn } = scriptedConn((_p, i) => (i === 0 ? [groupMsg(p, 2n)] : [replyMsg(p - 1n)]));
    const err = await alg.client(conn, MAGICS, seededRandom('f')).catch((x: unknown) => x);
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.match(/DH public value f is out of range/);
  });

  it('wrong message number names expected and got', async () => {
    const err = await clientError(replyMsg(5n));
    expect(err).to.be.instanceOf(ProtocolError);
    expect((err as Error).message).to.equal('diffie-hellman-group-exchange-sha256: expected SSH_MSG_KEX_DH_GEX_GROUP (31), got message 33');
  });

  it('client refuses inconsistent local size options before sending', async () => {
    const { conn, sent } = scriptedConn(() => []);
    const err = await alg.client(conn, MAGICS, seededRandom('o'), { gexMin: 4096, gexPreferred: 2048, gexMax: 8192 }).catch((x: unknown) => x);
    expect(err).to.be.instanceOf(SshError);
    expect((err as SshError).code).to.equal('INVAL');
    expect(sent).to.have.length(0);
  });

  it('server rejects an unordered request and one no group can satisfy', async () => {
    for (const [req, re] of [
      [[4096, 2048, 8192], /request sizes are not ordered \(min 4096, n 2048, max 8192\)/],
      [[2048, 8192, 4096], /not ordered/],
      [[9000, 9000, 10000], /no group available between 9000 and 10000 bits/],
      [[512, 768, 1024], /no group available/],
    ] as const) {
      const { conn, sent } = queuedConn([cat(Uint8Array.of(34), u32(req[0]), u32(req[1]), u32(req[2]))]);
      const err = await alg.server(conn, MAGICS, HOST_KEY, seededRandom('s')).catch((x: unknown) => x);
      expect(err).to.be.instanceOf(ProtocolError);
      expect((err as Error).message).to.match(re);
      expect(sent).to.have.length(0);
    }
  });

  it('server group choice: smallest group >= n within bounds, else the largest within bounds', () => {
    expect(chooseGexGroup(2048, 2048, 8192)).to.equal(MODP_GROUP_14);
    expect(chooseGexGroup(2048, 3072, 8192)).to.equal(MODP_GROUP_16);
    expect(chooseGexGroup(2048, 7680, 8192)).to.equal(MODP_GROUP_18);
    expect(chooseGexGroup(1024, 8192, 4096)).to.equal(MODP_GROUP_16);
    expect(chooseGexGroup(1024, 1024, 1024)).to.equal(undefined);
    expect(getDiffieHellman('modp16').getPrime().length).to.equal(512);
  });
});
