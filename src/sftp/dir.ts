/**
 * An open remote directory (SSH_FXP_OPENDIR/READDIR, filexfer-02 §6.7). Iterating yields
 * entries one READDIR batch at a time, so a directory of any size streams in bounded memory.
 */
import { FXP, FX } from './constants.js';
import { expectType } from './engine.js';
import type { SftpClient } from './client.js';
import type { SftpPath } from './names.js';
import type { SftpName } from './packets.js';

/** An open directory handle; iterate it for its entries. */
export class SftpDir implements AsyncIterable<SftpName> {
  private closed = false;
  private done = false;

  constructor(
    private readonly client: SftpClient,
    readonly handle: Uint8Array,
    readonly path: SftpPath,
  ) {}

  /** The next batch of entries, or null once the server says EOF. */
  async read(): Promise<SftpName[] | null> {
    if (this.done) return null;
    const ctx = { request: 'READDIR', path: this.path };
    const r = await this.client.engine.send(FXP.READDIR, 32, (w) => w.string(this.handle), ctx);
    if (r.type === FXP.STATUS && r.code === FX.EOF) {
      this.done = true;
      return null;
    }
    return expectType(r, FXP.NAME, ctx).names;
  }

  /** The entries, READDIR after READDIR until EOF. */
  async *[Symbol.asyncIterator](): AsyncGenerator<SftpName> {
    for (;;) {
      const batch = await this.read();
      if (batch === null) return;
      yield* batch;
    }
  }

  /** CLOSE the handle. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.engine.status(FXP.CLOSE, 32, (w) => w.string(this.handle), { request: 'CLOSE', path: this.path });
  }
}
