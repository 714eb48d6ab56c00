/**
 * Auth methods against a scripted server: exact request bytes for keyboard-interactive
 * (several rounds), password change, hostbased signatures, partial success (two-step
 * AuthenticationMethods), banners, and the Net::SSH2-style ranking.
 */
import { expect } from 'chai';
import { authenticate, startUserauth, type AuthenticateOptions, type AuthResult, type AuthTransport, type UserauthOptions } from '../../../src/auth/index.js';
import { decodeInfoRequest, keyboardInteractiveMethod, type KbdChallenge } from '../../../src/auth/keyboard-interactive.js';
import { passwordMethod } from '../../../src/auth/password.js';
import { hostbasedMethod, hostbasedSignedData } from '../../../src/auth/hostbased.js';
import { publickeyMethod } from '../../../src/auth/publickey.js';
import { rankAuthMethods, DEFAULT_AUTH_RANK } from '../../../src/auth/rank.js';
import { noneMethod } from '../../../src/auth/none.js';
import { Ed25519PrivateKey } from '../../../src/crypto/keys/ed25519.js';
import { verifySignature } from '../../../src/crypto/keys/index.js';
import { AuthError, ProtocolError, SshError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { banner, changeRequest, failure, fakeTransport, infoRequest, SESSION_ID, success, type SentRequest } from './fake-server.js';

const key = new Ed25519PrivateKey(new Uint8Array(32).fill(7), 'k');

/** The service request, then authenticate() over one context: what UserauthStage does over a real transport. */
async function authenticateOver(t: AuthTransport, options: AuthenticateOptions & UserauthOptions): Promise<AuthResult> {
  const ctx = await startUserauth(t, options);
  return authenticate({ attempt: (m) => m.attempt(ctx) }, options);
}

function infoResponse(req: SentRequest): string[] {
  expect(req.type).to.equal(MSG.USERAUTH_INFO_RESPONSE);
  const r = new Reader(req.raw, 1);
  const n = r.u32();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.text());
  r.end();
  return out;
}

describe('auth: keyboard-interactive (RFC 4256)', () => {
  it('several rounds with several prompts; exact request and responses', async () => {
    const seen: KbdChallenge[] = [];
    const t = fakeTransport((req, i) => {
      switch (i) {
        case 0:
          return [failure(['keyboard-interactive'])];
        case 1: {
          expect(req.method).to.equal('keyboard-interactive');
          expect(req.body!.ascii()).to.equal(''); // language
          expect(req.body!.ascii()).to.equal('pam'); // submethods
          req.body!.end();
          return [
            infoRequest('Login', 'Two questions', [
              ['Password: ', false],
              ['Favourite colour? ', true],
            ]),
          ];
        }
        case 2:
          expect(infoResponse(req)).to.deep.equal(['s3cret', 'blue']);
          return [infoRequest('', '', [])];
        case 3:
          expect(infoResponse(req)).to.deep.equal([]);
          return [infoRequest('OTP', 'Round three', [['Code: ', false]])];
        case 4:
          expect(infoResponse(req)).to.deep.equal(['123456']);
          return [success()];
        default:
          throw new Error('too many requests');
      }
    });
    const answers: Record<string, string> = { 'Password: ': 's3cret', 'Favourite colour? ': 'blue', 'Code: ': '123456' };
    const m = keyboardInteractiveMethod(
      (c) => {
        seen.push(c);
        return c.prompts.map((p) => answers[p.prompt]!);
      },
      { submethods: ['pam'] },
    );
    const res = await authenticateOver(t, { queryMethods: true, username: 'alice', methods: [m] });
    expect(res.method).to.equal('keyboard-interactive');
    expect(seen.map((c) => [c.name, c.instruction, c.prompts])).to.deep.equal([
      [
        'Login',
        'Two questions',
        [
          { prompt: 'Password: ', echo: false },
          { prompt: 'Favourite colour? ', echo: true },
        ],
      ],
      ['', '', []],
      ['OTP', 'Round three', [{ prompt: 'Code: ', echo: false }]],
    ]);
    expect(seen[0]!.username).to.equal('alice');
  });

  it('a password answers the hidden prompts ("keyboard-auto"); echoed prompts get ""', async () => {
    const t = fakeTransport((req, i) => {
      if (i === 0) return [failure(['keyboard-interactive'])];
      if (i === 1)
        return [
          infoRequest('', '', [
            ['User: ', true],
            ['Password: ', false],
          ]),
        ];
      expect(infoResponse(req)).to.deep.equal(['', 'pw']);
      return [success()];
    });
    await authenticateOver(t, { queryMethods: true, username: 'u', methods: [keyboardInteractiveMethod('pw')] });
  });

  it('a responder that gives up sends empty answers and is not asked again; failure moves on', async () => {
    let asked = 0;
    const t = fakeTransport((req, i) => {
      if (i === 0) return [failure(['keyboard-interactive', 'password'])];
      if (i === 1) return [infoRequest('', '', [['P: ', false]])];
      if (i === 2) {
        expect(infoResponse(req)).to.deep.equal(['']);
        return [infoRequest('', '', [['P again: ', false]])];
      }
      if (i === 3) {
        expect(infoResponse(req)).to.deep.equal(['']);
        return [failure(['keyboard-interactive', 'password'])];
      }
      expect(req.method).to.equal('password');
      return [success()];
    });
    const res = await authenticateOver(t, {
      queryMethods: true,
      username: 'u',
      methods: [keyboardInteractiveMethod(() => (asked++, null)), passwordMethod('pw')],
    });
    expect(asked).to.equal(1);
    expect(res.method).to.equal('password');
  });

  it('wrong number of answers is BAD_USE; endless rounds are cut off', async () => {
    const t = fakeTransport((_r, i) =>
      i === 0
        ? [failure(['keyboard-interactive'])]
        : [
            infoRequest('', '', [
              ['a', false],
              ['b', false],
            ]),
          ],
    );
    const e = await authenticateOver(t, { queryMethods: true, username: 'u', methods: [keyboardInteractiveMethod(() => ['only one'])] }).catch((x) => x);
    expect(e).to.be.instanceOf(SshError);
    expect(e.code).to.equal('BAD_USE');
    const t2 = fakeTransport((_r, i) => (i === 0 ? [failure(['keyboard-interactive'])] : [infoRequest('', '', [])]));
    const e2 = await authenticateOver(t2, { queryMethods: true, username: 'u', methods: [keyboardInteractiveMethod(() => [], { maxRounds: 5 })] }).catch(
      (x) => x,
    );
    expect(e2).to.be.instanceOf(AuthError);
    expect(e2.message).to.include('more than 5 rounds');
  });

  it('malformed INFO_REQUEST is a ProtocolError (huge prompt count does not allocate)', () => {
    const bad = new Writer().u8(60).string('').string('').string('').u32(0xffffffff).finish().slice();
    expect(() => decodeInfoRequest(bad)).to.throw(ProtocolError);
    const trailing = new Uint8Array([...infoRequest('', '', []), 0]);
    expect(() => decodeInfoRequest(trailing)).to.throw(ProtocolError);
  });
});

describe('auth: password change (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ)', () => {
  it('the callback gets the prompt; old and new passwords are sent; a refused new one asks again', async () => {
    const prompts: string[] = [];
    const t = fakeTransport((req, i) => {
      if (i === 0) return [failure(['password'])];
      const r = req.body!;
      if (i === 1) {
        expect(r.bool()).to.equal(false);
        expect(r.text()).to.equal('old');
        return [changeRequest('Password expired')];
      }
      expect(r.bool()).to.equal(true);
      expect(r.text()).to.equal('old');
      const next = r.text();
      r.end();
      if (i === 2) {
        expect(next).to.equal('weak');
        return [changeRequest('Too weak')];
      }
      expect(next).to.equal('Str0ng!');
      return [success()];
    });
    const res = await authenticateOver(t, {
      queryMethods: true,
      username: 'u',
      methods: [passwordMethod('old', { onPasswordChange: (r) => (prompts.push(`${r.attempt}:${r.prompt}`), r.attempt === 1 ? 'weak' : 'Str0ng!') })],
    });
    expect(res.method).to.equal('password');
    expect(prompts).to.deep.equal(['1:Password expired', '2:Too weak']);
  });

  it('without a callback (or when it returns null): PASSWORD_EXPIRED', async () => {
    for (const cb of [undefined, () => null]) {
      const t = fakeTransport((_r, i) => (i === 0 ? [failure(['password'])] : [changeRequest('expired')]));
      const e = await authenticateOver(t, { queryMethods: true, username: 'u', methods: [passwordMethod('old', { onPasswordChange: cb })] }).catch((x) => x);
      expect(e).to.be.instanceOf(AuthError);
      expect(e.code).to.equal('PASSWORD_EXPIRED');
      expect(e.errno).to.equal(-15);
    }
  });
});

describe('auth: hostbased (RFC 4252 §9)', () => {
  it('sends the host key, client host and user, with a signature over the session id and request', async () => {
    const t = fakeTransport((req, i) => {
      if (i === 0) return [failure(['hostbased'])];
      const r = req.body!;
      const alg = r.ascii();
      const blob = r.string().slice();
      const host = r.ascii();
      const luser = r.text();
      const sig = r.string().slice();
      r.end();
      expect([alg, host, luser]).to.deep.equal(['ssh-ed25519', 'client.example.', 'localuser']);
      expect(blob).to.deep.equal(key.publicKey.blob);
      const data = hostbasedSignedData(SESSION_ID, 'remoteuser', alg, blob, host, luser);
      expect(verifySignature(blob, alg, data, sig)).to.equal(true);
      // the signed data is exactly session id + the request without its signature
      const unsigned = req.raw.subarray(0, req.raw.length - (4 + sig.length));
      expect(data).to.deep.equal(new Writer().string(SESSION_ID).raw(unsigned).finish().slice());
      return [success()];
    });
    const res = await authenticateOver(t, {
      queryMethods: true,
      username: 'remoteuser',
      methods: [hostbasedMethod({ key, localHost: 'client.example.', localUser: 'localuser' })],
    });
    expect(res.method).to.equal('hostbased');
  });
});

describe('auth: driver', () => {
  it('partial success: publickey then password (AuthenticationMethods publickey,password), banners surfaced', async () => {
    const banners: string[] = [];
    const t = fakeTransport((req, i) => {
      if (i === 0) return [banner('Welcome\n'), failure(['publickey'])];
      if (req.method === 'publickey' && i === 1) return [new Writer().u8(MSG.USERAUTH_PK_OK).string('ssh-ed25519').string(key.publicKey.blob).finish().slice()];
      if (req.method === 'publickey') return [failure(['password', 'keyboard-interactive'], true)];
      expect(req.method).to.equal('password');
      return [banner('second'), success()];
    });
    const res = await authenticateOver(t, {
      queryMethods: true,
      username: 'u',
      methods: [publickeyMethod([key], { query: true }), passwordMethod('pw')],
      onBanner: (b) => banners.push(b),
    });
    expect(res).to.deep.equal({ method: 'password', serverMethods: ['publickey'] });
    expect(banners).to.deep.equal(['Welcome\n', 'second']);
    expect(t.sent.map((s) => s.method)).to.deep.equal(['none', 'publickey', 'publickey', 'password']);
  });

  it('two methods with the same wire name (agent and key files) are both tried', async () => {
    const t = fakeTransport((req, i) => {
      if (i === 0) return [failure(['publickey'])];
      if (i === 1) return [failure(['publickey'])]; // first key refused
      return [success()];
    });
    const other = new Ed25519PrivateKey(new Uint8Array(32).fill(8));
    const res = await authenticateOver(t, {
      queryMethods: true,
      username: 'u',
      methods: [publickeyMethod([other], { query: true }), publickeyMethod([key], { query: true })],
    });
    expect(res.method).to.equal('publickey');
    expect(t.sent).to.have.length(3);
  });

  it('by default: no "none" probe; the first request carries its signature', async () => {
    const events: string[] = [];
    const inner = fakeTransport((req) => {
      expect(req.method).to.equal('publickey');
      expect(req.body!.bool()).to.equal(true); // signed at once
      expect(req.body!.ascii()).to.equal('ssh-ed25519');
      const blob = req.body!.string();
      expect(Buffer.from(blob).equals(Buffer.from(key.publicKey.blob))).to.equal(true);
      const sig = req.body!.string();
      req.body!.end();
      const signed = new Writer()
        .string(SESSION_ID)
        .u8(MSG.USERAUTH_REQUEST)
        .string('u')
        .string('ssh-connection')
        .string('publickey')
        .bool(true)
        .string('ssh-ed25519')
        .string(blob)
        .finish();
      expect(verifySignature(blob, 'ssh-ed25519', signed, sig)).to.equal(true);
      return [success()];
    });
    const t = {
      ...inner,
      sessionId: inner.sessionId,
      serverSigAlgs: inner.serverSigAlgs,
      send: async (p: Uint8Array) => {
        events.push(`send ${p[0]}`);
        await inner.send(p);
      },
      receive: async () => {
        const p = await inner.receive();
        events.push(`receive ${p[0]}`);
        return p;
      },
    };
    const res = await authenticateOver(t, { username: 'u', methods: [publickeyMethod([key]), passwordMethod('pw')] });
    expect(res).to.deep.equal({ method: 'publickey', serverMethods: [] });
    // SERVICE_REQUEST (5), SERVICE_ACCEPT (6), then USERAUTH_REQUEST (50), USERAUTH_SUCCESS (52):
    // not pipelined (sshd's Nagle would hold its answer for our delayed ACK).
    expect(events).to.deep.equal(['send 5', 'receive 6', 'send 50', 'receive 52']);
    expect(inner.sent.map((r) => r.method)).to.deep.equal(['publickey']);
  });

  it('by default: serverMethods is what the first failure listed; the next allowed method follows', async () => {
    const t = fakeTransport((req, i) => {
      if (i === 0) {
        expect(req.method).to.equal('publickey');
        return [failure(['password', 'keyboard-interactive'])];
      }
      expect(req.method).to.equal('password');
      return [success()];
    });
    const other = new Ed25519PrivateKey(new Uint8Array(32).fill(8));
    const res = await authenticateOver(t, {
      username: 'u',
      methods: [publickeyMethod([other]), hostbasedMethod({ key, localHost: 'h', localUser: 'l' }), passwordMethod('pw')],
    });
    expect(res).to.deep.equal({ method: 'password', serverMethods: ['password', 'keyboard-interactive'] });
    expect(t.sent.map((r) => r.method)).to.deep.equal(['publickey', 'password']);
  });

  it('with no method to try, "none" is still asked (a server may let anyone in)', async () => {
    const t = fakeTransport((req) => {
      expect(req.method).to.equal('none');
      return [success()];
    });
    expect(await authenticateOver(t, { username: 'u', methods: [] })).to.deep.equal({ method: 'none', serverMethods: [] });
  });

  it('nothing left: AuthError listing the server methods', async () => {
    const t = fakeTransport(() => [failure(['publickey', 'gssapi-with-mic'])]);
    const e = await authenticateOver(t, { queryMethods: true, username: 'u', methods: [passwordMethod('x')] }).catch((x) => x);
    expect(e).to.be.instanceOf(AuthError);
    expect(e.message).to.equal('Permission denied (publickey,gssapi-with-mic).');
    expect(e.methodsLeft).to.deep.equal(['publickey', 'gssapi-with-mic']);
  });
});

describe('auth: ranking (Net::SSH2 auth)', () => {
  it('default rank keeps only methods with credentials, in order', () => {
    expect(DEFAULT_AUTH_RANK).to.deep.equal(['hostbased', 'agent', 'publickey', 'keyboard', 'keyboard-auto', 'password']);
    const names = (ms: { name: string }[]) => ms.map((m) => m.name);
    expect(names(rankAuthMethods({ password: 'pw' }))).to.deep.equal(['keyboard-interactive', 'password']);
    expect(names(rankAuthMethods({ password: () => 'pw' }))).to.deep.equal(['password']);
    expect(names(rankAuthMethods({ privateKeys: [key], keyboardInteractive: () => [], hostbased: { key, localHost: 'h', localUser: 'u' } }))).to.deep.equal([
      'hostbased',
      'publickey',
      'keyboard-interactive',
    ]);
  });

  it('an explicit rank picks and orders; extras slot in by wire name', () => {
    const extra = { name: 'gssapi-with-mic', attempt: async () => ({ success: true as const }) };
    const ms = rankAuthMethods({ password: 'pw', privateKeys: [key], extra: [extra] }, ['password', 'gssapi-with-mic', 'none', 'publickey', 'bogus']);
    expect(ms.map((m) => m.name)).to.deep.equal(['password', 'gssapi-with-mic', 'none', 'publickey']);
    expect(ms[1]).to.equal(extra);
    expect(ms[2]).to.equal(noneMethod);
    expect(rankAuthMethods({ extra: [extra] }).map((m) => m.name)).to.deep.equal(['gssapi-with-mic']);
  });
});
