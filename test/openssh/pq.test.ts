/**
 * Post-quantum hybrid key exchange against real servers:
 *  - Debian's OpenSSH 9.2 sshd: sntrup761x25519-sha512@openssh.com and sntrup761x25519-sha512
 *    (Debian's 9.2 accepts both names), 1 MiB each way, and rekeying under each (sshd
 *    RekeyLimit 64K plus a client-initiated rekey) with the data intact;
 *  - Debian's tinysshd 20230101 under our TCP accept loop (test/support/tinysshd.ts):
 *    sntrup761x25519-sha512@openssh.com, the only PQ name it offers, 1 MiB each way and a
 *    client-initiated rekey. tinysshd serves one channel per connection.
 * OpenSSH 9.2 predates mlkem768x25519-sha256 (sshd refuses the name, asserted below), so that
 * method is covered by the transcript and client/server pair tests in test/unit/kex.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { DEFAULT_KEX } from '../../src/kex/index.js';
import { echoRoundTrip } from '../support/echo.js';
import { SSHD_PATH, startSshd, sshdEffectiveConfig, sshdSupported, type Sshd } from '../support/sshd.js';
import { startTinysshd, type Tinysshd } from '../support/tinysshd.js';

const MiB = 1024 * 1024;
const SNTRUP = ['sntrup761x25519-sha512@openssh.com', 'sntrup761x25519-sha512'];

function sshdOptions(sshd: Sshd, extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
  const hostKey = parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key;
  return {
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    hostKeyVerifier: (info) => Buffer.from(info.blob).equals(Buffer.from(hostKey.blob)),
    algorithms: { hostKey: ['ssh-ed25519'] },
    privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
    timeout: 30_000,
    ...extra,
  };
}

describe('post-quantum kex with OpenSSH 9.2 sshd', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ config: [`KexAlgorithms ${SNTRUP.join(',')}`] });
  });
  after(async () => {
    await sshd?.stop();
  });

  it('sshd accepts both sntrup761 names and refuses mlkem768x25519-sha256', () => {
    expect(sshdSupported('kex')).to.include.members(SNTRUP);
    expect(sshdSupported('kex')).not.to.include('mlkem768x25519-sha256');
    expect(sshdEffectiveConfig(sshd).kexalgorithms).to.deep.equal([SNTRUP.join(',')]);
    const cfg = join(sshd.dir, 'mlkem_config');
    writeFileSync(cfg, `HostKey ${sshd.hostKeys.ed25519!.path}\nKexAlgorithms mlkem768x25519-sha256\n`);
    let stderr = '';
    try {
      execFileSync(SSHD_PATH, ['-T', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      stderr = String((e as { stderr?: Buffer }).stderr ?? '');
    }
    expect(stderr).to.match(/Unsupported KEX algorithm "mlkem768x25519-sha256"/);
  });

  for (const kex of SNTRUP) {
    it(`${kex}: connects, authenticates, 1 MiB each way intact`, async () => {
      const client = await connect(sshdOptions(sshd, { algorithms: { kex: [kex], hostKey: ['ssh-ed25519'] } }));
      try {
        expect(client.algorithms.kex).to.equal(kex);
        await echoRoundTrip(client, MiB);
      } finally {
        await client.disconnect();
      }
    });
  }

  it('the default order offers mlkem768x25519-sha256 first and falls through to sntrup761x25519-sha512', async () => {
    expect(DEFAULT_KEX[0]).to.equal('mlkem768x25519-sha256');
    const client = await connect(sshdOptions(sshd));
    try {
      expect(client.algorithms.kex).to.equal('sntrup761x25519-sha512');
      await echoRoundTrip(client, 64 * 1024);
    } finally {
      await client.disconnect();
    }
  });
});

describe('rekeying under post-quantum kex with OpenSSH 9.2 sshd (RekeyLimit 64K)', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ config: [`KexAlgorithms ${SNTRUP.join(',')}`, 'RekeyLimit 64K'] });
  });
  after(async () => {
    await sshd?.stop();
  });

  for (const kex of SNTRUP) {
    it(`${kex}: server- and client-initiated rekeys during 1 MiB each way, data intact`, async () => {
      const client = await connect(sshdOptions(sshd, { algorithms: { kex: [kex], hostKey: ['ssh-ed25519'] } }));
      try {
        const transfer = echoRoundTrip(client, MiB);
        await client.rekey();
        await transfer;
        expect(client.algorithms.kex).to.equal(kex);
        // 2 MiB through a 64 KiB limit: the server rekeyed many times, each time with this kex
        expect(client.kexCount).to.be.greaterThan(10);
      } finally {
        await client.disconnect();
      }
    });
  }
});

describe('post-quantum kex with tinysshd', function () {
  this.timeout(300_000);
  let tiny: Tinysshd;
  before(async () => {
    tiny = await startTinysshd();
  });
  after(async () => {
    await tiny?.stop();
  });

  function tinyOptions(extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
    const hostKey = parsePublicKeyLine(tiny.hostKeyLine).key;
    return {
      host: tiny.host,
      port: tiny.port,
      username: tiny.user,
      hostKeyVerifier: (info) => Buffer.from(info.blob).equals(Buffer.from(hostKey.blob)),
      privateKeys: [parsePrivateKey(readFileSync(tiny.userKey.privatePath, 'utf8'))],
      timeout: 30_000,
      ...extra,
    };
  }

  it('sntrup761x25519-sha512@openssh.com: 1 MiB each way intact, with a client-initiated rekey mid-transfer', async () => {
    const client = await connect(tinyOptions({ algorithms: { kex: ['sntrup761x25519-sha512@openssh.com'] } }));
    try {
      expect(client.algorithms.kex).to.equal('sntrup761x25519-sha512@openssh.com');
      expect(client.algorithms.cipherCS).to.equal('chacha20-poly1305@openssh.com');
      // Rekey with data flowing: tinysshd 20230101 polls before it looks at packets already
      // read, so a request that came in the same read as our NEWKEYS would wait for its
      // 60-second poll timeout on an otherwise idle connection (its main_tinysshd.c loop).
      await echoRoundTrip(client, MiB, () => client.rekey());
      expect(client.kexCount).to.equal(2);
    } finally {
      await client.disconnect();
    }
    expect(tiny.logs()).to.match(/auth: \S+: ssh-ed25519 \S+ accepted/);
  });

  it('the default order negotiates sntrup761x25519-sha512@openssh.com (tinysshd 20230101 offers no other PQ name)', async () => {
    const client = await connect(tinyOptions());
    try {
      expect(client.algorithms.kex).to.equal('sntrup761x25519-sha512@openssh.com');
      await echoRoundTrip(client, MiB);
    } finally {
      await client.disconnect();
    }
  });
});
