/**
 * Net::SSH2::PublicKey: the publickey subsystem (RFC 4819), version 2. The core has no
 * client for it (OpenSSH does not implement it), so this file frames its few requests
 * itself with the wire codec: each packet is a uint32 length, then a string request name.
 */
import type { Connection } from '../connection/connection.js';
import { openSession, Session } from '../connection/session.js';
import { SshError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { concatBytes, toBytes } from './state.js';
import type { SSH2 } from './ssh2.js';

export interface PublicKeyAttr {
  name: string;
  value?: string;
  mandatory?: boolean | number;
}

export interface PublicKeyEntry {
  name: string;
  blob: Uint8Array;
  attr: { name: string; value: string; mandatory: boolean }[];
}

export class PublicKey {
  private buf: Uint8Array = new Uint8Array(0);

  private constructor(
    private readonly ssh2: SSH2,
    private readonly ch: Session,
  ) {}

  /** @internal open the subsystem and exchange versions (RFC 4819 §3.1). */
  static async _open(ssh2: SSH2, conn: Connection): Promise<PublicKey> {
    const ch = await openSession(conn);
    if (!(await ch.request('subsystem', true, Session.stringBody('publickey')))) {
      await ch.close().catch(() => {});
      throw new SshError('CHANNEL_FAILURE', 'Unable to request publickey subsystem');
    }
    const pk = new PublicKey(ssh2, ch);
    await pk.#send(new Writer().string('version').u32(2));
    const r = await pk.#next();
    if (r.ascii('request') !== 'version') throw new SshError('PUBLICKEY_PROTOCOL', 'expected a version reply');
    return pk;
  }

  async #send(w: Writer): Promise<void> {
    const body = w.finish();
    await this.ch.write(new Writer(body.length + 4).string(body).finish().slice());
  }

  async #next(): Promise<Reader> {
    for (;;) {
      if (this.buf.length >= 4) {
        const n = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(0);
        if (this.buf.length >= 4 + n) {
          const body = this.buf.slice(4, 4 + n);
          this.buf = this.buf.slice(4 + n);
          return new Reader(body, 0, 'publickey packet');
        }
      }
      const c = await this.ch.read();
      if (c === null) throw new SshError('PUBLICKEY_PROTOCOL', 'publickey subsystem closed');
      this.buf = concatBytes([this.buf, c]);
    }
  }

  async #status(): Promise<true> {
    const r = await this.#next();
    if (r.ascii('request') !== 'status') throw new SshError('PUBLICKEY_PROTOCOL', 'expected a status reply');
    const code = r.u32('status code');
    const text = r.text('description');
    if (code !== 0) throw new SshError('PUBLICKEY_PROTOCOL', `publickey status ${code}: ${text}`);
    return true;
  }

  /** Add a key: algorithm `name`, key `blob`, overwrite flag, attributes. */
  add(name: string, blob: string | Uint8Array, overwrite: boolean | number, ...attrs: PublicKeyAttr[]): Promise<true | undefined> {
    return this.ssh2._attempt(async () => {
      const w = new Writer().string('add').string(name).string(toBytes(blob)).bool(!!overwrite).u32(attrs.length);
      for (const a of attrs) w.string(a.name).string(a.value ?? '').bool(!!a.mandatory);
      await this.#send(w);
      return this.#status();
    });
  }

  remove(name: string, blob: string | Uint8Array): Promise<true | undefined> {
    return this.ssh2._attempt(async () => {
      await this.#send(new Writer().string('remove').string(name).string(toBytes(blob)));
      return this.#status();
    });
  }

  /** The keys held by the server (list context; `fetch_count` is the scalar form). */
  fetch_list(): Promise<PublicKeyEntry[] | undefined> {
    return this.ssh2._attempt(async () => {
      await this.#send(new Writer().string('list'));
      const out: PublicKeyEntry[] = [];
      for (;;) {
        const r = await this.#next();
        const req = r.ascii('request');
        if (req === 'status') {
          const code = r.u32('status code');
          if (code !== 0) throw new SshError('PUBLICKEY_PROTOCOL', `publickey status ${code}: ${r.text('description')}`);
          return out;
        }
        if (req !== 'publickey') throw new SshError('PUBLICKEY_PROTOCOL', `unexpected ${req} reply`);
        const name = r.ascii('algorithm');
        const blob = r.string('blob');
        const attr: PublicKeyEntry['attr'] = [];
        for (let n = r.u32('attribute count'); n > 0; n--) attr.push({ name: r.text('name'), value: r.text('value'), mandatory: false });
        out.push({ name, blob, attr });
      }
    });
  }

  /** Scalar context: how many keys the server holds. */
  async fetch(): Promise<number | undefined> {
    return (await this.fetch_list())?.length;
  }

  DESTROY(): Promise<void> {
    return this.ch.close().catch(() => {});
  }
}
