/**
 * Pipelined reads and writes over one handle: up to `concurrency` requests in flight
 * (default: 64, or 4 MiB of data if fewer), results delivered in file order, memory
 * bounded by concurrency × chunk size.
 */
import { ProtocolError } from '../errors.js';

/** Most requests kept in flight by default. */
export const DEFAULT_CONCURRENCY = 64;
/**
 * Most data in flight by default: 4 MiB (16 requests of OpenSSH's 255 KiB; OpenSSH's sftp
 * keeps 64 × 32 KiB = 2 MiB). On loopback more does not go faster, it only holds memory:
 * replies that arrive while the consumer is busy wait in ours.
 */
export const DEFAULT_IN_FLIGHT_BYTES = 4 * 1024 * 1024;

/** Requests in flight: as asked, else 64 or 4 MiB worth of `chunkSize`, whichever is fewer (at least 2). */
export function requestsInFlight(chunkSize: number, asked?: number): number {
  if (asked !== undefined) return Math.max(1, Math.floor(asked));
  return Math.max(2, Math.min(DEFAULT_CONCURRENCY, Math.floor(DEFAULT_IN_FLIGHT_BYTES / Math.max(1, chunkSize))));
}

export interface ReadTarget {
  /** the data at `at` (possibly shorter than `length`, possibly in several pieces), or null at EOF */
  readChunk(length: number, at: number): Promise<Uint8Array | readonly Uint8Array[] | null>;
}

export interface WriteTarget {
  writeChunk(data: Uint8Array, at: number): Promise<void>;
}

interface PendingRead {
  at: number;
  len: number;
  p: Promise<Uint8Array | readonly Uint8Array[] | null>;
}

/**
 * Ordered chunks of [start, end) (end undefined: to EOF); a read that came in pieces is
 * yielded piece by piece. A short read is completed by a new request for the remainder
 * before anything later is delivered.
 */
export async function* readRange(
  file: ReadTarget,
  start: number,
  end: number | undefined,
  options: { chunkSize: number; concurrency?: number },
): AsyncGenerator<Uint8Array> {
  const chunkSize = options.chunkSize;
  const concurrency = requestsInFlight(chunkSize, options.concurrency);
  const queue: PendingRead[] = [];
  let next = start;
  let eof = false;
  const issue = (at: number, len: number): PendingRead => {
    const p = file.readChunk(len, at);
    // Awaited in order later; a rejection that comes first must not count as unhandled.
    p.catch(() => {});
    return { at, len, p };
  };
  // Without a known end, start with one request and double on every full read (a small
  // file then costs a request or two, not `concurrency` reads past its end).
  let window = end === undefined ? 1 : concurrency;
  const topUp = (): void => {
    while (!eof && queue.length < window && (end === undefined || next < end)) {
      const len = end === undefined ? chunkSize : Math.min(chunkSize, end - next);
      queue.push(issue(next, len));
      next += len;
    }
  };
  try {
    topUp();
    while (queue.length > 0) {
      const head = queue[0]!;
      const data = await head.p;
      queue.shift();
      const got = data === null ? 0 : byteLength(data);
      if (got === 0) {
        eof = true;
        return;
      }
      if (got > head.len) throw new ProtocolError(`SFTP READ of ${head.len} bytes returned ${got}`, 'SFTP_PROTOCOL');
      if (got < head.len) queue.unshift(issue(head.at + got, head.len - got));
      else window = Math.min(concurrency, window * 2);
      // Ask for more before handing this over, so the server never waits on our consumer.
      topUp();
      if (data instanceof Uint8Array) yield data;
      else for (const piece of data!) yield piece;
    }
  } finally {
    // Requests still in flight are abandoned (their outcome was already marked handled).
    queue.length = 0;
  }
}

function byteLength(data: Uint8Array | readonly Uint8Array[]): number {
  if (data instanceof Uint8Array) return data.length;
  let n = 0;
  for (const d of data) n += d.length;
  return n;
}

/**
 * Write a stream of chunks at increasing offsets from `position`, coalesced or split into
 * `chunkSize` requests. Resolves with the byte count once every write is acknowledged;
 * the first failure stops sending and is thrown.
 */
export async function writeChunks(
  file: WriteTarget,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  position: number,
  options: { chunkSize: number; concurrency?: number; onProgress?: (bytes: number) => void },
): Promise<number> {
  const { chunkSize, onProgress } = options;
  const concurrency = requestsInFlight(chunkSize, options.concurrency);
  const inflight: Promise<void>[] = [];
  let failure: unknown = null;
  let at = position;
  let acked = 0;
  let carry: Uint8Array | null = null;
  let carryLen = 0;

  const send = async (piece: Uint8Array): Promise<void> => {
    if (failure) throw failure;
    if (inflight.length >= concurrency) await inflight.shift();
    if (failure) throw failure;
    const n = piece.length;
    const p = file.writeChunk(piece, at).then(
      () => {
        acked += n;
        onProgress?.(acked);
      },
      (e: unknown) => {
        failure ??= e;
        throw e;
      },
    );
    p.catch(() => {});
    inflight.push(p);
    at += n;
  };

  try {
    for await (const chunk of source) {
      let off = 0;
      if (carryLen > 0) {
        const take = Math.min(chunkSize - carryLen, chunk.length);
        carry!.set(chunk.subarray(0, take), carryLen);
        carryLen += take;
        off = take;
        if (carryLen < chunkSize) continue;
        await send(carry!.subarray(0, carryLen));
        carry = null;
        carryLen = 0;
      }
      while (chunk.length - off >= chunkSize) {
        await send(chunk.subarray(off, off + chunkSize));
        off += chunkSize;
      }
      if (off < chunk.length) {
        carry = new Uint8Array(chunkSize);
        carry.set(chunk.subarray(off));
        carryLen = chunk.length - off;
      }
    }
    if (carryLen > 0) await send(carry!.subarray(0, carryLen));
    await Promise.all(inflight.splice(0));
  } catch (e) {
    await Promise.allSettled(inflight.splice(0));
    throw failure ?? e;
  }
  return acked;
}
