/**
 * An SFTP session that fails to start gives up without waiting for the server's
 * cooperation: the client closes its side of the channel and does not wait for the
 * peer's CHANNEL_CLOSE (a server that announced a bad packet may never send one). The
 * same for end() on a session that failed after it started.
 */
import { expect } from 'chai';
import type { SshClient } from '../../../src/client.js';
import { SshError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Writer } from '../../../src/wire/writer.js';
import { fakePair, msg, type FakeServer } from '../../support/fake-server.js';
import { acceptOpen, answerRequest } from '../connection/helpers.js';

describe('sftp/a session that fails to start, or fails later (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
  });

  /** Start sftp; the server answers INIT with `reply` and then stays silent. Returns the error and the client's id. */
  async function startWith(reply: Uint8Array): Promise<{ err: SshError; id: number }> {
    const starting = client.sftp();
    const { id } = await acceptOpen(server);
    const req = await answerRequest(server);
    expect(req.type).to.equal('subsystem');
    await server.expect(MSG.CHANNEL_DATA); // SSH_FXP_INIT
    server.send(msg.data(id, reply));
    let err: unknown = null;
    await starting.then(
      () => expect.fail('sftp() succeeded'),
      (e: unknown) => (err = e),
    );
    expect(err).to.be.instanceOf(SshError);
    return { err: err as SshError, id };
  }

  it('an oversized packet announced in answer to INIT: fails at once, channel closed by us', async () => {
    const { err } = await startWith(new Writer().u32(0x7fffffff).u8(2).finish().slice());
    expect(err.code).to.equal('SFTP_PROTOCOL');
    expect(err.message).to.equal('SFTP packet of 2147483647 bytes exceeds our limit of 16777216');
    // We closed our side; the connection stays usable.
    await server.expect(MSG.CHANNEL_CLOSE);
    const opening = client.session();
    const { type } = await acceptOpen(server);
    expect(type).to.equal('session');
    await opening;
  });

  it('a VERSION below 3: fails at once, without waiting for the server to close', async () => {
    const version = new Writer().u8(2).u32(2).finish().slice();
    const { err } = await startWith(new Writer().string(version).finish().slice());
    expect(err.code).to.equal('SFTP_PROTOCOL');
    expect(err.message).to.include('version 2');
    await server.expect(MSG.CHANNEL_CLOSE);
  });

  it('end() after the server sent garbage mid-session returns without waiting for the server', async () => {
    const starting = client.sftp();
    const { id } = await acceptOpen(server);
    await answerRequest(server);
    await server.expect(MSG.CHANNEL_DATA); // SSH_FXP_INIT
    server.send(msg.data(id, new Writer().string(new Writer().u8(2).u32(3).finish()).finish().slice())); // VERSION 3
    const sftp = await starting;
    const stat = sftp.stat('/x');
    await server.expect(MSG.CHANNEL_DATA); // SSH_FXP_STAT
    server.send(msg.data(id, new Writer().u32(0x7fffffff).finish().slice()));
    const err = await stat.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(SshError);
    expect((err as SshError).code).to.equal('SFTP_PROTOCOL');
    await server.expect(MSG.CHANNEL_CLOSE);
    await sftp.end(); // the server never closes its side
  });
});
