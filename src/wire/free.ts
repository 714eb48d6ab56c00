/**
 * Giving a buffer's memory back at once instead of at the next garbage collection.
 *
 * A bulk transfer over node:crypto decrypts every packet into a new buffer (and encrypts
 * into one): 512 MiB is 16 000 buffers of 32 KiB that V8 frees only when a collection finds
 * them dead, so tens of MiB of dead plaintext sit in memory between collections. Where the
 * code that ends up holding such a buffer alone knows it is done with it (the bytes are
 * written out), it frees it here: ES2024's `ArrayBuffer.prototype.transfer(0)` detaches the
 * buffer and drops its bytes.
 *
 * Only a buffer nobody else can see may be freed: every view of it reads as empty
 * afterwards. Callers free buffers they made or were handed as theirs alone, never one a
 * user of the library was given.
 */

type Transfer = (this: ArrayBuffer, newLength?: number) => ArrayBuffer;

/** The runtime's own (Node 22+, Deno, Bun, browsers), or one installed by useTransfer. */
let transfer: Transfer | undefined = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;
let findTransfer: (() => Transfer | undefined) | null = null;

/**
 * Use `find()`'s transfer function where the runtime has none in this realm (Node 20 has
 * one only behind a V8 flag, in realms created after it is set). `find` runs at the first
 * free, so a process that never frees pays nothing for it.
 */
export function useTransfer(find: () => Transfer | undefined): void {
  if (transfer) return;
  findTransfer = find;
}

/**
 * Free the memory of the ArrayBuffer `view` lies in, if the runtime can. The caller holds the
 * only references to that buffer (see the module comment). A no-op for a SharedArrayBuffer,
 * a detached buffer, or where the runtime cannot transfer.
 */
export function freeBuffer(view: Uint8Array): void {
  if (!transfer) {
    if (!findTransfer) return;
    const find = findTransfer;
    findTransfer = null;
    transfer = find();
    if (!transfer) return;
  }
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  transfer.call(buffer, 0);
}

/**
 * Free `b`'s memory if `b` spans its whole ArrayBuffer: a buffer made for it alone (as
 * node:crypto's outputs are), never a slice of a shared pool such as Node's for small
 * Buffers. For values nobody else holds that come from a library's allocator.
 */
export function freeWholeBuffer(b: Uint8Array): void {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) freeBuffer(b);
}
