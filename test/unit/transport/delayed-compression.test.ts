/**
 * zlib@openssh.com (OpenSSH PROTOCOL §1.4) against the fake server: compression starts in
 * both directions right after USERAUTH_SUCCESS, so a packet the server sends behind it in the
 * same write must be decompressed, though the transport reads it before userauth has seen
 * the SUCCESS.
 */
import { expect } from 'chai';
import { MSG } from '../../../src/wire/constants.js';
import { ed25519HostKey, fakePair, msg } from '../../support/fake-server.js';

describe('transport: delayed compression starts at USERAUTH_SUCCESS', () => {
  it('a compressed global request in the same chunk as SUCCESS is read; our reply and later packets are compressed', async () => {
    const { client, server } = await fakePair({ algorithms: { compression: ['zlib@openssh.com'] } }, ed25519HostKey(), {
      delayedCompression: true,
      afterSuccess: [msg.globalRequest('keepalive@openssh.com', true)],
    });
    expect(client.algorithms.compressionCS).to.equal('zlib@openssh.com');
    expect(client.algorithms.compressionSC).to.equal('zlib@openssh.com');
    // The client refuses keepalive@openssh.com (it is a probe): REQUEST_FAILURE, compressed.
    expect(await server.expect(MSG.REQUEST_SUCCESS, MSG.REQUEST_FAILURE)).to.deep.equal(new Uint8Array([MSG.REQUEST_FAILURE]));
    const pending = client.globalRequest('puressh-test@example.com', true);
    const request = await server.expect(MSG.GLOBAL_REQUEST);
    expect(new TextDecoder().decode(request.subarray(5, 5 + 24))).to.equal('puressh-test@example.com');
    server.send(new Uint8Array([MSG.REQUEST_FAILURE]));
    expect(await pending).to.equal(null);
    await client.disconnect();
  });
});
