/**
 * SshServer end to end in memory, with puressh's SshClient as the peer: the real
 * transports, every auth method, sessions, forwarding, limits, hostile clients.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { SshClient } from '../../../src/client.js';
import { generateKeyPair } from '../../../src/crypto/keys/index.js';
import { AuthError, SshError } from '../../../src/errors.js';
import { connectInMemory, memoryStreamPair } from '../../../src/server/memory-pair.js';
import { SshServer, type SshServerOptions } from '../../../src/server/server.js';
import type { SessionHandler } from '../../../src/server/session.js';
import type { ServerClock } from '../../../src/server/types.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const hostKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
const userKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

const echo: SessionHandler = {
  env: () => true,
  pty: () => true,
  exec(command, session) {
    void (async () => {
      await session.write(enc(`${command}|${session.pty ? session.pty.term : 'no-pty'}|${session.env['LANG'] ?? ''}\n`));
      await session.writeStderr(enc('to stderr\n'));
      await session.sendExitStatus(command === 'fail' ? 3 : 0);
    })();
    return true;
  },
};

function server(extra: Partial<SshServerOptions> = {}): SshServer {
  return new SshServer({
    hostKeys: [hostKey],
    auth: {
      password: ({ username, password }) => username === 'alice' && password === 'pw',
      publicKey: ({ key }) => same(key.blob, userKey.publicKey.blob),
    },
    handlers: { session: () => echo },
    limits: { authFailureDelay: false },
    ...extra,
  });
}

/** A clock whose timers fire only when the test says so. */
function manualClock(): ServerClock & { fire(): void } {
  const timers: (() => void)[] = [];
  return {
    now: () => 0,
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
    fire: () => {
      for (const t of timers.splice(0)) t();
    },
  };
}

describe('SshServer in memory with SshClient', () => {
  it('password and publickey logins; exec with pty and env; exit status and stderr', async () => {
    const s = server();
    const { client, connection } = await connectInMemory(s, { username: 'alice', password: 'pw' });
    expect(connection.user.methods).to.deep.equal(['password']);
    const r = await client.run('fail', { pty: { term: 'xterm-256color' }, env: { LANG: 'C.UTF-8' } });
    expect(dec(r.stdout)).to.equal('fail|xterm-256color|C.UTF-8\n');
    expect(dec(r.stderr)).to.equal('to stderr\n');
    expect(r.code).to.equal(3);
    await client.disconnect();
    const pk = await connectInMemory(s, { username: 'bob', privateKeys: [userKey] });
    expect(pk.connection.user).to.deep.include({ username: 'bob', methods: ['publickey'] });
    expect((await pk.client.run('ok')).code).to.equal(0);
    await s.close();
    expect(s.connectionCount).to.equal(0);
  });

  it('hostkeys-00 arrives after auth and proves', async () => {
    const rsaLess = generateKeyPair({ type: 'ecdsa' }, rng).privateKey;
    const s = server({ hostKeys: [hostKey, rsaLess] });
    const { client } = await connectInMemory(s, { username: 'alice', password: 'pw' });
    const keys = await client.hostKeyUpdates.received;
    expect(keys.map((k) => k.type)).to.deep.equal(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(await client.hostKeyUpdates.prove()).to.have.length(2);
    await s.close();
  });

  it('keyboard-interactive and a wrong password; AuthenticationMethods publickey,password', async () => {
    const s = server({
      auth: {
        publicKey: ({ key }) => same(key.blob, userKey.publicKey.blob),
        password: ({ password }) => password === 'pw',
        keyboardInteractive: async ({ prompt }) => (await prompt({ prompts: [{ prompt: 'OTP: ', echo: true }] }))[0] === '42',
      },
      authenticationMethods: 'publickey,password publickey,keyboard-interactive',
    });
    const { connection } = await connectInMemory(s, { username: 'alice', privateKeys: [userKey], keyboardInteractive: () => ['42'] });
    expect(connection.user.methods).to.deep.equal(['publickey', 'keyboard-interactive']);
    const err = await connectInMemory(s, { username: 'alice', password: 'pw' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AuthError);
    await s.close();
  });

  it('direct-tcpip and tcpip-forward with port 0, the forwarded-tcpip open back', async () => {
    const s = server({
      handlers: {
        session: () => echo,
        directTcpip: (req) => {
          const ch = req.accept();
          void ch.write(enc(`connected to ${req.host}:${req.port}`)).then(() => ch.eof());
        },
        tcpipForward: (req, conn) => {
          setTimeout(() => {
            void conn.openForwardedTcpip(req.address, 51000, '198.51.100.1', 4444).then(async (ch) => {
              await ch.write(enc('from the server side'));
              await ch.eof();
            });
          }, 0);
          return 51000;
        },
      },
    });
    const { client } = await connectInMemory(s, { username: 'alice', password: 'pw' });
    const ch = await client.forwardOut('db.internal', 5432);
    expect(dec((await ch.read())!)).to.equal('connected to db.internal:5432');
    const listener = await client.forwardIn('127.0.0.1', 0);
    expect(listener.port).to.equal(51000);
    const fwd = (await listener.accept())!;
    expect(fwd).to.include({ address: '127.0.0.1', port: 51000, originatorAddress: '198.51.100.1', originatorPort: 4444 });
    expect(dec((await fwd.channel.read())!)).to.equal('from the server side');
    await s.close();
  });

  it('LoginGraceTime on an injected clock: an idle unauthenticated client is cut off', async () => {
    const clock = manualClock();
    const s = server({ clock });
    const [c, sv] = memoryStreamPair();
    const incoming = s.accept(sv);
    // The client never sends anything.
    void c;
    await new Promise((r) => setTimeout(r, 10));
    clock.fire();
    const err = await incoming.closed;
    expect(err).to.be.instanceOf(SshError);
    await incoming.authenticated.then(
      () => expect.fail('authenticated'),
      () => {},
    );
    expect(s.connectionCount).to.equal(0);
  });

  it('MaxAuthTries over the real transport; PerSourcePenalties then refuses the source', async () => {
    const s = server({ limits: { maxAuthTries: 2, authFailureDelay: false, perSourcePenalties: { authfail: 20, min: 15 } } });
    const attempt = async (): Promise<unknown> => {
      const [c, sv] = memoryStreamPair();
      const incoming = s.accept(sv, { remoteAddress: '192.0.2.1', remotePort: 1 });
      const r = await SshClient.connect(c, { username: 'alice', password: 'bad', hostKeyVerifier: () => true }).then(
        () => null,
        (e: unknown) => e,
      );
      await incoming.closed;
      return r;
    };
    const first = await attempt();
    expect(first).to.be.instanceOf(SshError);
    const second = (await attempt()) as SshError;
    expect(second).to.be.instanceOf(SshError);
    expect(second.code).to.equal('SOCKET_DISCONNECT');
    await s.close();
  });

  it('MaxStartups 0:100:0 refuses at once, closing the stream', async () => {
    const s = server({ limits: { maxStartups: '1:100:1' } });
    const [, sv1] = memoryStreamPair();
    const first = s.accept(sv1);
    const [c2, sv2] = memoryStreamPair();
    const second = s.accept(sv2);
    expect((await second.closed)?.message).to.match(/MaxStartups/);
    expect(await c2.read()).to.equal(null);
    await first.close();
  });

  it('hostile clients end only their own connection: garbage after kex, IGNORE floods, vanishing mid-auth', async () => {
    const s = server();
    const good = await connectInMemory(s, { username: 'alice', password: 'pw' });
    // garbage instead of a version line, then a vanishing client
    for (const junk of [enc('GET / HTTP/1.1\r\n\r\n'), rng(5000)]) {
      const [c, sv] = memoryStreamPair();
      const incoming = s.accept(sv);
      await c.write(junk);
      c.close();
      expect(await incoming.closed).to.be.instanceOf(SshError);
    }
    // a client that completes kex and vanishes during userauth
    const [c, sv] = memoryStreamPair();
    const incoming = s.accept(sv);
    const vanishing = SshClient.connect(c, {
      username: 'alice',
      hostKeyVerifier: () => true,
      password: () => {
        c.close();
        return new Promise<string | null>(() => {});
      },
    }).catch((e: unknown) => e);
    void vanishing;
    expect(await incoming.closed).to.be.instanceOf(SshError);
    // the good connection still works
    expect(dec((await good.client.run('still here')).stdout)).to.equal('still here|no-pty|\n');
    await s.close();
  });
});
