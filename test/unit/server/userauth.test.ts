/**
 * The userauth server (RFC 4252, 4256) against puressh's own client methods over an
 * in-memory packet pair: every method, PK_OK, password change, partial success with
 * AuthenticationMethods, MaxAuthTries, wrong signatures, hostile requests.
 */
import { expect } from 'chai';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { authenticate, startUserauth, type AuthResult } from '../../../src/auth/index.js';
import { hostbasedMethod } from '../../../src/auth/hostbased.js';
import { keyboardInteractiveMethod } from '../../../src/auth/keyboard-interactive.js';
import { noneMethod } from '../../../src/auth/none.js';
import { passwordMethod } from '../../../src/auth/password.js';
import { publickeyMethod, signedData } from '../../../src/auth/publickey.js';
import { userauthRequest } from '../../../src/auth/messages.js';
import type { AuthMethod } from '../../../src/auth/types.js';
import { DEFAULT_PUBKEY_ALGORITHMS, generateKeyPair, parsePrivateKey } from '../../../src/crypto/keys/index.js';
import type { PrivateKey } from '../../../src/crypto/keys/types.js';
import { AuthError, DisconnectError, SshError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { parseAuthenticationMethods, userSpecificDelay, remainingDelay } from '../../../src/server/auth-policy.js';
import { runUserauth, type UserauthServerOptions } from '../../../src/server/userauth.js';
import type { AuthenticatedUser, ServerAuthHandlers } from '../../../src/server/types.js';
import { packetPair, type FakePacketEnd } from './packet-pair.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const ed = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
const ed2 = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
const rsa: PrivateKey = parsePrivateKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

interface Run {
  server: Promise<AuthenticatedUser>;
  client: FakePacketEnd;
  serverEnd: FakePacketEnd;
}

function serve(handlers: ServerAuthHandlers, extra: Partial<UserauthServerOptions> = {}): Run {
  const [client, serverEnd] = packetPair();
  const server = runUserauth(serverEnd, {
    handlers,
    peer: { clientVersion: 'SSH-2.0-test' },
    publicKeyAlgorithms: DEFAULT_PUBKEY_ALGORITHMS,
    hostbasedAlgorithms: DEFAULT_PUBKEY_ALGORITHMS,
    ...extra,
  });
  server.catch(() => {});
  return { server, client, serverEnd };
}

async function login(run: Run, methods: AuthMethod[], username = 'alice', onBanner?: (t: string) => void): Promise<AuthResult> {
  const ctx = await startUserauth(run.client, { username, onBanner });
  return authenticate({ attempt: (m) => m.attempt(ctx) }, { methods });
}

describe('server userauth', () => {
  it('password: accepts the right one, refuses the wrong one, lists the methods', async () => {
    const seen: string[] = [];
    const run = serve({ password: ({ username, password }) => (seen.push(username), username === 'alice' && password === 'pw') });
    const wrong = passwordMethod('nope');
    const right = passwordMethod('pw');
    const r = await login(run, [wrong, right]);
    expect(r).to.deep.equal({ method: 'password', serverMethods: ['password'] });
    const user = await run.server;
    expect(user).to.deep.equal({ username: 'alice', methods: ['password'], permissions: {} });
    expect(run.serverEnd.authenticated).to.equal(true);
    expect(seen).to.deep.equal(['alice', 'alice']);
  });

  it('none: the method list, then the banner before the first answer', async () => {
    let banner = '';
    const run = serve({ password: () => true, publicKey: () => true }, { banner: 'Welcome\r\n' });
    const ctx = await startUserauth(run.client, { username: 'bob', onBanner: (t) => (banner = t) });
    const o = await noneMethod.attempt(ctx);
    expect(o).to.deep.equal({ success: false, failure: { methods: ['publickey', 'password'], partialSuccess: false } });
    expect(banner).to.equal('Welcome\r\n');
  });

  it("userSettings (Match User): the user's banner and MaxAuthTries replace the server-wide ones, asked once", async () => {
    const asked: string[] = [];
    const settings = (username: string) => (asked.push(username), username === 'carol' ? { banner: 'For carol\r\n', maxAuthTries: 1 } : { banner: null });
    let banner = '';
    const carol = serve({ password: () => false }, { banner: 'Everyone\r\n', maxAuthTries: 6, userSettings: settings });
    const ctx = await startUserauth(carol.client, { username: 'carol', onBanner: (t) => (banner = t) });
    expect((await noneMethod.attempt(ctx)).success).to.equal(false);
    const err = await passwordMethod('a')
      .attempt(ctx)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(banner).to.equal('For carol\r\n');
    expect((err as DisconnectError).description).to.equal('Too many authentication failures');
    await carol.server.catch(() => {});
    banner = '';
    const dave = serve({ password: () => false }, { banner: 'Everyone\r\n', maxAuthTries: 6, userSettings: settings });
    const ctx2 = await startUserauth(dave.client, { username: 'dave', onBanner: (t) => (banner = t) });
    expect((await noneMethod.attempt(ctx2)).success).to.equal(false);
    expect((await passwordMethod('a').attempt(ctx2)).success).to.equal(false);
    expect(banner).to.equal('');
    expect(asked).to.deep.equal(['carol', 'dave']);
  });

  it('none accepted by its handler', async () => {
    const run = serve({ none: ({ username }) => username === 'guest' });
    expect((await login(run, [], 'guest')).method).to.equal('none');
    expect((await run.server).methods).to.deep.equal(['none']);
  });

  it('password change request (RFC 4252 §8): the new password reaches the handler', async () => {
    const calls: { password: string; newPassword?: string }[] = [];
    const run = serve({
      password: ({ password, newPassword }) => {
        calls.push({ password, ...(newPassword !== undefined ? { newPassword } : {}) });
        if (newPassword === undefined) return { changePassword: 'Password expired, change it now' };
        return newPassword === 'new-secret' ? { forceCommand: 'passwd-done' } : { changePassword: 'Too short' };
      },
    });
    const prompts: string[] = [];
    const m = passwordMethod('old', { onPasswordChange: ({ prompt, attempt }) => (prompts.push(prompt), attempt === 1 ? 'x' : 'new-secret') });
    await login(run, [m]);
    expect(prompts).to.deep.equal(['Password expired, change it now', 'Too short']);
    expect(calls).to.deep.equal([{ password: 'old' }, { password: 'old', newPassword: 'x' }, { password: 'old', newPassword: 'new-secret' }]);
    expect((await run.server).permissions).to.deep.equal({ forceCommand: 'passwd-done' });
  });

  it('publickey query answered with PK_OK, then the signed request; unknown keys refused', async () => {
    const asked: { signed: boolean; algorithm: string }[] = [];
    const run = serve({
      publicKey: ({ key, signed, algorithm }) => {
        asked.push({ signed, algorithm });
        return same(key.blob, ed.publicKey.blob);
      },
    });
    await login(run, [publickeyMethod([ed2, ed], { query: true })]);
    expect(asked).to.deep.equal([
      { signed: false, algorithm: 'ssh-ed25519' },
      { signed: false, algorithm: 'ssh-ed25519' },
      { signed: true, algorithm: 'ssh-ed25519' },
    ]);
    const u = await run.server;
    expect(u.methods).to.deep.equal(['publickey']);
  });

  it('publickey with rsa-sha2-512 and rsa-sha2-256; ssh-rsa refused unless accepted by name', async () => {
    for (const alg of ['rsa-sha2-512', 'rsa-sha2-256']) {
      const run = serve({ publicKey: ({ algorithm }) => algorithm === alg });
      await login(run, [publickeyMethod([rsa], { acceptedAlgorithms: [alg] })]);
      await run.server;
    }
    const run = serve({ publicKey: () => true });
    try {
      await login(run, [publickeyMethod([rsa], { acceptedAlgorithms: ['ssh-rsa'] })]);
      expect.fail('ssh-rsa accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(AuthError);
    }
    const ok = serve({ publicKey: () => true }, { publicKeyAlgorithms: ['ssh-rsa'] });
    await login(ok, [publickeyMethod([rsa], { acceptedAlgorithms: ['ssh-rsa'] })]);
    expect((await ok.server).methods).to.deep.equal(['publickey']);
  });

  it('publickey: a signature by another key, a signature algorithm that does not match, a key sent under the wrong type are refused', async () => {
    let called = 0;
    const run = serve({ publicKey: () => (called++, true) });
    const ctx = await startUserauth(run.client, { username: 'alice' });
    const failures: boolean[] = [];
    const send = async (alg: string, blob: Uint8Array, sig: Uint8Array): Promise<void> => {
      await ctx.send(userauthRequest('alice', 'publickey').bool(true).string(alg).string(blob).string(sig).finish().slice());
      const reply = await ctx.next();
      failures.push(reply[0] === MSG.USERAUTH_FAILURE);
    };
    const data = (alg: string, blob: Uint8Array): Uint8Array => signedData(ctx.sessionId, 'alice', alg, blob);
    // signed by ed2, claims ed
    await send('ssh-ed25519', ed.publicKey.blob, await ed2.sign('ssh-ed25519', data('ssh-ed25519', ed.publicKey.blob)));
    // rsa-sha2-256 in the request, an rsa-sha2-512 signature
    await send('rsa-sha2-256', rsa.publicKey.blob, await rsa.sign('rsa-sha2-512', data('rsa-sha2-256', rsa.publicKey.blob)));
    // an ed25519 blob sent as rsa-sha2-512
    await send('rsa-sha2-512', ed.publicKey.blob, await ed.sign('ssh-ed25519', data('rsa-sha2-512', ed.publicKey.blob)));
    // garbage signature
    await send('ssh-ed25519', ed.publicKey.blob, new Uint8Array([0, 0, 0, 1, 0]));
    expect(failures).to.deep.equal([true, true, true, true]);
    expect(called).to.equal(0);
  });

  it('keyboard-interactive over several rounds (RFC 4256)', async () => {
    const run = serve({
      keyboardInteractive: async ({ prompt, submethods }) => {
        expect(submethods).to.deep.equal(['pam']);
        const [pw] = await prompt({ name: 'Login', instruction: 'step 1', prompts: [{ prompt: 'Password: ', echo: false }] });
        const [code, color] = await prompt({
          prompts: [
            { prompt: 'Code: ', echo: true },
            { prompt: 'Color: ', echo: true },
          ],
        });
        const none = await prompt({ instruction: 'no prompts', prompts: [] });
        return pw === 'pw' && code === '123456' && color === 'blue' && none.length === 0;
      },
    });
    const rounds: string[][] = [];
    const m = keyboardInteractiveMethod(
      ({ prompts }) => {
        rounds.push(prompts.map((p) => `${p.prompt}${p.echo ? '+' : '-'}`));
        return prompts.map((p) => ({ 'Password: ': 'pw', 'Code: ': '123456', 'Color: ': 'blue' })[p.prompt] ?? '');
      },
      { submethods: ['pam'] },
    );
    await login(run, [m]);
    expect(rounds).to.deep.equal([['Password: -'], ['Code: +', 'Color: +'], []]);
    expect((await run.server).methods).to.deep.equal(['keyboard-interactive']);
  });

  it('hostbased: the client host key signature is verified before the handler decides', async () => {
    const seen: string[] = [];
    const run = serve({ hostbased: ({ localHost, localUser, key }) => (seen.push(`${localUser}@${localHost}`), same(key.blob, ed2.publicKey.blob)) });
    await login(run, [hostbasedMethod({ key: ed2, localHost: 'client.example.', localUser: 'carol' })]);
    expect(seen).to.deep.equal(['carol@client.example.']);
    await run.server;
  });

  it('AuthenticationMethods "publickey,password publickey,keyboard-interactive": partial success, then the second step', async () => {
    const lists = parseAuthenticationMethods('publickey,password publickey,keyboard-interactive')!;
    expect(lists).to.deep.equal([
      ['publickey', 'password'],
      ['publickey', 'keyboard-interactive'],
    ]);
    const run = serve(
      {
        publicKey: () => ({ noPortForwarding: true }),
        password: ({ password }) => password === 'pw',
        keyboardInteractive: () => false,
      },
      { authenticationMethods: lists },
    );
    const ctx = await startUserauth(run.client, { username: 'alice' });
    // password first is not allowed: only publickey can start
    const first = await passwordMethod('pw').attempt(ctx);
    expect(first).to.deep.equal({ success: false, failure: { methods: ['publickey'], partialSuccess: false } });
    const second = await publickeyMethod([ed]).attempt(ctx);
    expect(second).to.deep.equal({ success: false, failure: { methods: ['password', 'keyboard-interactive'], partialSuccess: true } });
    // the same key again is refused (OpenSSH: previously-used key)
    expect((await publickeyMethod([ed]).attempt(ctx)).success).to.equal(false);
    expect(await passwordMethod('pw').attempt(ctx)).to.deep.equal({ success: true });
    expect(await run.server).to.deep.equal({ username: 'alice', methods: ['publickey', 'password'], permissions: { noPortForwarding: true } });
  });

  it('MaxAuthTries: the last failure is a disconnect "Too many authentication failures"; a first none is free', async () => {
    const run = serve({ password: () => false }, { maxAuthTries: 3 });
    const ctx = await startUserauth(run.client, { username: 'alice' });
    expect((await noneMethod.attempt(ctx)).success).to.equal(false);
    expect((await passwordMethod('a').attempt(ctx)).success).to.equal(false);
    expect((await passwordMethod('b').attempt(ctx)).success).to.equal(false);
    let err: unknown;
    try {
      await passwordMethod('c').attempt(ctx);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DisconnectError);
    expect((err as DisconnectError).reason).to.equal(2);
    expect((err as DisconnectError).description).to.equal('Too many authentication failures');
    const serverErr = await run.server.then(
      () => null,
      (e: unknown) => e,
    );
    expect(serverErr).to.be.instanceOf(DisconnectError);
  });

  it('a change of user name is a disconnect, as sshd does', async () => {
    const run = serve({ password: () => false });
    const ctx = await startUserauth(run.client, { username: 'alice' });
    await passwordMethod('x').attempt(ctx);
    await ctx.send(userauthRequest('mallory', 'password').bool(false).string('x').finish().slice());
    const err = await ctx.next().then(
      () => null,
      (e: unknown) => e as SshError,
    );
    expect(err).to.be.instanceOf(DisconnectError);
    expect((err as DisconnectError).description).to.equal('Change of username or service not allowed');
  });

  it('a malformed request or a non-auth message ends the connection with PROTOCOL_ERROR', async () => {
    for (const bad of [
      new Writer().u8(MSG.USERAUTH_REQUEST).string('a').finish().slice(),
      new Writer().u8(MSG.USERAUTH_REQUEST).string('a').string('ssh-connection').string('password').bool(false).finish().slice(),
      new Uint8Array([MSG.CHANNEL_OPEN]),
    ]) {
      const run = serve({ password: () => true });
      await startUserauth(run.client, { username: 'alice' });
      await run.client.send(bad);
      const err = await run.server.then(
        () => null,
        (e: unknown) => e as SshError,
      );
      expect(err?.code).to.equal('PROTO');
      expect(run.serverEnd.disconnected?.reason).to.equal(2);
    }
  });

  it('failure delay: per-user, stable, sshd-sized; an attempt that took longer waits for the next multiple', () => {
    const d = userSpecificDelay(new Uint8Array(32).fill(7));
    expect(d('alice')).to.equal(d('alice'));
    expect(d('alice')).to.not.equal(d('bob'));
    for (const u of ['a', 'b', 'root', 'nobody']) expect(d(u)).to.be.within(5, 9);
    expect(remainingDelay(2, 5)).to.equal(3);
    expect(remainingDelay(12, 5)).to.equal(8);
    expect(remainingDelay(3, 0)).to.equal(0);
  });

  it('the failure delay runs on the injected clock', async () => {
    const timers: number[] = [];
    const clock = {
      now: () => 0,
      setTimeout: (fn: () => void, ms: number) => (timers.push(ms), setTimeout(fn, 0)),
      clearTimeout: () => {},
    };
    const run = serve({ password: () => false }, { clock, failureDelay: () => 250 });
    const ctx = await startUserauth(run.client, { username: 'alice' });
    await passwordMethod('x').attempt(ctx);
    expect(timers).to.deep.equal([250]);
  });

  it('the reader of a request body: a signature with trailing bytes is malformed', () => {
    const r = new Reader(new Writer().string('x').u8(1).finish(), 0);
    r.string();
    expect(() => r.end()).to.throw(SshError);
  });
});
