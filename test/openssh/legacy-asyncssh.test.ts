/**
 * Live interop for the legacy algorithms OpenSSH 9.2 no longer has, against
 * Debian's python3-asyncssh run as a server: arcfour, arcfour128, arcfour256, blowfish-cbc,
 * cast128-cbc natively (its OpenSSL backend still has ARC4, Blowfish and CAST5). asyncssh 2.10
 * has no hmac-ripemd160 and no rijndael-cbc@lysator.liu.se: the test server registers them
 * through asyncssh's own register_mac_alg / register_encryption_alg on Python's hashlib
 * RIPEMD-160 and its AES-256-CBC, so they too meet an independent implementation.
 * Anything the backend lacks is named in the output, and is then covered only by the
 * OpenSSL cross-checks (test/unit/crypto/primitives-*, test/unit/transport/legacy-ciphers).
 * Each case connects, authenticates, and moves 1 MiB each way through `cat`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { connect } from '../../src/node.js';
import type { AlgorithmPreferences } from '../../src/client.js';
import { ASYNCSSH_PYTHON, requireAsyncssh, startAsyncssh, type AsyncsshServer } from '../support/asyncssh-server.js';
import { echoRoundTrip } from '../support/echo.js';
import { generateKey } from '../support/sshd.js';

const MiB = 1024 * 1024;

/** Registers the two names asyncssh 2.10 lacks, from asyncssh's own building blocks. */
const REGISTER_EXTRAS = `
import hashlib as _hl
from asyncssh import mac as _mac, encryption as _enc
try:
    _hl.new('ripemd160')
    for _n in (b'hmac-ripemd160', b'hmac-ripemd160@openssh.com'):
        if _n not in _mac.get_mac_algs():
            _mac.register_mac_alg(_n, 20, 20, False, _mac._HMAC, ('ripemd160',), False)
except Exception:
    pass
try:
    if b'rijndael-cbc@lysator.liu.se' not in _enc.get_encryption_algs():
        _enc.register_encryption_alg(b'rijndael-cbc@lysator.liu.se', _enc.BasicEncryption, 'aes256-cbc', False)
except Exception:
    pass
`;

const CIPHERS = ['arcfour', 'arcfour128', 'arcfour256', 'blowfish-cbc', 'cast128-cbc', 'rijndael-cbc@lysator.liu.se'];
const MACS = ['hmac-ripemd160', 'hmac-ripemd160@openssh.com'];

/** What the asyncssh server will speak: its own lists after REGISTER_EXTRAS. */
function asyncsshSupports(): { ciphers: string[]; macs: string[] } {
  requireAsyncssh();
  const code = [
    'import json, warnings',
    "warnings.filterwarnings('ignore')",
    'import asyncssh',
    REGISTER_EXTRAS,
    'print(json.dumps({"ciphers": [a.decode() for a in _enc.get_encryption_algs()], "macs": [a.decode() for a in _mac.get_mac_algs()]}))',
  ].join('\n');
  const r = spawnSync(ASYNCSSH_PYTHON, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`asking asyncssh for its algorithms failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ciphers: string[]; macs: string[] };
}

describe('interop with asyncssh: legacy ciphers and MACs OpenSSH 9.2 dropped', function () {
  this.timeout(300_000);
  let server: AsyncsshServer;
  let dir: string;
  let keyText: string;
  let supported: { ciphers: string[]; macs: string[] };

  before(async () => {
    supported = asyncsshSupports();
    const lacking = [...CIPHERS.filter((c) => !supported.ciphers.includes(c)), ...MACS.filter((m) => !supported.macs.includes(m))];
    console.log(
      lacking.length
        ? `    asyncssh's backend lacks ${lacking.join(', ')}: covered only by the OpenSSL cross-checks`
        : `    asyncssh speaks all of ${[...CIPHERS, ...MACS].join(', ')}`,
    );
    dir = mkdtempSync(join(tmpdir(), 'puressh-legacy-'));
    const line = await generateKey('ed25519', join(dir, 'id'));
    keyText = readFileSync(join(dir, 'id'), 'utf8');
    server = await startAsyncssh({
      authorizedKeys: [line],
      ciphers: [...CIPHERS.filter((c) => supported.ciphers.includes(c)), 'aes128-ctr'],
      macs: [...MACS.filter((m) => supported.macs.includes(m)), 'hmac-sha2-256', 'hmac-sha1'],
      pythonSetup: REGISTER_EXTRAS,
    });
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(algorithms: AlgorithmPreferences): Promise<void> {
    const { key } = parsePublicKeyLine(server.hostKeyPublicLine);
    const client = await connect({
      host: server.host,
      port: server.port,
      username: 'tester',
      hostKeyVerifier: (info) => Buffer.from(info.blob).equals(Buffer.from(key.blob)),
      privateKeys: [parsePrivateKey(keyText)],
      algorithms,
      timeout: 30_000,
    });
    try {
      await echoRoundTrip(client, MiB);
      if (algorithms.cipher) {
        expect(client.algorithms.cipherCS).to.equal(algorithms.cipher[0]);
        expect(client.algorithms.cipherSC).to.equal(algorithms.cipher[0]);
      }
      if (algorithms.mac) {
        expect(client.algorithms.macCS).to.equal(algorithms.mac[0]);
        expect(client.algorithms.macSC).to.equal(algorithms.mac[0]);
      }
    } finally {
      await client.disconnect();
    }
  }

  for (const cipher of CIPHERS) {
    it(`${cipher} (with hmac-sha2-256)`, async () => {
      if (!supported.ciphers.includes(cipher)) {
        console.log(`      asyncssh lacks ${cipher}: see the OpenSSL cross-checks in test/unit/transport/legacy-ciphers.test.ts`);
        return;
      }
      await roundTrip({ cipher: [cipher], mac: ['hmac-sha2-256'] });
    });
  }

  for (const mac of MACS) {
    it(`${mac} (with aes128-ctr)`, async () => {
      if (!supported.macs.includes(mac)) {
        console.log(`      asyncssh lacks ${mac}: see the node:crypto cross-checks in test/unit/transport/legacy-ciphers.test.ts`);
        return;
      }
      await roundTrip({ cipher: ['aes128-ctr'], mac: [mac] });
    });
  }

  it('an old-appliance profile: blowfish-cbc + hmac-ripemd160, arcfour256 + hmac-sha1 (MAC-then-encrypt)', async () => {
    const pairs: [string, string][] = [
      ['blowfish-cbc', 'hmac-ripemd160'],
      ['arcfour256', 'hmac-sha1'],
      ['cast128-cbc', 'hmac-ripemd160@openssh.com'],
    ];
    for (const [cipher, mac] of pairs) {
      if (!supported.ciphers.includes(cipher) || !supported.macs.includes(mac)) {
        console.log(`      asyncssh lacks ${cipher} or ${mac}`);
        continue;
      }
      await roundTrip({ cipher: [cipher], mac: [mac] });
    }
  });
});
