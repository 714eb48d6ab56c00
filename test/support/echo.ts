import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { SshClient } from '../../src/client.js';

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Send `size` random bytes through remote `cat` and check what comes back, byte for byte (by hash). */
export async function echoRoundTrip(client: SshClient, size: number): Promise<void> {
  const input = new Uint8Array(randomBytes(size));
  const ch = await client.exec('cat');
  const writing = ch.write(input).then(() => ch.eof());
  const hash = createHash('sha256');
  let n = 0;
  for (;;) {
    const chunk = await ch.read();
    if (chunk === null) break;
    hash.update(chunk);
    n += chunk.length;
  }
  await writing;
  const status = await ch.exit;
  expect(status.code).to.equal(0);
  expect(n).to.equal(size);
  expect(hash.digest('hex')).to.equal(sha256(input));
}
