/**
 * Failures end quickly with a typed error and a clear message: not an SSH server, a closed
 * port, a server dropping the connection mid-handshake, a silent server, a changed host key
 * (refused before any credential is sent), wrong credentials, a flood of IGNORE messages (bounded memory).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePrivateKey } from '../../src/crypto/keys/index.js';
import { AuthError, ConnectionLostError, HostKeyError, ProtocolError, SshError, TimeoutError } from '../../src/errors.js';
import { closedPort, httpServer, ignoreFloodServer, partialKexServer, plainPacket, serverKexInit, silentServer, ssh1Server } from '../support/bad-servers.js';
import { createServer, type AddressInfo } from 'node:net';
import { MSG } from '../../src/wire/constants.js';
import { sshdClientOptions } from '../support/connect.js';
import { startSshd, type Sshd } from '../support/sshd.js';

async function failure(p: Promise<unknown>): Promise<SshError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(SshError);
    return e as SshError;
  }
  throw new Error('expected the connection to fail');
}

const base = { username: 'nobody', hostKeyVerifier: () => true, timeout: 5000, connectTimeout: 5000 };

describe('connection failures', function () {
  this.timeout(60_000);

  it('a closed port: SOCKET_NONE, "Connection refused"', async () => {
    const s = await closedPort();
    const err = await failure(connect({ ...base, host: '127.0.0.1', port: s.port }));
    expect(err.code).to.equal('SOCKET_NONE');
    expect(err.message).to.equal(`connect to host 127.0.0.1 port ${s.port}: Connection refused`);
    await s.close();
  });

  it('an HTTP server: says what the peer sent', async () => {
    const s = await httpServer();
    const err = await failure(connect({ ...base, host: '127.0.0.1', port: s.port }));
    expect(err).to.be.instanceOf(ConnectionLostError);
    expect(err.message).to.include('HTTP/1.1 400 Bad Request');
    expect(err.message).to.include('not an SSH server');
    await s.close();
  });

  it('an SSH-1.5 server: unsupported protocol version', async () => {
    const s = await ssh1Server();
    const err = await failure(connect({ ...base, host: '127.0.0.1', port: s.port }));
    expect(err).to.be.instanceOf(ProtocolError);
    expect(err.code).to.equal('BANNER_RECV');
    expect(err.message).to.include('SSH-1.5-old');
    await s.close();
  });

  for (const mode of ['end', 'reset'] as const) {
    it(`a server that drops mid-KEXINIT (${mode})`, async () => {
      const s = await partialKexServer({ mode });
      const err = await failure(connect({ ...base, host: '127.0.0.1', port: s.port }));
      expect(err).to.be.instanceOf(ConnectionLostError);
      expect(err.code).to.equal('SOCKET_DISCONNECT');
      await s.close();
    });
  }

  it('strict KEX (Terrapin): a packet before the server KEXINIT ends the handshake', async () => {
    const ignore = plainPacket(new Uint8Array([MSG.IGNORE, 0, 0, 0, 0]));
    const server = createServer((sock) => {
      sock.on('error', () => {});
      sock.write(Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.2 terrapin\r\n'), ignore, plainPacket(serverKexInit())]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const err = await failure(connect({ ...base, host: '127.0.0.1', port }));
    expect(err).to.be.instanceOf(ProtocolError);
    expect(err.message).to.equal('strict KEX: KEXINIT was not the first packet');
    server.close();
  });

  it('256 MiB of IGNORE before KEXINIT: the client stays under 100 MiB of peak RSS and fails cleanly when dropped', async () => {
    // The client runs bundled (no tsx loader in its memory) in a child process of its own.
    const dir = mkdtempSync(join(tmpdir(), 'puressh-rss-'));
    const s = await ignoreFloodServer({ bytes: 256 * 1024 * 1024 });
    try {
      const bundle = join(dir, 'client.mjs');
      await build({
        entryPoints: [join(import.meta.dirname, '../support/peak-rss-client.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: bundle,
        logLevel: 'error',
      });
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [bundle, String(s.port)], { timeout: 120_000 }, (e, stdout, stderr) =>
          e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      const r = JSON.parse(out) as { code: string; message: string; vmHwmKiB: number };
      expect(r.code).to.equal('SOCKET_DISCONNECT');
      expect(r.message).to.equal('connection closed by the server during key exchange');
      // Before dropped messages gave their read buffers back: 130-210 MiB. OpenSSH's ssh: ~8 MiB.
      expect(r.vmHwmKiB).to.be.greaterThan(0);
      expect(r.vmHwmKiB).to.be.lessThan(100 * 1024);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a silent server: times out within the timeout', async () => {
    const s = await silentServer();
    const t0 = Date.now();
    const err = await failure(connect({ ...base, host: '127.0.0.1', port: s.port, timeout: 500 }));
    expect(err).to.be.instanceOf(TimeoutError);
    expect(err.code).to.equal('TIMEOUT');
    expect(Date.now() - t0).to.be.lessThan(10_000);
    await s.close();
  });
});

describe('host key and credentials against sshd', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ config: ['PasswordAuthentication yes'] });
  });
  after(async () => {
    await sshd?.stop();
  });

  const options = (extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions => sshdClientOptions(sshd, extra);

  it('a changed host key is refused before any auth request is sent', async () => {
    const trace: string[] = [];
    const seen: string[] = [];
    const err = await failure(
      connect(
        options({
          debug: (l) => trace.push(l),
          hostKeyVerifier: (info) => {
            seen.push(info.fingerprint);
            return false; // what a known_hosts mismatch does
          },
        }),
      ),
    );
    expect(err).to.be.instanceOf(HostKeyError);
    expect(err.message).to.equal('Host key verification failed.');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
    // Nothing past the key exchange left our side.
    const sent = trace.filter((l) => l.startsWith('> ')).map((l) => l.split(' ')[1]);
    expect(sent).to.not.include('SERVICE_REQUEST');
    expect(sent).to.not.include('USERAUTH_REQUEST');
    expect(sent).to.include('DISCONNECT');
  });

  it('a throwing verifier is a refusal too', async () => {
    const err = await failure(
      connect(
        options({
          hostKeyVerifier: () => {
            throw new Error('no known_hosts');
          },
        }),
      ),
    );
    expect(err).to.be.instanceOf(HostKeyError);
    expect(err.message).to.include('no known_hosts');
  });

  it('a key the server does not know: AUTHENTICATION_FAILED listing the methods', async () => {
    const other = parsePrivateKey(readFileSync(sshd.hostKeys.ed25519!.path, 'utf8'));
    const err = await failure(connect(options({ privateKeys: [other] })));
    expect(err).to.be.instanceOf(AuthError);
    expect(err.code).to.equal('AUTHENTICATION_FAILED');
    expect(err.message).to.equal('Permission denied (publickey,password,keyboard-interactive).');
  });

  it('a wrong password: AUTHENTICATION_FAILED', async () => {
    const err = await failure(connect(options({ privateKeys: [], password: 'certainly-not-the-password' })));
    expect(err.code).to.equal('AUTHENTICATION_FAILED');
  });

  it('the exec exit status, stderr and signals come back', async () => {
    const client = await connect(options());
    expect(client.strictKex).to.equal(true); // OpenSSH 9.2 offers kex-strict-s-v00@openssh.com
    const r = await client.run('printf out; printf err >&2; exit 7');
    expect(new TextDecoder().decode(r.stdout)).to.equal('out');
    expect(new TextDecoder().decode(r.stderr)).to.equal('err');
    expect(r.code).to.equal(7);
    const k = await client.run('kill -TERM $$');
    expect(k.code).to.equal(null);
    expect(k.signal).to.equal('TERM');
    await client.disconnect();
    expect(await client.closed).to.equal(null);
  });
});
