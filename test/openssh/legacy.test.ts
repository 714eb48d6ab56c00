/**
 * Live interop for libssh2's legacy algorithms against Debian's OpenSSH 9.2 sshd: what interop.test.ts does not
 * already cover. (It runs each cipher with the default MACs, each MAC with aes128-ctr, every
 * kex including diffie-hellman-group1-sha1 and the ssh-dss host key; 3des-cbc entered its
 * cipher loop with them.) Here: the ssh-dss USER key, and whole legacy profiles the way
 * an old router negotiates them: 3des-cbc with MAC-then-encrypt and encrypt-then-MAC MACs,
 * group1 + ssh-dss + 3des-cbc + hmac-md5 together. Each moves 1 MiB each way through `cat`.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import type { SshClient } from '../../src/client.js';
import { echoRoundTrip } from '../support/echo.js';
import { generateKey, sshdSupported, startSshd, type Sshd } from '../support/sshd.js';

const MiB = 1024 * 1024;

describe('interop with OpenSSH sshd: legacy profiles and ssh-dss user keys', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  let dsaKeyText: string;
  let hostKeys: Map<string, string>;

  before(async () => {
    const all = (kind: 'kex' | 'cipher' | 'mac' | 'key-sig'): string => sshdSupported(kind).join(',');
    for (const [kind, name] of [
      ['cipher', '3des-cbc'],
      ['kex', 'diffie-hellman-group1-sha1'],
      ['key-sig', 'ssh-dss'],
      ['mac', 'hmac-md5'],
    ] as const) {
      if (!sshdSupported(kind).includes(name)) throw new Error(`this OpenSSH build lacks ${name}: cannot test it`);
    }
    sshd = await startSshd({
      hostKeyTypes: ['ed25519', 'dsa'],
      rsaBits: 2048,
      config: [
        `KexAlgorithms ${all('kex')}`,
        `Ciphers ${all('cipher')}`,
        `MACs ${all('mac')}`,
        `HostKeyAlgorithms ${all('key-sig')}`,
        `PubkeyAcceptedAlgorithms ${all('key-sig')}`,
      ],
    });
    // a DSA user key, authorized next to the generated ones (sshd reads the file per login)
    const dsaPath = join(sshd.dir, 'id_dsa');
    const line = await generateKey('dsa', dsaPath, { comment: 'user-dsa' });
    appendFileSync(sshd.authorizedKeysPath, `${line}\n`);
    dsaKeyText = readFileSync(dsaPath, 'utf8');
    hostKeys = new Map();
    for (const hk of Object.values(sshd.hostKeys)) {
      const { key } = parsePublicKeyLine(hk.publicLine);
      hostKeys.set(key.type, Buffer.from(key.blob).toString('base64'));
    }
  });
  after(async () => {
    await sshd?.stop();
  });

  async function roundTrip(extra: Partial<NodeConnectOptions>): Promise<SshClient> {
    const client = await connect({
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      hostKeyVerifier: (info) => hostKeys.get(info.type) === Buffer.from(info.blob).toString('base64'),
      privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
      timeout: 30_000,
      ...extra,
    });
    try {
      await echoRoundTrip(client, MiB);
    } finally {
      await client.disconnect();
    }
    return client;
  }

  it('ssh-dss user key: publickey auth signs with DSA and sshd accepts it', async () => {
    const key = parsePrivateKey(dsaKeyText);
    expect(key.type).to.equal('ssh-dss');
    const c = await roundTrip({ privateKeys: [key], algorithms: { publicKey: ['ssh-dss'] } });
    expect(c.authMethod).to.equal('publickey');
    expect(sshd.logs()).to.match(new RegExp(`Accepted publickey for ${sshd.user} .* DSA SHA256:`));
  });

  it('ssh-dss host key and ssh-dss user key together', async () => {
    const c = await roundTrip({ privateKeys: [parsePrivateKey(dsaKeyText)], algorithms: { hostKey: ['ssh-dss'], publicKey: ['ssh-dss'] } });
    expect(c.hostKey.type).to.equal('ssh-dss');
    expect(c.hostKey.algorithm).to.equal('ssh-dss');
  });

  for (const crypto of ['pure', 'node'] as const) {
    for (const mac of ['hmac-md5', 'hmac-md5-96', 'hmac-sha1-96', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com', 'hmac-md5-96-etm@openssh.com']) {
      it(`3des-cbc + ${mac} (${crypto} crypto provider)`, async () => {
        const c = await roundTrip({ crypto, algorithms: { cipher: ['3des-cbc'], mac: [mac] } });
        expect([c.algorithms.cipherCS, c.algorithms.cipherSC, c.algorithms.macCS, c.algorithms.macSC]).to.deep.equal(['3des-cbc', '3des-cbc', mac, mac]);
      });
    }
  }

  it('an old router: diffie-hellman-group1-sha1 + ssh-dss + 3des-cbc + hmac-md5, DSA user key', async () => {
    const c = await roundTrip({
      privateKeys: [parsePrivateKey(dsaKeyText)],
      algorithms: { kex: ['diffie-hellman-group1-sha1'], hostKey: ['ssh-dss'], cipher: ['3des-cbc'], mac: ['hmac-md5'], publicKey: ['ssh-dss'] },
    });
    expect(c.algorithms).to.deep.include({ kex: 'diffie-hellman-group1-sha1', hostKey: 'ssh-dss', cipherCS: '3des-cbc', macSC: 'hmac-md5' });
  });

  it('3des-cbc survives a rekey in the middle of a transfer', async () => {
    const c = await roundTrip({ algorithms: { cipher: ['3des-cbc'], mac: ['hmac-sha1'] }, rekeyBytes: 256 * 1024 });
    expect(c.kexCount).to.be.greaterThan(1);
  });
});
