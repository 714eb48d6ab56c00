/**
 * ssh-agent protocol: exact message bytes, framing across arbitrary chunking, key fields
 * from OpenSSH files, and malformed replies → AgentError only (fast-check).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { AgentClient, FramedStream, agentKeyFields, AgentError, AGENT_MSG, signFlags } from '../../../src/auth/agent/index.js';
import { decodeIdentities, decodeSignResponse, encode } from '../../../src/auth/agent/protocol.js';
import { parsePrivateKey } from '../../../src/crypto/keys/index.js';
import { NODE_PUBLIC_KEY_OPS } from '../../../src/crypto/node/pubkey.js';
import type { NistCurve } from '../../../src/crypto/provider.js';
import { KeyError } from '../../../src/errors.js';
import { Writer } from '../../../src/wire/writer.js';
import type { ByteStream } from '../../../src/transport/stream.js';

/** A ByteStream that answers each framed request via `reply`, delivering bytes in `chunk`-sized pieces. */
function scripted(reply: (req: Uint8Array) => Uint8Array, chunk = 1): ByteStream & { requests: Uint8Array[] } {
  const out: Uint8Array[] = [];
  const requests: Uint8Array[] = [];
  let pending = new Uint8Array(0);
  return {
    requests,
    async read() {
      return out.shift() ?? null;
    },
    write(d: Uint8Array) {
      const all = new Uint8Array([...pending, ...d]);
      const len = new DataView(all.buffer).getUint32(0);
      pending = all;
      if (all.length < 4 + len) return;
      const body = all.slice(4, 4 + len);
      pending = all.slice(4 + len);
      requests.push(body);
      const framed = new Writer().string(reply(body)).finish().slice();
      for (let i = 0; i < framed.length; i += chunk) out.push(framed.slice(i, i + chunk));
    },
    close() {},
  };
}

describe('agent: protocol', () => {
  it('message bytes (draft-miller-ssh-agent §4)', () => {
    expect([...encode.requestIdentities()]).to.deep.equal([11]);
    expect([...encode.sign(new Uint8Array([1]), new Uint8Array([2, 3]), 4)]).to.deep.equal([13, 0, 0, 0, 1, 1, 0, 0, 0, 2, 2, 3, 0, 0, 0, 4]);
    expect([...encode.removeAll()]).to.deep.equal([19]);
    expect([...encode.lock('p')]).to.deep.equal([22, 0, 0, 0, 1, 112]);
    expect([...encode.unlock('p')]).to.deep.equal([23, 0, 0, 0, 1, 112]);
    const f = new Uint8Array([9, 9]);
    expect([...encode.addIdentity(f, 'c')]).to.deep.equal([17, 9, 9, 0, 0, 0, 1, 99]);
    expect([...encode.addIdentity(f, 'c', { lifetime: 300, confirm: true })]).to.deep.equal([25, 9, 9, 0, 0, 0, 1, 99, 1, 0, 0, 1, 44, 2]);
    expect([signFlags('rsa-sha2-256'), signFlags('rsa-sha2-512'), signFlags('ssh-rsa'), signFlags('ssh-ed25519')]).to.deep.equal([2, 4, 0, 0]);
  });

  it('requests and replies survive 1-byte chunking; one request at a time', async () => {
    const keyBlob = new Writer().string('ssh-ed25519').string(new Uint8Array(32).fill(1)).finish().slice();
    const stream = scripted((req) => {
      if (req[0] === AGENT_MSG.REQUEST_IDENTITIES) return new Writer().u8(12).u32(1).string(keyBlob).string('my key').finish().slice();
      if (req[0] === AGENT_MSG.SIGN_REQUEST)
        return new Writer()
          .u8(14)
          .string(new Writer().string('ssh-ed25519').string(new Uint8Array(64)).finish())
          .finish()
          .slice();
      return new Uint8Array([AGENT_MSG.FAILURE]);
    });
    const agent = new AgentClient(async () => stream);
    const [ids, sig, removed] = await Promise.all([
      agent.identities(),
      agent.sign(keyBlob, 'ssh-ed25519', new Uint8Array([1, 2])),
      agent.removeAllIdentities().catch((e) => e),
    ]);
    expect(ids).to.deep.equal([{ blob: keyBlob, comment: 'my key', type: 'ssh-ed25519' }]);
    expect(sig.length).to.equal(4 + 11 + 4 + 64);
    expect(removed).to.be.instanceOf(AgentError);
    expect(removed.code).to.equal('AGENT_PROTOCOL');
    expect(stream.requests.map((r) => r[0])).to.deep.equal([11, 13, 19]);
    // a signature with another algorithm than asked (an agent ignoring the RSA flags) is refused
    await agent.sign(keyBlob, 'rsa-sha2-512', new Uint8Array(1)).then(
      () => expect.fail('accepted'),
      (e) => expect(e.message).to.include('not rsa-sha2-512'),
    );
  });

  it('framing: oversized and truncated messages are AgentErrors', async () => {
    const big = new FramedStream({ read: async () => new Uint8Array([0x7f, 0, 0, 0]), write() {}, close() {} });
    await big.readMessage().then(
      () => expect.fail(),
      (e) => expect(e).to.be.instanceOf(AgentError),
    );
    let once = true;
    const cut = new FramedStream({ read: async () => (once ? ((once = false), new Uint8Array([0, 0, 0, 9, 1])) : null), write() {}, close() {} });
    await cut.readMessage().then(
      () => expect.fail(),
      (e) => expect(e.message).to.include('mid-message'),
    );
  });

  it('malformed replies → AgentError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(12, 14, 5, 6), (tail, type) => {
        const body = new Uint8Array([type, ...tail]);
        for (const f of [decodeIdentities, decodeSignResponse]) {
          try {
            f(body);
          } catch (e) {
            if (!(e instanceof AgentError)) throw e;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('key fields from OpenSSH files match the key (every type); encrypted keys refused', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'puressh-agentkeys-'));
    try {
      for (const [t, args] of [
        ['ed25519', ['-t', 'ed25519']],
        ['ecdsa', ['-t', 'ecdsa', '-b', '384']],
        ['rsa', ['-t', 'rsa', '-b', '2048']],
      ] as const) {
        const path = join(dir, t);
        execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', `c-${t}`, '-f', path]);
        const text = readFileSync(path, 'utf8');
        const f = agentKeyFields(text);
        const key = parsePrivateKey(text);
        expect(f.type).to.equal(key.type);
        expect(f.comment).to.equal(`c-${t}`);
        // the fields start with the key type string
        expect(Buffer.from(f.fields.subarray(4, 4 + f.type.length)).toString()).to.equal(f.type);
        // With a provider's operations, the consistency check derives the public half there: same fields.
        const derived: string[] = [];
        const ops = {
          ...NODE_PUBLIC_KEY_OPS,
          ed25519Public: (seed: Uint8Array) => (derived.push('ed25519'), NODE_PUBLIC_KEY_OPS.ed25519Public(seed)),
          ecdhPublic: (curve: NistCurve, d: Uint8Array) => (derived.push(curve), NODE_PUBLIC_KEY_OPS.ecdhPublic(curve, d)),
        };
        expect(Buffer.from(agentKeyFields(text, ops).fields).equals(Buffer.from(f.fields))).to.equal(true);
        expect(derived).to.deep.equal(t === 'ed25519' ? ['ed25519'] : t === 'ecdsa' ? ['nistp384'] : []);
      }
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass', '-f', join(dir, 'enc')]);
      expect(() => agentKeyFields(readFileSync(join(dir, 'enc'), 'utf8'))).to.throw(KeyError, /encrypted/);
      expect(() => agentKeyFields('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n')).to.throw(KeyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
