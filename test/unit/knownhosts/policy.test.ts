/** Host-key policies (Net::SSH2 check_hostkey): strict, ask, tofu, advisory, custom callback. */
import { expect } from 'chai';
import { Ed25519PrivateKey } from '../../../src/crypto/keys/ed25519.js';
import { fingerprintSHA256 } from '../../../src/crypto/fingerprint.js';
import { HostKeyError } from '../../../src/errors.js';
import { KnownHosts, hostKeyVerifier, type CheckResult, type HostKeyPolicyOptions } from '../../../src/knownhosts/index.js';
import { ecdsaPrivateKey } from '../../../src/crypto/keys/ecdsa.js';
import type { HostKeyInfo } from '../../../src/client.js';

const key = (n: number) => new Ed25519PrivateKey(new Uint8Array(32).fill(n)).publicKey;
const info = (k: { type: string; blob: Uint8Array }): HostKeyInfo => ({
  type: k.type,
  algorithm: k.type,
  blob: k.blob,
  fingerprint: fingerprintSHA256(k.blob),
});
const k1 = key(1);
const k2 = key(2);
const ec = ecdsaPrivateKey('nistp256', 7n).publicKey;

function setup(policy: HostKeyPolicyOptions['policy'], extra: Partial<HostKeyPolicyOptions> = {}) {
  const db = KnownHosts.empty();
  db.add('known', 22, k1);
  db.add('revoked', 22, k2, { marker: 'revoked' });
  db.add('revoked', 22, k1);
  const saved: string[] = [];
  const checks: CheckResult[] = [];
  const verify = hostKeyVerifier({
    knownHosts: db,
    host: extra.host ?? 'known',
    policy,
    save: (d) => {
      saved.push(d.toString());
    },
    onCheck: (r) => checks.push(r),
    ...extra,
  });
  return { db, saved, checks, verify };
}

async function refusal(p: Promise<unknown>): Promise<HostKeyError> {
  const e = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(e).to.be.instanceOf(HostKeyError);
  return e as HostKeyError;
}

describe('knownhosts: host-key policies', () => {
  it('strict (default): match accepted; unknown, changed, revoked refused; nothing saved', async () => {
    const s = setup(undefined);
    expect(await s.verify(info(k1))).to.equal(true);
    expect((await refusal(s.verify(info(k2)))).kind).to.equal('mismatch');
    expect((await refusal(setup('strict', { host: 'new' }).verify(info(k1)))).kind).to.equal('unknown');
    expect((await refusal(setup('strict', { host: 'revoked' }).verify(info(k2)))).kind).to.equal('revoked');
    expect(s.saved).to.deep.equal([]);
    expect(s.checks.map((c) => c.status)).to.deep.equal(['match', 'mismatch']);
  });

  it('ask: the callback sees the result; yes adds and saves, no refuses', async () => {
    const asked: string[] = [];
    const yes = setup('ask', { host: 'new', port: 2222, ask: (i, r) => (asked.push(`${i.fingerprint} ${r.status}`), true), add: { comment: 'via ask' } });
    expect(await yes.verify(info(k1))).to.equal(true);
    expect(asked).to.deep.equal([`${fingerprintSHA256(k1.blob)} notfound`]);
    expect(yes.saved).to.have.length(1);
    expect(yes.saved[0]).to.include(`[new]:2222 ssh-ed25519 ${Buffer.from(k1.blob).toString('base64')} via ask`);
    expect(yes.db.check('new', 2222, k1).status).to.equal('match');

    const no = setup('ask', { host: 'new', ask: () => false });
    expect((await refusal(no.verify(info(k1)))).kind).to.equal('rejected');
    expect(no.saved).to.deep.equal([]);
    // a changed key is never put to the question
    const changed = setup('ask', { ask: () => true });
    expect((await refusal(changed.verify(info(k2)))).kind).to.equal('mismatch');
  });

  it('tofu: new host added and saved; changed key refused; known host with a new key type refused', async () => {
    const s = setup('tofu', { host: 'fresh' });
    expect(await s.verify(info(k1))).to.equal(true);
    expect(s.saved).to.have.length(1);
    expect(await s.verify(info(k1))).to.equal(true);
    expect(s.saved).to.have.length(1);
    expect((await refusal(s.verify(info(k2)))).kind).to.equal('mismatch');
    const other = setup('tofu');
    const e = await refusal(other.verify(info(ec)));
    expect(e.kind).to.equal('unknown');
    expect(e.message).to.include('known with other key types');
  });

  it('advisory: everything accepted, nothing saved', async () => {
    const s = setup('advisory', { host: 'revoked' });
    expect(await s.verify(info(k2))).to.equal(true);
    expect(await s.verify(info(ec))).to.equal(true);
    expect(s.saved).to.deep.equal([]);
  });

  it('custom callback decides every non-match; its refusal is typed', async () => {
    const seen: string[] = [];
    const s = setup((_i, r) => (seen.push(r.status), r.status === 'notfound'));
    expect(await s.verify(info(k1))).to.equal(true); // match: not asked
    expect(await s.verify(info(ec))).to.equal(true);
    expect((await refusal(s.verify(info(k2)))).kind).to.equal('mismatch');
    expect(seen).to.deep.equal(['notfound', 'mismatch']);
    expect(s.saved).to.deep.equal([]);
  });

  it('load() is consulted at every check', async () => {
    let text = '';
    const verify = hostKeyVerifier({ host: 'h', load: () => KnownHosts.parse(text) });
    await refusal(verify(info(k1)));
    text = `h ${k1.type} ${Buffer.from(k1.blob).toString('base64')}\n`;
    expect(await verify(info(k1))).to.equal(true);
  });
});
