/**
 * The byte stream the core runs over (STYLE R11). Node sockets, child-process stdio and
 * in-memory pipes are adapted to this; the core never touches `node:*` itself.
 */
export interface ByteStream {
  /** Next chunk of bytes, or null at end of stream. Rejects if the stream failed. */
  read(): Promise<Uint8Array | null>;
  /** Queue bytes for sending. Resolves when the stream can take more (backpressure). */
  write(data: Uint8Array): Promise<void> | void;
  /** Close the stream (both directions). Idempotent. */
  close(): void;
}
