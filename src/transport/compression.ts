/**
 * Payload compression (RFC 4253 §6.2). `zlib` starts right after NEWKEYS; `zlib@openssh.com`
 * is the same stream started only after user authentication succeeds (OpenSSH PROTOCOL §1.4):
 * the transport decides when to switch a direction on; this module only provides the streams.
 *
 * One deflate stream per direction for the whole connection: every packet is compressed
 * with Z_SYNC_FLUSH, so its bytes end on a byte boundary and the history carries over.
 * Decompressed output is bounded per packet, so a "zip bomb" fails with a ZLIB error
 * instead of exhausting memory.
 *
 * @example
 * ```ts
 * const tx = createCompressor();
 * const rx = createDecompressor(PACKET_MAX_SIZE);
 * rx.decompress(tx.compress(payload)); // equals payload
 * ```
 */
import { Deflate, Inflate, constants } from 'pako';
import { ProtocolError, SshError } from '../errors.js';
import { concatBytes } from '../wire/writer.js';

export interface CompressionAlgorithm {
  /** wire name */
  readonly name: string;
  /** false only for "none" */
  readonly compresses: boolean;
  /** true when compression starts after user authentication, not at NEWKEYS */
  readonly delayed: boolean;
}

/** Every compression method we implement, by wire name. */
export const COMPRESSIONS: ReadonlyMap<string, CompressionAlgorithm> = new Map(
  [
    { name: 'none', compresses: false, delayed: false },
    { name: 'zlib@openssh.com', compresses: true, delayed: true },
    { name: 'zlib', compresses: true, delayed: false },
  ].map((c) => [c.name, Object.freeze(c)]),
);

/** Offered by default, as OpenSSH does with Compression=no. */
export const DEFAULT_COMPRESSIONS: readonly string[] = Object.freeze(['none', 'zlib@openssh.com']);

/** Everything a user may enable (Compression=yes puts the zlib methods first). */
export const SUPPORTED_COMPRESSIONS: readonly string[] = Object.freeze(['none', 'zlib@openssh.com', 'zlib']);

export interface Compressor {
  /** Compress one payload; the output depends on every payload compressed before it. */
  compress(payload: Uint8Array): Uint8Array;
}

export interface Decompressor {
  /** Decompress one packet's data. Throws a ZLIB SshError on corrupt data or too much output. */
  decompress(data: Uint8Array): Uint8Array;
}

type Level = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return concatBytes(...parts);
}

/** The sending stream: zlib format (RFC 1950), Z_SYNC_FLUSH after every payload. */
export function createCompressor(level: Level = 6): Compressor {
  const deflate = new Deflate({ level });
  let out: Uint8Array[] = [];
  deflate.onData = (chunk) => {
    out.push(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk));
  };
  let failed = false;
  return {
    compress(payload: Uint8Array): Uint8Array {
      if (failed) throw new SshError('COMPRESS', 'compression stream failed earlier');
      out = [];
      const ok = deflate.push(payload, constants.Z_SYNC_FLUSH);
      if (!ok || deflate.err !== constants.Z_OK) {
        failed = true;
        throw new SshError('COMPRESS', `deflate failed: ${deflate.msg || 'unknown error'}`);
      }
      const result = join(out);
      out = [];
      return result;
    },
  };
}

class OutputLimit extends Error {}

/**
 * The receiving stream. `maxOutput` bounds the bytes one call may produce (OpenSSH allows a
 * decompressed packet up to PACKET_MAX_SIZE); beyond it the call throws and the stream is dead.
 */
export function createDecompressor(maxOutput: number): Decompressor {
  if (!Number.isInteger(maxOutput) || maxOutput <= 0) {
    throw new SshError('INVAL', 'createDecompressor: maxOutput must be a positive integer');
  }
  // A chunk size near the limit keeps the overshoot (one chunk) small.
  const inflate = new Inflate({ chunkSize: Math.min(65536, Math.max(1024, maxOutput)) });
  let out: Uint8Array[] = [];
  let total = 0;
  inflate.onData = (chunk) => {
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
    total += bytes.length;
    if (total > maxOutput) throw new OutputLimit();
    out.push(bytes);
  };
  let ended = false;
  const baseOnEnd = inflate.onEnd.bind(inflate);
  inflate.onEnd = (status) => {
    ended = true;
    baseOnEnd(status);
  };
  let failure: SshError | null = null;
  const fail = (message: string): never => {
    failure = new ProtocolError(message, 'ZLIB');
    out = [];
    throw failure;
  };
  return {
    decompress(data: Uint8Array): Uint8Array {
      if (failure) throw failure;
      out = [];
      total = 0;
      let ok: boolean;
      try {
        ok = inflate.push(data, constants.Z_SYNC_FLUSH);
      } catch (e) {
        if (e instanceof OutputLimit) return fail(`decompressed packet exceeds ${maxOutput} bytes`);
        return fail('inflate failed');
      }
      // RFC 4253 §6.2: the stream never ends during a connection; an end marker is an error too.
      if (!ok || ended || (inflate.err !== constants.Z_OK && inflate.err !== constants.Z_BUF_ERROR)) {
        return fail(`inflate failed: ${inflate.msg || (ended ? 'stream ended' : 'corrupt data')}`);
      }
      const result = join(out);
      out = [];
      return result;
    },
  };
}
