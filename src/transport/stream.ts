/**
 * The byte stream the core runs over. Node sockets, child-process stdio and
 * in-memory pipes are adapted to this; the core never touches `node:*` itself.
 */
export interface ByteStream {
  /** Next chunk of bytes, or null at end of stream. Rejects if the stream failed. */
  read(): Promise<Uint8Array | null>;
  /**
   * Queue bytes for sending. Resolves when the stream can take more (backpressure).
   * `owned`: the caller hands `data` over and keeps no view of it (the transport does with
   * each encrypted packet), so the stream may free its memory once it is written
   * (../wire/free.ts). A stream is free to ignore it.
   */
  write(data: Uint8Array, owned?: boolean): Promise<void> | void;
  /**
   * Optional: the reader is done with `chunk` (a value read() returned, or a part of one)
   * and kept no view of it, so the stream may reuse its memory for later reads.
   */
  release?(chunk: Uint8Array): void;
  /** Close the stream (both directions). Idempotent. */
  close(): void;
}
