/**
 * The publickey subsystem client (RFC 4819, version 2): list, add and remove the keys a
 * server accepts for the user. Each packet is a uint32 length and then a string request name
 * (RFC 4819 §3); replies are "status", "version" or "publickey" packets.
 */
import type { Connection } from '../connection/connection.js';
import { openSession, Session } from '../connection/session.js';
import { ProtocolError, SshError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { concatBytes, Writer } from '../wire/writer.js';

/** Largest reply we buffer; RFC 4819 packets are small (keys and attributes). */
const MAX_PACKET = 256 * 1024;

/** A key attribute of the publickey subsystem (RFC 4819 §3.1). */
export interface PublicKeyAttribute {
  name: string;
  value: string;
  mandatory: boolean;
}

/** One key as the publickey subsystem lists it (RFC 4819 §3.3). */
export interface PublicKeyListing {
  /** public key algorithm name, e.g. "ssh-ed25519" */
  algorithm: string;
  blob: Uint8Array;
  attributes: PublicKeyAttribute[];
}

/** A status reply other than SSH_PUBLICKEY_SUCCESS (RFC 4819 §3.6). */
export class PublicKeyStatusError extends SshError {
  override name = 'PublicKeyStatusError';
  constructor(
    readonly status: number,
    readonly description: string,
  ) {
    super('PUBLICKEY_PROTOCOL', `publickey status ${status}: ${description}`);
  }
}

/** A client of the publickey subsystem (RFC 4819): list, add and remove authorized keys. */
export class PublicKeySubsystem {
  private buf: Uint8Array = new Uint8Array(0);

  private constructor(private readonly ch: Session) {}

  /** Open the subsystem on a new session channel and exchange versions (RFC 4819 §3.1). */
  static async open(conn: Connection): Promise<PublicKeySubsystem> {
    const ch = await openSession(conn);
    if (!(await ch.request('subsystem', true, Session.stringBody('publickey')))) {
      ch.closeNow();
      throw new SshError('CHANNEL_FAILURE', 'Unable to request publickey subsystem');
    }
    const pk = new PublicKeySubsystem(ch);
    try {
      await pk.send(new Writer().string('version').u32(2));
      const r = await pk.next();
      if (r.ascii('request') !== 'version') throw new ProtocolError('publickey subsystem: expected a version reply', 'PUBLICKEY_PROTOCOL');
    } catch (e) {
      ch.closeNow();
      throw e;
    }
    return pk;
  }

  /** RFC 4819 §4: add a key, replacing an existing one when `overwrite`. */
  async add(algorithm: string, blob: Uint8Array, overwrite: boolean, attributes: readonly PublicKeyAttribute[] = []): Promise<void> {
    const w = new Writer().string('add').string(algorithm).string(blob).bool(overwrite).u32(attributes.length);
    for (const a of attributes) w.string(a.name).string(a.value).bool(a.mandatory);
    await this.send(w);
    await this.status();
  }

  /** RFC 4819 §4: remove a key. */
  async remove(algorithm: string, blob: Uint8Array): Promise<void> {
    await this.send(new Writer().string('remove').string(algorithm).string(blob));
    await this.status();
  }

  /** RFC 4819 §4: every key the server holds for us. */
  async list(): Promise<PublicKeyListing[]> {
    await this.send(new Writer().string('list'));
    const out: PublicKeyListing[] = [];
    for (;;) {
      const r = await this.next();
      const req = r.ascii('request');
      if (req === 'status') {
        this.checkStatus(r);
        return out;
      }
      if (req !== 'publickey') throw new ProtocolError(`publickey subsystem: unexpected ${JSON.stringify(req)} reply`, 'PUBLICKEY_PROTOCOL');
      const algorithm = r.ascii('algorithm');
      const blob = r.string('blob').slice();
      const attributes: PublicKeyAttribute[] = [];
      for (let n = r.u32('attribute count'); n > 0; n--) attributes.push({ name: r.text('name'), value: r.text('value'), mandatory: false });
      out.push({ algorithm, blob, attributes });
    }
  }

  /** Close the subsystem channel. */
  close(): Promise<void> {
    return this.ch.close();
  }

  private async send(w: Writer): Promise<void> {
    const body = w.finish();
    await this.ch.write(new Writer(body.length + 4).string(body).finish().slice());
  }

  private async next(): Promise<Reader> {
    for (;;) {
      if (this.buf.length >= 4) {
        const n = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(0);
        if (n > MAX_PACKET) throw new ProtocolError(`publickey subsystem: ${n}-byte packet exceeds ${MAX_PACKET}`, 'PUBLICKEY_PROTOCOL');
        if (this.buf.length >= 4 + n) {
          const body = this.buf.slice(4, 4 + n);
          this.buf = this.buf.slice(4 + n);
          return new Reader(body, 0, 'publickey packet');
        }
      }
      const c = await this.ch.read();
      if (c === null) throw new SshError('PUBLICKEY_PROTOCOL', 'publickey subsystem closed');
      this.buf = concatBytes(this.buf, c);
    }
  }

  private checkStatus(r: Reader): void {
    const code = r.u32('status code');
    const text = r.text('description');
    if (code !== 0) throw new PublicKeyStatusError(code, text);
  }

  private async status(): Promise<void> {
    const r = await this.next();
    if (r.ascii('request') !== 'status') throw new ProtocolError('publickey subsystem: expected a status reply', 'PUBLICKEY_PROTOCOL');
    this.checkStatus(r);
  }
}
