/**
 * The Node entry bundled with tree-shaking ("sideEffects": false honoured, test/support/bundle.ts)
 * keeps its defaults against a real sshd: bulk crypto by OpenSSL (the node provider), private
 * keys' public halves by OpenSSL, and node:fs for SFTP put/get without options.fs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { NODE_ENTRY, bundleScript, cryptoSpy, type Bundle } from '../support/bundle.js';
import { requireSshd, startSshd, type Sshd } from '../support/sshd.js';

describe('the tree-shaken Node entry against OpenSSH', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let bundle: Bundle;

  before(async () => {
    requireSshd();
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
    bundle = await bundleScript(`${cryptoSpy(['createPrivateKey', 'createCipheriv', 'createDecipheriv'])}
import { readFileSync } from 'node:fs';
import { connect, parsePrivateKey } from ${JSON.stringify(NODE_ENTRY)};
const [host, port, username, keyPath, hostKeyLine, local, remote, back] = process.argv.slice(2);
const hostBlob = hostKeyLine.split(' ')[1];
const key = parsePrivateKey(readFileSync(keyPath, 'utf8'));
const afterKey = { ...cryptoCalls };
const client = await connect({
  host,
  port: Number(port),
  username,
  privateKeys: [key],
  hostKeyVerifier: (info) => Buffer.from(info.blob).toString('base64') === hostBlob,
});
const run = await client.run('echo bundled');
const sftp = await client.sftp();
const put = await sftp.put(local, remote);
const got = await sftp.get(remote, back);
await sftp.end();
await client.disconnect();
console.log(JSON.stringify({ afterKey, stdout: Buffer.from(run.stdout).toString(), put, got, cryptoCalls }));
`);
  });
  after(async () => {
    await bundle?.remove();
    await sshd?.stop();
  });

  it('connects with the node provider, derives the key with OpenSSL, and transfers with node:fs by default', async () => {
    const data = randomBytes(300_000);
    const local = join(sshd.dir, 'bundle-src.bin');
    const remote = join(sshd.dir, 'bundle-remote.bin');
    const back = join(sshd.dir, 'bundle-back.bin');
    writeFileSync(local, data);
    const args = [sshd.host, String(sshd.port), sshd.user, sshd.userKeys.ed25519.privatePath, sshd.hostKeys.ed25519!.publicLine, local, remote, back];
    const out = JSON.parse(await bundle.run(args)) as {
      afterKey: Record<string, number>;
      stdout: string;
      put: number;
      got: number;
      cryptoCalls: Record<string, number>;
    };
    expect(out.afterKey).to.deep.equal({ createPrivateKey: 1, createCipheriv: 0, createDecipheriv: 0 });
    expect(out.stdout).to.equal('bundled\n');
    expect([out.put, out.got]).to.deep.equal([data.length, data.length]);
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(sha(readFileSync(remote))).to.equal(sha(data));
    expect(sha(readFileSync(back))).to.equal(sha(data));
    // AES-GCM first (the node provider's order), by OpenSSL: a cipher context per packet each way.
    expect(out.cryptoCalls.createCipheriv).to.be.greaterThan(10);
    expect(out.cryptoCalls.createDecipheriv).to.be.greaterThan(10);
  });
});
