/**
 * A tiny test-only SSH server over an in-memory pipe, built from our own codec and the
 * server side of our kex (curve25519-sha256, ssh-ed25519 host key). It completes the
 * handshake, accepts "none" authentication, and then hands the raw connection-layer
 * packets to the test script, which can send anything, well-formed or not.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { SshClient, type ClientOptions } from '../../src/client.js';
import { memoryStreamPair } from '../../src/server/memory-pair.js';
import { deriveAll } from '../../src/kex/derive-keys.js';
import { KEX_ALGORITHMS } from '../../src/kex/index.js';
import type { HostKeySigner, KexConn } from '../../src/kex/types.js';
import { keySizes } from '../../src/transport/cipher/index.js';
import { createCompressor, createDecompressor, type Compressor, type Decompressor } from '../../src/transport/compression.js';
import { PacketDecoder, PacketEncoder } from '../../src/transport/codec.js';
import { decodeKexInit, encodeKexInit } from '../../src/transport/negotiate.js';
import type { ByteStream } from '../../src/transport/stream.js';
import { MSG } from '../../src/wire/constants.js';
import { Reader } from '../../src/wire/reader.js';
import { concatBytes, Writer } from '../../src/wire/writer.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Two ByteStreams joined back to back (the library's own in-memory pair). Closing either end ends both directions. */
export const memPipe = memoryStreamPair;

/** An ed25519 host key for the fake server. */
export function ed25519HostKey(seed: Uint8Array = rng(32)): HostKeySigner & { seed: Uint8Array } {
  const pub = ed25519.getPublicKey(seed);
  return {
    seed,
    blob: new Writer().string('ssh-ed25519').string(pub).finish().slice(),
    sign: (data) => new Writer().string('ssh-ed25519').string(ed25519.sign(data, seed)).finish().slice(),
  };
}

export interface FakeServer {
  /** H of the key exchange */
  sessionId: Uint8Array;
  hostKey: HostKeySigner;
  /** send a connection-layer payload to the client */
  send(payload: Uint8Array): void;
  /** next packet from the client (IGNORE skipped); null once the client closed the stream */
  receive(): Promise<Uint8Array | null>;
  /** next packet of one of the given types, skipping others */
  expect(...types: number[]): Promise<Uint8Array>;
  /** every packet received so far, in order */
  readonly received: Uint8Array[];
  /** end the byte stream (the client sees the connection drop) */
  close(): void;
}

/** Start a fake server on `stream`; resolves once the client has authenticated. */
/** How the fake server opens the key exchange (it always runs curve25519-sha256). */
export interface FakeKexOptions {
  /** its kex list (default: curve25519-sha256 alone) */
  kex?: string[];
  /** a guessed kex packet to send right after KEXINIT, with first_kex_packet_follows set */
  guess?: Uint8Array;
  /** offer only zlib@openssh.com: both directions compress from USERAUTH_SUCCESS on */
  delayedCompression?: boolean;
  /** payloads sent in the same write as USERAUTH_SUCCESS (so the client reads them in one chunk) */
  afterSuccess?: Uint8Array[];
}

export async function serve(stream: ByteStream, hostKey: HostKeySigner, kexOptions: FakeKexOptions = {}): Promise<FakeServer> {
  const version = 'SSH-2.0-FakeSSH_1.0';
  void stream.write(new TextEncoder().encode(version + '\r\n'));
  const enc = new PacketEncoder(rng);
  const dec = new PacketDecoder();
  const packets: Uint8Array[] = [];
  const received: Uint8Array[] = [];
  let waiter: (() => void) | null = null;
  let ended = false;

  // Read the client's identification line, then packets.
  let clientVersion: string;
  let buf = new Uint8Array(0);
  for (;;) {
    const c = await stream.read();
    if (c === null) throw new Error('client closed before its version line');
    const joined = new Uint8Array(buf.length + c.length);
    joined.set(buf);
    joined.set(c, buf.length);
    buf = joined;
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) {
      clientVersion = new TextDecoder().decode(buf.subarray(0, nl)).replace(/\r$/, '');
      dec.push(buf.subarray(nl + 1));
      break;
    }
  }
  // Decoding pauses after the client's NEWKEYS until the new keys are installed.
  let keyed = false;
  let paused = false;
  const pump = (): void => {
    if (!paused) {
      for (let p = dec.next(); p; p = dec.next()) {
        packets.push(p);
        if (p[0] === MSG.NEWKEYS && !keyed) {
          paused = true;
          break;
        }
      }
    }
    const w = waiter;
    waiter = null;
    w?.();
  };
  pump();
  void (async () => {
    try {
      for (;;) {
        const c = await stream.read();
        if (c === null) break;
        dec.push(c);
        pump();
      }
    } catch {
      // the test closed the pipe
    }
    ended = true;
    pump();
  })();
  const next = async (): Promise<Uint8Array | null> => {
    for (;;) {
      const p = packets.shift();
      if (p) return p;
      if (ended) return null;
      await new Promise<void>((r) => (waiter = r));
    }
  };
  const nextRequired = async (): Promise<Uint8Array> => {
    const p = await next();
    if (!p) throw new Error('client closed the connection during the handshake');
    return p;
  };
  const sendPlain = (p: Uint8Array): void => {
    void stream.write(enc.encode(p));
  };

  // Key exchange: offer exactly what the client prefers first, so the client's choice wins.
  const clientKexInit = await nextRequired();
  if (clientKexInit[0] !== MSG.KEXINIT) throw new Error('expected the client KEXINIT');
  const theirs = decodeKexInit(clientKexInit);
  const serverKexInit = encodeKexInit({
    cookie: rng(16),
    kex: kexOptions.kex ?? ['curve25519-sha256'],
    hostKey: ['ssh-ed25519'],
    cipherCS: [theirs.cipherCS[0]!],
    cipherSC: [theirs.cipherSC[0]!],
    macCS: theirs.macCS.length ? [theirs.macCS[0]!] : [],
    macSC: theirs.macSC.length ? [theirs.macSC[0]!] : [],
    compressionCS: [kexOptions.delayedCompression ? 'zlib@openssh.com' : 'none'],
    compressionSC: [kexOptions.delayedCompression ? 'zlib@openssh.com' : 'none'],
    languagesCS: [],
    languagesSC: [],
    firstKexPacketFollows: kexOptions.guess !== undefined,
  });
  sendPlain(serverKexInit);
  if (kexOptions.guess) sendPlain(kexOptions.guess);
  const kex = KEX_ALGORITHMS.get('curve25519-sha256')!;
  const conn: KexConn = { send: (p) => sendPlain(p), receive: () => nextRequired() };
  const result = await kex.server(conn, { clientVersion, serverVersion: version, clientKexInit, serverKexInit }, hostKey, rng);
  const cipherCS = theirs.cipherCS[0]!;
  const cipherSC = theirs.cipherSC[0]!;
  const macCS = theirs.macCS[0] ?? '';
  const macSC = theirs.macSC[0] ?? '';
  const k = deriveAll(kex.hash, result.K, result.H, result.H, keySizes(cipherCS, macCS), keySizes(cipherSC, macSC));
  sendPlain(new Uint8Array([MSG.NEWKEYS]));
  enc.setKeys({ cipher: cipherSC, mac: macSC, key: k.keySC, iv: k.ivSC, macKey: k.macSC });
  const newkeys = await nextRequired();
  if (newkeys[0] !== MSG.NEWKEYS) throw new Error(`expected NEWKEYS, got ${newkeys[0]}`);
  dec.setKeys({ cipher: cipherCS, mac: macCS, key: k.keyCS, iv: k.ivCS, macKey: k.macCS });
  keyed = true;
  paused = false;
  pump();

  let compressor: Compressor | null = null;
  let decompressor: Decompressor | null = null;
  const encode = (p: Uint8Array): Uint8Array => enc.encode(compressor ? compressor.compress(p) : p).slice();
  const send = (p: Uint8Array): void => {
    void stream.write(encode(p));
  };
  const service = await nextRequired();
  if (service[0] !== MSG.SERVICE_REQUEST) throw new Error(`expected SERVICE_REQUEST, got ${service[0]}`);
  send(new Writer().u8(MSG.SERVICE_ACCEPT).string('ssh-userauth').finish().slice());
  const auth = await nextRequired();
  if (auth[0] !== MSG.USERAUTH_REQUEST) throw new Error(`expected USERAUTH_REQUEST, got ${auth[0]}`);
  const success = encode(new Uint8Array([MSG.USERAUTH_SUCCESS]));
  if (kexOptions.delayedCompression) {
    compressor = createCompressor();
    decompressor = createDecompressor(256 * 1024);
  }
  void stream.write(concatBytes(success, ...(kexOptions.afterSuccess ?? []).map(encode)));

  const receive = async (): Promise<Uint8Array | null> => {
    for (;;) {
      const raw = await next();
      const p = raw && decompressor ? decompressor.decompress(raw) : raw;
      if (p && p[0] === MSG.IGNORE) continue;
      if (p) received.push(p);
      return p;
    }
  };
  return {
    sessionId: result.H,
    hostKey,
    send,
    receive,
    received,
    async expect(...types: number[]): Promise<Uint8Array> {
      for (;;) {
        const p = await receive();
        if (!p) throw new Error(`connection closed while waiting for message ${types.join('/')}`);
        if (types.includes(p[0]!)) return p;
      }
    },
    close: () => stream.close(),
  };
}

/** Connect a real SshClient to a fresh fake server over a memory pipe. */
export async function fakePair(
  options: Partial<ClientOptions> = {},
  hostKey: HostKeySigner = ed25519HostKey(),
  kexOptions?: FakeKexOptions,
): Promise<{ client: SshClient; server: FakeServer }> {
  const [clientSide, serverSide] = memPipe();
  const serverP = serve(serverSide, hostKey, kexOptions);
  const clientP = SshClient.connect(clientSide, { username: 'tester', hostKeyVerifier: () => true, ...options });
  const [client, server] = await Promise.all([clientP, serverP]);
  return { client, server };
}

// ---- message builders for test scripts (written with the Writer, as a server would) ----

export const msg = {
  openConfirmation(recipient: number, sender: number, window: number, maxPacket: number): Uint8Array {
    return new Writer().u8(MSG.CHANNEL_OPEN_CONFIRMATION).u32(recipient).u32(sender).u32(window).u32(maxPacket).finish().slice();
  },
  openFailure(recipient: number, reason: number, description: string): Uint8Array {
    return new Writer().u8(MSG.CHANNEL_OPEN_FAILURE).u32(recipient).u32(reason).string(description).string('').finish().slice();
  },
  channelOpen(type: string, sender: number, window: number, maxPacket: number, extra: (w: Writer) => void = () => {}): Uint8Array {
    const w = new Writer().u8(MSG.CHANNEL_OPEN).string(type).u32(sender).u32(window).u32(maxPacket);
    extra(w);
    return w.finish().slice();
  },
  data(recipient: number, data: Uint8Array): Uint8Array {
    return new Writer().u8(MSG.CHANNEL_DATA).u32(recipient).string(data).finish().slice();
  },
  extendedData(recipient: number, type: number, data: Uint8Array): Uint8Array {
    return new Writer().u8(MSG.CHANNEL_EXTENDED_DATA).u32(recipient).u32(type).string(data).finish().slice();
  },
  windowAdjust(recipient: number, bytes: number): Uint8Array {
    return new Writer().u8(MSG.CHANNEL_WINDOW_ADJUST).u32(recipient).u32(bytes).finish().slice();
  },
  simple(type: number, recipient: number): Uint8Array {
    return new Writer().u8(type).u32(recipient).finish().slice();
  },
  channelRequest(recipient: number, type: string, wantReply: boolean, body: (w: Writer) => void = () => {}): Uint8Array {
    const w = new Writer().u8(MSG.CHANNEL_REQUEST).u32(recipient).string(type).bool(wantReply);
    body(w);
    return w.finish().slice();
  },
  globalRequest(name: string, wantReply: boolean, body: (w: Writer) => void = () => {}): Uint8Array {
    const w = new Writer().u8(MSG.GLOBAL_REQUEST).string(name).bool(wantReply);
    body(w);
    return w.finish().slice();
  },
};

/** Decoded CHANNEL_OPEN from the client. */
export function parseOpen(p: Uint8Array): { type: string; sender: number; window: number; maxPacket: number; extra: Reader } {
  const r = new Reader(p, 1);
  return { type: r.ascii(), sender: r.u32(), window: r.u32(), maxPacket: r.u32(), extra: r };
}

/** Decoded CHANNEL_REQUEST from the client. */
export function parseChannelRequest(p: Uint8Array): { recipient: number; type: string; wantReply: boolean; body: Reader } {
  const r = new Reader(p, 1);
  return { recipient: r.u32(), type: r.ascii(), wantReply: r.bool(), body: r };
}

/** Decoded DISCONNECT from the client. */
export function parseDisconnect(p: Uint8Array): { reason: number; description: string } {
  const r = new Reader(p, 1);
  return { reason: r.u32(), description: r.text() };
}
