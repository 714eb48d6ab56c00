/**
 * Host key rotation (OpenSSH PROTOCOL §2.5): after authentication the server lists all its
 * host keys in a hostkeys-00@openssh.com global request; the client may ask it to prove
 * possession of some of them with hostkeys-prove-00@openssh.com, then update known_hosts
 * (ssh's UpdateHostKeys). This module collects the list and checks the proofs; what to
 * do with proven keys is the caller's decision.
 */
import { Deferred } from '../async.js';
import { HostKeyError, KeyError, ProtocolError, SshError } from '../errors.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { parsePublicKeyBlob, verifySignature } from '../crypto/keys/index.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import type { OperationOptions } from './abort.js';
import type { Connection } from './connection.js';

export const HOSTKEYS_REQUEST = 'hostkeys-00@openssh.com';
export const HOSTKEYS_PROVE_REQUEST = 'hostkeys-prove-00@openssh.com';

/** One host key the server announced after authentication (hostkeys-00@openssh.com). */
export interface ServerHostKey {
  /** key type, e.g. "ssh-ed25519" */
  type: string;
  /** SSH wire blob */
  blob: Uint8Array;
  /** "SHA256:<base64>" */
  fingerprint: string;
}

const RSA_SIG_ALGS = new Set(['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512']);

/**
 * The server's host keys announced after authentication (OpenSSH PROTOCOL §2.5), and
 * the hostkeys-prove-00@openssh.com request that proves the server holds them.
 */
export class HostKeyUpdates {
  private list: ServerHostKey[] | null = null;
  private readonly announced = new Deferred<readonly ServerHostKey[]>();

  constructor(
    private readonly conn: Connection,
    private readonly sessionId: Uint8Array,
    /** the host key algorithm negotiated in the key exchange, e.g. "rsa-sha2-512" */
    private readonly kexHostKeyAlgorithm: string,
    private readonly debug?: (line: string) => void,
  ) {
    conn.globalHandlers.set(HOSTKEYS_REQUEST, (body) => {
      try {
        this.onHostKeys(body);
        return true;
      } catch (e) {
        // A bad announcement is ignored (as ssh does), not a reason to drop the connection.
        this.debug?.(`ignoring hostkeys-00 announcement: ${(e as Error).message}`);
        return false;
      }
    });
    void conn.done.then((err) => {
      if (!this.announced.settled) this.announced.reject(err);
    });
  }

  /** The keys the server announced, or null if it has not (yet). */
  get keys(): readonly ServerHostKey[] | null {
    return this.list;
  }

  /** Resolves when the server announces its keys (OpenSSH does right after authentication). */
  get received(): Promise<readonly ServerHostKey[]> {
    return this.announced.promise;
  }

  private onHostKeys(body: Reader): void {
    const keys: ServerHostKey[] = [];
    const seen = new Set<string>();
    while (body.remaining > 0) {
      const blob = body.string('host key').slice();
      let type: string;
      try {
        type = parsePublicKeyBlob(blob).type;
      } catch (e) {
        // OpenSSH PROTOCOL §2.5: a client skips key types it does not support.
        if (e instanceof KeyError && e.code === 'ALGO_UNSUPPORTED') {
          this.debug?.('hostkeys-00: skipping a key of unsupported type');
          continue;
        }
        throw new ProtocolError('hostkeys-00@openssh.com: malformed host key');
      }
      const fingerprint = fingerprintSHA256(blob);
      if (seen.has(fingerprint)) throw new ProtocolError(`hostkeys-00@openssh.com: key ${fingerprint} listed twice`);
      seen.add(fingerprint);
      keys.push({ type, blob, fingerprint });
    }
    this.list = keys;
    this.debug?.(`server announced ${keys.length} host keys`);
    if (!this.announced.settled) this.announced.resolve(keys);
  }

  /**
   * Ask the server to prove it holds the private halves of `keys` (default: every announced
   * key). Resolves with the keys whose signatures verified; throws HostKeyError if any
   * signature is wrong (OpenSSH then ignores the whole update), SshError if refused.
   */
  async prove(keys?: readonly ServerHostKey[], options?: OperationOptions): Promise<ServerHostKey[]> {
    const want = keys ?? this.list ?? (await this.received);
    if (want.length === 0) return [];
    const w = new Writer(1024);
    for (const k of want) w.string(k.blob);
    const reply = await this.conn.globalRequest(HOSTKEYS_PROVE_REQUEST, true, w.finish().slice(), options);
    if (reply === null) throw new SshError('REQUEST_DENIED', 'the server refused to prove its host keys');
    const r = new Reader(reply, 0, 'hostkeys-prove reply');
    const proven: ServerHostKey[] = [];
    for (const k of want) {
      const sig = r.string('signature');
      if (!this.verify(k, sig)) throw new HostKeyError('signature', `server gave a bad signature for its ${k.type} key ${k.fingerprint}`);
      proven.push(k);
    }
    r.end();
    return proven;
  }

  private verify(k: ServerHostKey, sig: Uint8Array): boolean {
    // Signed data: string "hostkeys-prove-00@openssh.com", string session id, string host key.
    const data = new Writer(256).string(HOSTKEYS_PROVE_REQUEST).string(this.sessionId).string(k.blob).finish().slice();
    let alg: string;
    try {
      alg = new Reader(sig, 0, 'signature').ascii('signature algorithm');
    } catch {
      return false;
    }
    if (k.type === 'ssh-rsa') {
      if (!RSA_SIG_ALGS.has(alg)) return false;
      // As OpenSSH checks: an RSA proof must use the RSA algorithm negotiated in the kex, if any.
      if (RSA_SIG_ALGS.has(this.kexHostKeyAlgorithm) && alg !== this.kexHostKeyAlgorithm) return false;
    }
    try {
      return verifySignature(k.blob, alg, data, sig);
    } catch {
      return false;
    }
  }
}
