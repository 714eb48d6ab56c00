/**
 * Net::SSH2::PublicKey over the core publickey subsystem client (src/publickey, RFC 4819):
 * only argument and result shapes are mapped here.
 */
import type { Connection } from '../connection/connection.js';
import { PublicKeySubsystem } from '../publickey/client.js';
import { toBytes } from './state.js';
import type { SSH2 } from './ssh2.js';

/** A key attribute as Net::SSH2::PublicKey passes it. */
export interface PublicKeyAttr {
  name: string;
  value?: string;
  mandatory?: boolean | number;
}

/** One key as Net::SSH2::PublicKey `fetch` returns it. */
export interface PublicKeyEntry {
  name: string;
  blob: Uint8Array;
  attr: { name: string; value: string; mandatory: boolean }[];
}

/** Net::SSH2::PublicKey: the publickey subsystem (RFC 4819). */
export class PublicKey {
  private constructor(
    private readonly ssh2: SSH2,
    private readonly core: PublicKeySubsystem,
  ) {}

  /** @internal open the subsystem and exchange versions (RFC 4819 §3.1). */
  static async _open(ssh2: SSH2, conn: Connection): Promise<PublicKey> {
    return new PublicKey(ssh2, await PublicKeySubsystem.open(conn));
  }

  /** Add a key: algorithm `name`, key `blob`, overwrite flag, attributes. */
  add(name: string, blob: string | Uint8Array, overwrite: boolean | number, ...attrs: PublicKeyAttr[]): Promise<true | undefined> {
    return this.ssh2._io(this, 'add', [name, blob, overwrite, attrs], async () => {
      await this.core.add(
        name,
        toBytes(blob),
        !!overwrite,
        attrs.map((a) => ({ name: a.name, value: a.value ?? '', mandatory: !!a.mandatory })),
      );
      return true as const;
    });
  }

  /** Net::SSH2::PublicKey's `remove`. */
  remove(name: string, blob: string | Uint8Array): Promise<true | undefined> {
    return this.ssh2._io(this, 'remove', [name, blob], async () => {
      await this.core.remove(name, toBytes(blob));
      return true as const;
    });
  }

  /** The keys held by the server (list context; `fetch_count` is the scalar form). */
  fetch_list(): Promise<PublicKeyEntry[] | undefined> {
    return this.ssh2._io(this, 'fetch_list', [], async () => (await this.core.list()).map((k) => ({ name: k.algorithm, blob: k.blob, attr: k.attributes })));
  }

  /** Scalar context: how many keys the server holds. */
  async fetch(): Promise<number | undefined> {
    return (await this.fetch_list())?.length;
  }

  /** Perl's destructor: close the subsystem. */
  DESTROY(): Promise<void> {
    return this.core.close().catch(() => {});
  }
}
