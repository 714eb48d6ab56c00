import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { SshClient } from '../../src/client.js';

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Send `size` random bytes through remote `cat` and check what comes back, byte for byte (by
 * hash). `midway` runs (awaited with the rest) once the first bytes have come back, so that
 * it happens with data in flight both ways.
 */
export async function echoRoundTrip(client: SshClient, size: number, midway?: () => Promise<void>): Promise<void> {
  const input = new Uint8Array(randomBytes(size));
  const ch = await client.exec('cat');
  const writing = ch.write(input).then(() => ch.eof());
  const hash = createHash('sha256');
  let n = 0;
  let during: Promise<void> | undefined;
  for (;;) {
    const chunk = await ch.read();
    if (chunk === null) break;
    if (midway && !during) during = midway();
    hash.update(chunk);
    n += chunk.length;
  }
  await Promise.all([writing, during]);
  const status = await ch.exit;
  expect(status.code).to.equal(0);
  expect(n).to.equal(size);
  expect(hash.digest('hex')).to.equal(sha256(input));
}
