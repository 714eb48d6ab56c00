/**
 * socketStream's write backpressure: at its own 1 MiB mark whatever the socket's own
 * writableHighWaterMark is (an accepted socket has Node's 16 KiB), and released when the
 * peer reads again.
 */
import { expect } from 'chai';
import * as net from 'node:net';
import { socketStream } from '../../../src/node-stream.js';

describe('socketStream backpressure', () => {
  it('an accepted socket queues up to 1 MiB before write() waits, and the wait ends when the peer reads', async () => {
    let accepted!: net.Socket;
    const server = net.createServer((s) => (accepted = s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.pause();
    await new Promise<void>((r) => client.once('connect', r));
    while (!accepted) await new Promise((r) => setTimeout(r, 5));
    expect(accepted.writableHighWaterMark).to.equal(16384);
    const stream = socketStream(accepted);
    const packet = new Uint8Array(32 * 1024);
    let written = 0;
    let waiting: Promise<void> | void = undefined;
    // The kernel takes some first; stop at the first write that has to wait.
    while (!waiting && written < 64 * 1024 * 1024) {
      waiting = stream.write(packet);
      written += packet.length;
      if (!waiting) await new Promise((r) => setImmediate(r));
    }
    expect(waiting, 'write() waits once enough is queued').to.be.instanceOf(Promise);
    expect(accepted.writableLength).to.be.at.least(1024 * 1024);
    let released = false;
    void waiting!.then(() => (released = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(released).to.equal(false);
    let received = 0;
    client.on('data', (d: Buffer) => (received += d.length));
    client.resume();
    await waiting;
    expect(accepted.writableLength).to.equal(0);
    // Everything written arrives (some of it was still in the kernel's buffers at the drain).
    while (received < written) await new Promise((r) => setTimeout(r, 5));
    expect(received).to.equal(written);
    client.destroy();
    stream.close();
    server.close();
  });
});
