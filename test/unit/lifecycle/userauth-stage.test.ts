/**
 * The lifecycle's stages over the fake server: a client transport, the userauth stage (one
 * method per attempt; success marks the stage done and later attempts fail without sending
 * anything), then the Connection, which ends with the transport.
 */
import { expect } from 'chai';
import { noneMethod } from '../../../src/auth/none.js';
import { algorithmLists } from '../../../src/client.js';
import { SshError } from '../../../src/errors.js';
import { clientTransport, UserauthStage } from '../../../src/lifecycle.js';
import { MSG } from '../../../src/wire/constants.js';
import { ed25519HostKey, memPipe, serve } from '../../support/fake-server.js';

describe('lifecycle: clientTransport, UserauthStage, Connection', () => {
  it('checks the host key once, authenticates with one attempt, refuses a second, and starts the Connection once', async () => {
    const [clientSide, serverSide] = memPipe();
    const hostKey = ed25519HostKey();
    const serverP = serve(serverSide, hostKey);
    const seen: [string, string][] = [];
    const transport = clientTransport(clientSide, {
      algorithms: algorithmLists(),
      checkHostKey: async (blob, algorithm) => void seen.push([Buffer.from(blob).toString('hex'), algorithm]),
    });
    await transport.start();
    expect(seen).to.deep.equal([[Buffer.from(hostKey.blob).toString('hex'), 'ssh-ed25519']]);

    const stage = await UserauthStage.start(transport, { username: 'tester' });
    expect(stage.authenticated).to.equal(false);
    expect(() => stage.finish()).to.throw(SshError, 'not authenticated');
    expect(await stage.attempt(noneMethod)).to.deep.equal({ success: true });
    expect(stage.authenticated).to.equal(true);
    const server = await serverP;

    const again = await stage.attempt(noneMethod).catch((e: unknown) => e);
    expect(again).to.be.instanceOf(SshError).with.property('code', 'BAD_USE');

    const connection = stage.finish();
    expect(() => stage.finish()).to.throw(SshError, 'already started');
    // The refused attempt sent nothing: the server's next packet is the Connection's first.
    await connection.globalRequest('puressh-test@example.com', false);
    expect((await server.receive())?.[0]).to.equal(MSG.GLOBAL_REQUEST);
    server.close();
    // The transport's end reaches the Connection.
    expect(await transport.closed).to.be.instanceOf(SshError);
    expect(connection.closedError).to.be.instanceOf(SshError);
  });
});
