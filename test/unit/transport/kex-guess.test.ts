/**
 * A server's guessed kex packet (RFC 4253 §7.1 first_kex_packet_follows) against the fake
 * server: when the two sides' first kex or host key choices differ the guess is wrong and
 * the client drops the packet, even when negotiation lands on the server's first choice.
 */
import { expect } from 'chai';
import { MSG } from '../../../src/wire/constants.js';
import { Writer } from '../../../src/wire/writer.js';
import { ed25519HostKey, fakePair } from '../../support/fake-server.js';

/** A KEX_ECDH_REPLY the client could not use: it must never reach the kex. */
const junkReply = (): Uint8Array =>
  new Writer().u8(MSG.KEX_ECDH_REPLY).string(new Uint8Array(7)).string(new Uint8Array(3)).string(new Uint8Array(5)).finish().slice();

describe('transport/kex guesses from the server (RFC 4253 §7.1)', () => {
  it("drops the guess when the first kex choices differ (negotiation picks the client's first)", async () => {
    const { client } = await fakePair({ algorithms: { kex: ['curve25519-sha256', 'diffie-hellman-group14-sha256'] } }, ed25519HostKey(), {
      kex: ['diffie-hellman-group14-sha256', 'curve25519-sha256'],
      guess: junkReply(),
    });
    expect(client.algorithms.kex).to.equal('curve25519-sha256');
    expect(client.kexCount).to.equal(1);
    await client.disconnect();
  });

  it("drops the guess when the client prefers another kex, though the server's first is negotiated", async () => {
    // Judged by the negotiated method alone this guess would look right and be taken as the reply.
    const { client } = await fakePair({ algorithms: { kex: ['ecdh-sha2-nistp256', 'curve25519-sha256'] } }, ed25519HostKey(), {
      kex: ['curve25519-sha256'],
      guess: junkReply(),
    });
    expect(client.algorithms.kex).to.equal('curve25519-sha256');
    expect(client.kexCount).to.equal(1);
    await client.disconnect();
  });
});
