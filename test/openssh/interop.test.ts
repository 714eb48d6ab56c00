/**
 * Interop matrix against Debian's real OpenSSH sshd: every kex, cipher, MAC, host-key
 * algorithm, user key type and compression we support connects, authenticates and moves
 * 1 MiB each way byte-identical (random bytes through `cat`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { SUPPORTED_KEX } from '../../src/kex/index.js';
import { SUPPORTED_CIPHERS } from '../../src/transport/cipher/index.js';
import { SUPPORTED_MACS } from '../../src/transport/mac/index.js';
import { SUPPORTED_HOSTKEY_ALGORITHMS } from '../../src/crypto/keys/index.js';
import { SUPPORTED_COMPRESSIONS } from '../../src/transport/compression.js';
import type { SshClient } from '../../src/client.js';
import { echoRoundTrip } from '../support/echo.js';
import { generateKey, startSshd, sshdSupported, USER_KEY_TYPES, type Sshd } from '../support/sshd.js';
import { startAsyncssh, type AsyncsshServer } from '../support/asyncssh-server.js';

const MiB = 1024 * 1024;

/** Legacy names OpenSSH 9.2 no longer has; test/openssh/legacy-asyncssh.test.ts runs them against asyncssh. */
const GONE_FROM_OPENSSH = new Set([
  'blowfish-cbc',
  'cast128-cbc',
  'arcfour',
  'arcfour128',
  'arcfour256',
  'rijndael-cbc@lysator.liu.se',
  'hmac-ripemd160',
  'hmac-ripemd160@openssh.com',
]);

/** Every algorithm sshd knows, enabled: legacy ones are off by default in OpenSSH 9.2. */
function allOn(kind: 'kex' | 'cipher' | 'mac' | 'key-sig'): string {
  return sshdSupported(kind).join(',');
}

describe('interop with OpenSSH sshd', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  let hostKeys: Map<string, string>;

  before(async () => {
    sshd = await startSshd({
      hostKeyTypes: ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa', 'dsa'],
      rsaBits: 2048,
      config: [
        `KexAlgorithms ${allOn('kex')}`,
        `Ciphers ${allOn('cipher')}`,
        `MACs ${allOn('mac')}`,
        `HostKeyAlgorithms ${allOn('key-sig')}`,
        `PubkeyAcceptedAlgorithms ${allOn('key-sig')}`,
        'Compression yes',
      ],
    });
    hostKeys = new Map();
    for (const hk of Object.values(sshd.hostKeys)) {
      const { key } = parsePublicKeyLine(hk.publicLine);
      hostKeys.set(key.type, Buffer.from(key.blob).toString('base64'));
    }
  });
  after(async () => {
    await sshd?.stop();
  });

  function options(extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
    return {
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      // Accept exactly the host keys sshd was given: a strict check, not "accept anything".
      hostKeyVerifier: (info) => hostKeys.get(info.type) === Buffer.from(info.blob).toString('base64'),
      privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
      timeout: 30_000,
      ...extra,
    };
  }

  async function roundTrip(opts: Partial<NodeConnectOptions>): Promise<SshClient> {
    const client = await connect(options(opts));
    try {
      await echoRoundTrip(client, MiB);
    } finally {
      await client.disconnect();
    }
    return client;
  }

  describe('key exchange', () => {
    // OpenSSH 9.2 predates ML-KEM: test/unit/kex/pq-hybrid.test.ts covers it by transcript and pair,
    // and test/openssh/pq.test.ts asserts that this sshd refuses the name.
    for (const kex of SUPPORTED_KEX.filter((k) => k !== 'mlkem768x25519-sha256')) {
      it(kex, async function () {
        if (!sshdSupported('kex').includes(kex)) throw new Error(`sshd lacks ${kex}: cannot test it`);
        const c = await roundTrip({ algorithms: { kex: [kex] } });
        expect(c.algorithms.kex).to.equal(kex);
      });
    }
  });

  for (const crypto of ['node', 'pure'] as const) {
    describe(`ciphers (${crypto} crypto provider)`, () => {
      for (const cipher of SUPPORTED_CIPHERS.filter((c) => !GONE_FROM_OPENSSH.has(c))) {
        it(cipher, async () => {
          const c = await roundTrip({ crypto, algorithms: { cipher: [cipher] } });
          expect(c.algorithms.cipherCS).to.equal(cipher);
          expect(c.algorithms.cipherSC).to.equal(cipher);
        });
      }
    });
  }

  describe('MACs (with aes128-ctr, both crypto providers)', () => {
    for (const mac of SUPPORTED_MACS.filter((m) => !GONE_FROM_OPENSSH.has(m))) {
      it(mac, async () => {
        await roundTrip({ crypto: 'pure', algorithms: { cipher: ['aes128-ctr'], mac: [mac] } });
        const c = await roundTrip({ algorithms: { cipher: ['aes128-ctr'], mac: [mac] } });
        expect(c.algorithms.macCS).to.equal(mac);
        expect(c.algorithms.macSC).to.equal(mac);
      });
    }
  });

  describe('host key algorithms', () => {
    for (const alg of SUPPORTED_HOSTKEY_ALGORITHMS) {
      it(alg, async () => {
        const c = await roundTrip({ algorithms: { hostKey: [alg] } });
        expect(c.algorithms.hostKey).to.equal(alg);
        expect(c.hostKey.algorithm).to.equal(alg);
      });
    }
  });

  describe('compression', () => {
    // OpenSSH 9.2's sshd offers only none and zlib@openssh.com; plain zlib is covered by asyncssh below.
    for (const comp of SUPPORTED_COMPRESSIONS.filter((c) => c !== 'zlib')) {
      it(comp, async () => {
        const c = await roundTrip({ algorithms: { compression: [comp] } });
        expect(c.algorithms.compressionCS).to.equal(comp);
        expect(c.algorithms.compressionSC).to.equal(comp);
      });
    }
  });

  describe('user keys (publickey auth)', () => {
    for (const type of USER_KEY_TYPES) {
      it(type, async () => {
        const key = parsePrivateKey(readFileSync(sshd.userKeys[type].privatePath, 'utf8'));
        const c = await roundTrip({ privateKeys: [key] });
        expect(c.authMethod).to.equal('publickey');
      });
    }
    for (const alg of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) {
      it(`rsa key signing with ${alg}`, async () => {
        const lines: string[] = [];
        const key = parsePrivateKey(readFileSync(sshd.userKeys.rsa.privatePath, 'utf8'));
        const c = await roundTrip({ privateKeys: [key], algorithms: { publicKey: [alg] }, debug: (l) => lines.push(l) });
        expect(c.authMethod).to.equal('publickey');
        expect(lines.some((l) => l.includes(`(${alg})`))).to.equal(true);
        expect(sshd.logs()).to.include(`Accepted publickey for ${sshd.user}`);
      });
    }
  });
});

describe('interop with asyncssh (python3-asyncssh)', function () {
  this.timeout(120_000);
  let server: AsyncsshServer;
  let keyText: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-interop-'));
    const line = await generateKey('ed25519', join(dir, 'id'));
    keyText = readFileSync(join(dir, 'id'), 'utf8');
    server = await startAsyncssh({ authorizedKeys: [line], compression: ['zlib', 'zlib@openssh.com', 'none'] });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const comp of SUPPORTED_COMPRESSIONS) {
    it(`compression ${comp}`, async () => {
      const { key } = parsePublicKeyLine(server.hostKeyPublicLine);
      const client = await connect({
        host: server.host,
        port: server.port,
        username: 'tester',
        hostKeyVerifier: (info) => Buffer.from(info.blob).equals(Buffer.from(key.blob)),
        privateKeys: [parsePrivateKey(keyText)],
        algorithms: { compression: [comp] },
      });
      await echoRoundTrip(client, MiB);
      expect(client.algorithms.compressionCS).to.equal(comp);
      expect(client.algorithms.compressionSC).to.equal(comp);
      await client.disconnect();
    });
  }
});
