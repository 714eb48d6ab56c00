/**
 * The transport's server role against Debian's OpenSSH client: every kex, cipher, MAC and
 * host-key algorithm `ssh` offers, one at a time. The server here is the transport alone
 * with a userauth stub that refuses every request ("publickey" only), so `ssh` gets as far as
 * "Permission denied (publickey)": SERVICE_REQUEST/ACCEPT and USERAUTH_REQUEST/FAILURE have
 * then crossed the new keys in both directions. `ssh-keyscan` checks every host key type.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrivateKey } from '../../src/crypto/keys/index.js';
import type { PrivateKey } from '../../src/crypto/keys/types.js';
import { CertifiedPrivateKey, parseCertificateBlob } from '../../src/crypto/keys/certificate.js';
import { SUPPORTED_CERT_ALGORITHMS, SUPPORTED_HOSTKEY_ALGORITHMS } from '../../src/crypto/keys/registry.js';
import { SUPPORTED_KEX } from '../../src/kex/index.js';
import { serverHostKey, serverTransport } from '../../src/lifecycle.js';
import { socketStream } from '../../src/node-stream.js';
import { SUPPORTED_CIPHERS } from '../../src/transport/cipher/index.js';
import { SUPPORTED_COMPRESSIONS } from '../../src/transport/compression.js';
import { SUPPORTED_MACS } from '../../src/transport/mac/index.js';
import type { KexInitLists } from '../../src/transport/negotiate.js';
import { MSG } from '../../src/wire/constants.js';
import { Reader } from '../../src/wire/reader.js';
import { Writer } from '../../src/wire/writer.js';
import { requireSshd } from '../support/sshd.js';

const SERVER_LISTS: KexInitLists = {
  kex: [...SUPPORTED_KEX],
  hostKey: [...SUPPORTED_CERT_ALGORITHMS, ...SUPPORTED_HOSTKEY_ALGORITHMS],
  cipherCS: [...SUPPORTED_CIPHERS],
  cipherSC: [...SUPPORTED_CIPHERS],
  macCS: [...SUPPORTED_MACS],
  macSC: [...SUPPORTED_MACS],
  compressionCS: [...SUPPORTED_COMPRESSIONS],
  compressionSC: [...SUPPORTED_COMPRESSIONS],
  languagesCS: [],
  languagesSC: [],
};

/** `ssh -Q kind`: what Debian's client implements. */
function sshQuery(kind: string): string[] {
  return execFileSync('ssh', ['-Q', kind], { encoding: 'utf8' }).trim().split('\n');
}

/** Refuse every userauth request: enough for `ssh` to prove the transport both ways. */
async function serveStub(transport: ReturnType<typeof serverTransport>): Promise<void> {
  await transport.start();
  for (;;) {
    const p = await transport.receive();
    if (p[0] === MSG.SERVICE_REQUEST) {
      const name = new Reader(p, 1).ascii();
      await transport.send(new Writer(32).u8(MSG.SERVICE_ACCEPT).string(name).finish().slice());
    } else if (p[0] === MSG.USERAUTH_REQUEST) {
      await transport.send(new Writer(32).u8(MSG.USERAUTH_FAILURE).nameList(['publickey']).bool(false).finish().slice());
    }
  }
}

function runSsh(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 30000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr });
    });
  });
}

describe('transport server role against OpenSSH’s ssh client', function () {
  this.timeout(120000);
  let dir = '';
  let server: Server;
  let port = 0;
  let keys: PrivateKey[] = [];
  const errors: string[] = [];

  before(async () => {
    requireSshd();
    dir = mkdtempSync(join(tmpdir(), 'puressh-server-transport-'));
    const specs: [string, string[]][] = [
      ['ed25519', []],
      ['ecdsa', ['-b', '256']],
      ['ecdsa', ['-b', '384']],
      ['ecdsa', ['-b', '521']],
      ['rsa', ['-b', '2048']],
      ['dsa', []],
    ];
    keys = specs.map(([type, args], i) => {
      const path = join(dir, `host${i}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...args, '-N', '', '-f', path]);
      return parsePrivateKey(readFileSync(path));
    });
    // A host certificate for the ed25519 key, signed by a CA that the certificate test trusts.
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'test-host', '-h', '-n', '127.0.0.1', join(dir, 'host0.pub')]);
    const certBlob = Buffer.from(readFileSync(join(dir, 'host0-cert.pub'), 'utf8').split(' ')[1]!, 'base64');
    const certified = new CertifiedPrivateKey(keys[0]!, parseCertificateBlob(new Uint8Array(certBlob)));
    server = createServer((socket) => {
      const t = serverTransport(socketStream(socket), {
        algorithms: SERVER_LISTS,
        hostKeys: [serverHostKey(certified), ...keys.map((k) => serverHostKey(k))],
      });
      serveStub(t).catch((e: unknown) => {
        const m = (e as Error).message;
        if (!/closed by the client|disconnected/i.test(m)) errors.push(m);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(errors.splice(0)).to.deep.equal([]);
  });

  function ssh(options: string[]): Promise<{ code: number; stderr: string }> {
    return runSsh([
      '-v',
      '-F',
      '/dev/null',
      '-p',
      String(port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'PubkeyAuthentication=no',
      ...options,
      'nobody@127.0.0.1',
      'true',
    ]);
  }

  /** ssh reached user authentication under the new keys and was refused, with `expect` in its log. */
  async function proves(options: string[], logLine: RegExp): Promise<void> {
    const r = await ssh(options);
    expect(r.stderr, r.stderr).to.match(logLine);
    expect(r.stderr).to.contain('Permission denied (publickey)');
    expect(r.code).to.equal(255);
  }

  const clientKex = sshQuery('kex').filter((k) => SUPPORTED_KEX.includes(k));
  for (const kex of clientKex) {
    it(`kex ${kex}`, () => proves(['-o', `KexAlgorithms=${kex}`], new RegExp(`kex: algorithm: ${kex.replace(/[.@]/g, '\\$&')}`)));
  }
  for (const cipher of sshQuery('cipher').filter((c) => SUPPORTED_CIPHERS.includes(c))) {
    it(`cipher ${cipher}`, () => proves(['-o', `Ciphers=${cipher}`], new RegExp(`kex: server->client cipher: ${cipher.replace(/[.@]/g, '\\$&')}`)));
  }
  for (const mac of sshQuery('mac').filter((m) => SUPPORTED_MACS.includes(m))) {
    it(`mac ${mac}`, () =>
      proves(['-o', 'Ciphers=aes128-ctr', '-o', `MACs=${mac}`], new RegExp(`kex: client->server cipher: aes128-ctr MAC: ${mac.replace(/[.@]/g, '\\$&')}`)));
  }
  for (const hostKey of sshQuery('key-sig').filter((k) => SUPPORTED_HOSTKEY_ALGORITHMS.includes(k))) {
    it(`host key ${hostKey}`, () => proves(['-o', `HostKeyAlgorithms=${hostKey}`], new RegExp(`kex: host key algorithm: ${hostKey}`)));
  }
  it('compression zlib@openssh.com is negotiated (delayed: it starts only after auth)', () =>
    proves(['-o', 'Compression=yes'], /compression: zlib@openssh\.com/));

  it('a host certificate is verified by ssh against an @cert-authority line under StrictHostKeyChecking=yes', async () => {
    const knownHosts = join(dir, 'known_hosts_ca');
    writeFileSync(knownHosts, `@cert-authority [127.0.0.1]:${port} ${readFileSync(join(dir, 'ca.pub'), 'utf8')}`);
    const r = await runSsh([
      '-v',
      '-F',
      '/dev/null',
      '-p',
      String(port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'PubkeyAuthentication=no',
      'nobody@127.0.0.1',
      'true',
    ]);
    expect(r.stderr).to.match(/Server host certificate: ssh-ed25519-cert-v01@openssh\.com .* serial 0 ID "test-host" CA ssh-ed25519/);
    expect(r.stderr).to.match(/Host '\[127\.0\.0\.1\]:\d+' is known and matches the ED25519-CERT host certificate/);
    expect(r.stderr).to.contain('Permission denied (publickey)');
  });

  it('ssh-keyscan gets every host key, the same keys', async () => {
    // Asynchronously: the server runs in this process.
    const out = await new Promise<string>((resolve, reject) => {
      execFile('ssh-keyscan', ['-p', String(port), '-t', 'ed25519,ecdsa,rsa,dsa', '127.0.0.1'], { timeout: 60000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const blobs = out
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[2])
      .sort();
    // ssh-keyscan asks for one ECDSA key (the first the server offers): nistp256.
    const expected = [keys[0]!, keys[1]!, keys[4]!, keys[5]!].map((k) => Buffer.from(k.publicKey.blob).toString('base64')).sort();
    expect(blobs).to.deep.equal(expected);
  });
});
