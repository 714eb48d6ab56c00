/**
 * Test helpers for the kex layer: an in-memory KexConn pair, a scripted peer, a seeded
 * random source, fixed magics, a fake host key, and SSH encoders written independently
 * of src/wire (so known-answer tests do not reuse the code under test).
 */
import { createHash } from 'node:crypto';
import type { HostKeySigner, KexConn, KexMagics, RandomSource } from '../../../src/kex/types.js';

/** A one-way packet queue. */
class Queue {
  private items: Uint8Array[] = [];
  private waiters: ((p: Uint8Array) => void)[] = [];
  push(p: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) w(p);
    else this.items.push(p);
  }
  pop(): Promise<Uint8Array> {
    const p = this.items.shift();
    if (p) return Promise.resolve(p);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface MemPair {
  client: KexConn;
  server: KexConn;
  /** every packet each side sent, in order (copies) */
  clientSent: Uint8Array[];
  serverSent: Uint8Array[];
}

/** Two KexConns wired back to back. `mutate` may rewrite server→client packets. */
export function memKexPair(mutate?: (p: Uint8Array, index: number) => Uint8Array): MemPair {
  const toServer = new Queue();
  const toClient = new Queue();
  const clientSent: Uint8Array[] = [];
  const serverSent: Uint8Array[] = [];
  return {
    clientSent,
    serverSent,
    client: {
      send(p) {
        clientSent.push(p.slice());
        toServer.push(p.slice());
      },
      receive: () => toClient.pop(),
    },
    server: {
      send(p) {
        const idx = serverSent.length;
        serverSent.push(p.slice());
        toClient.push(mutate ? mutate(p.slice(), idx) : p.slice());
      },
      receive: () => toServer.pop(),
    },
  };
}

/**
 * A KexConn whose peer is a script: `respond(sent, index)` is called for every packet we
 * send and returns the packets the peer answers with.
 */
export function scriptedConn(respond: (sent: Uint8Array, index: number) => Uint8Array[]): {
  conn: KexConn;
  sent: Uint8Array[];
} {
  const inbox = new Queue();
  const sent: Uint8Array[] = [];
  return {
    sent,
    conn: {
      send(p) {
        const copy = p.slice();
        sent.push(copy);
        for (const r of respond(copy, sent.length - 1)) inbox.push(r);
      },
      receive: () => inbox.pop(),
    },
  };
}

/** Deterministic random source: SHA-256(seed ‖ counter) blocks. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      const take = Math.min(block.length, n - off);
      out.set(block.subarray(0, take), off);
      off += take;
    }
    return out;
  };
}

export const MAGICS: KexMagics = Object.freeze({
  clientVersion: 'SSH-2.0-puressh_test',
  serverVersion: 'SSH-2.0-OpenSSH_9.6',
  clientKexInit: Uint8Array.from([20, ...Array.from({ length: 40 }, (_, i) => i)]),
  serverKexInit: Uint8Array.from([20, ...Array.from({ length: 33 }, (_, i) => 255 - i)]),
});

/** A fake host key: the blob names ssh-ed25519; the "signature" is string "test-sig" ‖ string H. */
export const HOST_KEY: HostKeySigner = {
  blob: cat(sshString('ssh-ed25519'), sshString(new Uint8Array(32).fill(0x42))),
  sign: (data) => cat(sshString('test-sig'), sshString(data)),
};

// ---- independent SSH encoders ------------------------------------------------------

export function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return new Uint8Array(b);
}

export function sshString(v: Uint8Array | string): Uint8Array {
  const b = typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v;
  return cat(u32(b.length), b);
}

/** mpint of a non-negative integer given as bigint or unsigned big-endian bytes. */
export function sshMpint(v: bigint | Uint8Array): Uint8Array {
  let hex = typeof v === 'bigint' ? v.toString(16) : Buffer.from(v).toString('hex');
  hex = hex.replace(/^(00)+/, '');
  if (hex === '0' || hex === '') return u32(0);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = '00' + hex;
  return sshString(new Uint8Array(Buffer.from(hex, 'hex')));
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

/** Independent H: hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ fields ‖ K) with node:crypto. */
export function expectedH(algo: string, hostKey: Uint8Array, fields: Uint8Array, K: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash(algo)
      .update(sshString(MAGICS.clientVersion))
      .update(sshString(MAGICS.serverVersion))
      .update(sshString(MAGICS.clientKexInit))
      .update(sshString(MAGICS.serverKexInit))
      .update(sshString(hostKey))
      .update(fields)
      .update(K)
      .digest(),
  );
}

/** A tiny reader for parsing what the code under test sent. */
export class TestReader {
  off = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    return this.b[this.off++]!;
  }
  u32(): number {
    const v = Buffer.from(this.b.buffer, this.b.byteOffset + this.off, 4).readUInt32BE(0);
    this.off += 4;
    return v;
  }
  string(): Uint8Array {
    const n = this.u32();
    const s = this.b.slice(this.off, this.off + n);
    this.off += n;
    return s;
  }
  mpint(): bigint {
    return toBig(this.string());
  }
  done(): boolean {
    return this.off === this.b.length;
  }
}

/** A KexConn that receives the given packets in order and records what is sent. */
export function queuedConn(packets: Uint8Array[]): { conn: KexConn; sent: Uint8Array[] } {
  const inbox = [...packets];
  const sent: Uint8Array[] = [];
  return {
    sent,
    conn: {
      send(p) {
        sent.push(p.slice());
      },
      async receive() {
        const p = inbox.shift();
        if (!p) throw new Error('test peer has no more packets');
        return p;
      },
    },
  };
}

/** Unsigned big-endian bytes of a non-negative bigint. */
export function bigBytes(v: bigint): Buffer {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return Buffer.from(h, 'hex');
}
