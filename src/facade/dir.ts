/** Net::SSH2::Dir: entries of an open remote directory, one per `read()`. */
import { LIBSSH2_ERROR } from '../errors.js';
import type { SftpDir } from '../sftp/dir.js';
import type { SftpName } from '../sftp/packets.js';
import { toStatHash, type StatHash } from './attrs.js';
import type { SFTP } from './sftp.js';

/** Net::SSH2::Dir: an open remote directory. */
export class Dir {
  private batch: SftpName[] = [];
  private done = false;

  /** @internal made by SFTP.opendir */
  constructor(
    private readonly sftp: SFTP,
    readonly core: SftpDir,
  ) {}

  /** The next entry `{ name, mode, size, uid, gid, atime, mtime }`, or undefined at the end. */
  async read(): Promise<StatHash | undefined> {
    while (this.batch.length === 0 && !this.done) {
      const b = await this.sftp._run(this, 'read', [], () => this.core.read());
      // undefined: failed (the end, as Net::SSH2 reports it) or EAGAIN (call again)
      if (b === undefined && this.sftp.session().error() === LIBSSH2_ERROR.EAGAIN) return undefined;
      if (!b) this.done = true;
      else this.batch = b;
    }
    const e = this.batch.shift();
    return e ? toStatHash(e.attrs, e.filename) : undefined;
  }

  /** Perl's destructor: close the handle. */
  DESTROY(): Promise<void> {
    return this.core.close().catch(() => {});
  }
}
