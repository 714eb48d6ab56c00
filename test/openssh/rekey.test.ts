/**
 * Rekeying while channels carry data: server-initiated (sshd RekeyLimit 64K) and
 * client-initiated (our byte limit), 8 MiB each way, data byte-identical, and several
 * key exchanges observed.
 */
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { sshdClientOptions } from '../support/connect.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { echoRoundTrip } from '../support/echo.js';

const MiB = 1024 * 1024;

describe('rekey with OpenSSH sshd', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ config: ['RekeyLimit 64K'] });
  });
  after(async () => {
    await sshd?.stop();
  });

  const options = (extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions => sshdClientOptions(sshd, extra);

  for (const cipher of ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes128-ctr']) {
    it(`server-initiated (RekeyLimit 64K), 8 MiB each way, ${cipher}`, async () => {
      const client = await connect(options({ algorithms: { cipher: [cipher] } }));
      await echoRoundTrip(client, 8 * MiB);
      // 16 MiB through a 64 KiB limit: the server rekeyed many times.
      expect(client.kexCount).to.be.greaterThan(20);
      await client.disconnect();
    });
  }

  it('client-initiated by byte limit, several channels at once', async () => {
    const client = await connect(options({ rekeyBytes: 256 * 1024 }));
    await Promise.all([echoRoundTrip(client, 8 * MiB), echoRoundTrip(client, 2 * MiB), echoRoundTrip(client, 1)]);
    expect(client.kexCount).to.be.greaterThan(10);
    await client.disconnect();
  });

  it('explicit rekey() between and during transfers', async () => {
    const client = await connect(options());
    await client.rekey();
    expect(client.kexCount).to.equal(2);
    const transfer = echoRoundTrip(client, 4 * MiB);
    await client.rekey();
    await transfer;
    expect(client.kexCount).to.be.at.least(3);
    await client.disconnect();
  });
});
