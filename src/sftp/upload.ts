/**
 * Upload from a local file with SSH_FXP_WRITE requests built in place: each request's
 * packet buffer has the header room at its front and the file is read straight into the
 * rest, so the data is copied once on our side before the channel takes it (into its
 * CHANNEL_DATA message). A small pool of such buffers is recycled as the channel sends
 * them, local reads run ahead of the network, and many requests stay unacknowledged at once
 * (filexfer-02 §3 allows any number) while memory stays bounded by the pool.
 */
import { Deferred } from '../async.js';
import { SshError } from '../errors.js';
import { Writer } from '../wire/writer.js';
import { FXP } from './constants.js';
import { expectOk, type SftpEngine } from './engine.js';
import type { LocalFile } from './local.js';
import type { SftpPath } from './names.js';
import { requestsInFlight } from './pipeline.js';

/** Bytes of file data read ahead (in request-sized buffers) by default. */
export const DEFAULT_READ_AHEAD = 2 * 1024 * 1024;

export interface UploadTarget {
  engine: SftpEngine;
  handle: Uint8Array;
  path: SftpPath;
}

/** Options of {@link SftpFile.writeFromFile}. */
export interface UploadOptions {
  /** file bytes per WRITE request (the server's max-write-length) */
  chunkSize: number;
  /** WRITE requests unacknowledged at once (default: 64, or 4 MiB of data if fewer) */
  concurrency?: number;
  /** bytes of the local file read ahead of the network (default 2 MiB; at least two requests) */
  readAhead?: number;
  /** the local file's name, for error messages */
  source?: string;
  /** called as writes are acknowledged, with the bytes acknowledged so far */
  onProgress?: (bytes: number) => void;
}

/** Local bytes read in one call: one request's worth, or (with readv) this much at most. */
const READ_GROUP_BYTES = 1024 * 1024;

/**
 * Read into `views`, back to back from `at`, in one call (readv when there are several and
 * the file has it), turning a failure into a typed error. Resolves with the bytes read.
 */
async function localRead(input: LocalFile, views: Uint8Array[], at: number, source: string | undefined): Promise<number> {
  try {
    return views.length === 1 ? await input.read(views[0]!, at) : await input.readv!(views, at);
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SshError('FILE', `local read${source === undefined ? '' : ` ${source}`}: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
  }
}

/** SSH_FXP_WRITE's fields up to the data (filexfer-02 §6.4), behind the 4-byte length. */
function writeHeader(handle: Uint8Array, at: number, length: number): Uint8Array {
  // The id is a placeholder: SftpEngine.sendFramed writes it.
  return new Writer(32 + handle.length, 4).u8(FXP.WRITE).u32(0).string(handle).u64(at).u32(length).finish(true);
}

interface Read {
  at: number;
  len: number;
  buf: Uint8Array;
  /** bytes read into this request's data */
  n: Promise<number>;
  /** whether it starts its read call (a 0 there is the end of the file; later in a readv, a gap) */
  first: boolean;
}

/**
 * Write bytes [start, end) of `input` to the remote file at the same offsets, in order.
 * Resolves with the bytes acknowledged. The local file may shrink meanwhile: a read of 0
 * bytes ends the upload there (a short read is continued from where it stopped). The first
 * failure stops sending and is thrown once the requests already sent have settled.
 */
export async function uploadFrom(target: UploadTarget, input: LocalFile, start: number, end: number, o: UploadOptions): Promise<number> {
  const { engine, handle, path } = target;
  const ctx = { request: 'WRITE', path };
  const chunkSize = Math.max(1, Math.floor(o.chunkSize));
  const concurrency = requestsInFlight(chunkSize, o.concurrency);
  const buffers = Math.max(2, Math.floor((o.readAhead ?? DEFAULT_READ_AHEAD) / chunkSize));
  const headLength = writeHeader(handle, 0, 0).length;
  const free: Uint8Array[] = [];
  let allocated = 0;
  /** packets handed to the channel and not yet sent (their buffers come back when they are) */
  let inChannel = 0;
  let bufferFreed: Deferred<void> | null = null;
  const reads: Read[] = [];
  const replies: Promise<void>[] = [];
  let next = start;
  /** where reading stops: `end`, or sooner if the local file turns out shorter */
  let limit = end;
  let acked = 0;
  let failure: unknown = null;

  const release = (buf: Uint8Array): void => {
    free.push(buf);
    const w = bufferFreed;
    bufferFreed = null;
    w?.resolve();
  };
  // Requests whose data one local read call fills: a readv over several saves thread-pool
  // round trips (each wakes a thread that competes with us and sshd for the two cores).
  const group = input.readv ? Math.max(1, Math.min(Math.floor(buffers / 2), Math.floor(READ_GROUP_BYTES / chunkSize))) : 1;
  // Start reads while buffers are free: each fills the data part of future packets.
  const fill = (): void => {
    while (next < limit && failure === null) {
      const available = free.length + buffers - allocated;
      const want = Math.min(group, Math.ceil((limit - next) / chunkSize));
      // Wait for a whole group of buffers while the network has that much work ahead of it.
      if (available === 0 || (available < want && reads.length + inChannel >= want)) return;
      const count = Math.min(want, available);
      const from = next;
      const views: Uint8Array[] = [];
      const members: Omit<Read, 'n'>[] = [];
      for (let i = 0; i < count; i++) {
        const buf = free.pop() ?? (allocated++, new Uint8Array(headLength + chunkSize));
        const len = Math.min(chunkSize, limit - next);
        views.push(buf.subarray(headLength, headLength + len));
        members.push({ at: next, len, buf, first: i === 0 });
        next += len;
      }
      const total = localRead(input, views, from, o.source);
      for (const m of members) {
        // This request's share of what the call read.
        const n = total.then((t) => Math.max(0, Math.min(m.len, t - (m.at - from))));
        n.catch(() => {});
        reads.push({ ...m, n });
      }
    }
  };
  // Reads started past a gap (after a short read) are dropped once they settle.
  const dropReads = async (): Promise<void> => {
    const dropped = reads.splice(0);
    await Promise.allSettled(dropped.map((r) => r.n));
    for (const r of dropped) release(r.buf);
  };

  try {
    fill();
    while (failure === null && (reads.length > 0 || next < limit)) {
      if (reads.length === 0) {
        // Every buffer is still with the channel: wait for one to come back.
        bufferFreed ??= new Deferred<void>();
        await bufferFreed.promise;
        fill();
        continue;
      }
      const r = reads.shift()!;
      const n = await r.n;
      if (n === 0 && !r.first) {
        // A readv that stopped at a request boundary: go on from there with a new read.
        next = r.at;
        release(r.buf);
        await dropReads();
        fill();
        continue;
      }
      if (n === 0) {
        // The file ended early: send what there was.
        limit = next = r.at;
        release(r.buf);
        await dropReads();
        break;
      }
      if (n < r.len) {
        // Reads already started lie past a gap: drop them and go on from here.
        next = r.at + n;
        await dropReads();
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the reply handlers set failure during the awaits
      while (replies.length >= concurrency && failure === null) await replies.shift();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the reply handlers set failure during the awaits
      if (failure !== null) {
        release(r.buf);
        break;
      }
      const packet = r.buf.subarray(0, headLength + n);
      packet.set(writeHeader(handle, r.at, n));
      // filexfer-02 §3: the length field counts the bytes after itself.
      new DataView(packet.buffer, packet.byteOffset, 4).setUint32(0, packet.length - 4);
      const { written, reply } = engine.sendFramed(packet, ctx);
      inChannel++;
      void written.then(() => {
        inChannel--;
        release(r.buf);
        fill();
      });
      replies.push(
        reply
          .then((res) => {
            expectOk(res, ctx);
            acked += n;
            o.onProgress?.(acked);
          })
          .catch((e: unknown) => {
            failure ??= e;
          }),
      );
      fill();
    }
    await Promise.all(replies.splice(0));
  } catch (e) {
    // A failed local read: no more reads start (buffers coming back from the channel call fill()).
    failure ??= e;
  } finally {
    await Promise.allSettled([...replies.splice(0), ...reads.map((r) => r.n)]);
  }
  if (failure !== null) throw failure;
  return acked;
}
