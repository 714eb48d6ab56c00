/**
 * Freeing consumed packets at once on Node 20 (Node-only: node:v8, node:vm). See
 * ./wire/free.ts: where a reader releases what it consumed (Channel.release, the SFTP
 * download, the CLI), each packet's buffer is freed then instead of at the next garbage
 * collection. That needs ES2024's ArrayBuffer.prototype.transfer, built into Node 22 and
 * later, Deno, Bun and browsers; Node 20's V8 (11.3) has it only behind a flag.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useTransfer } from './wire/free.js';

/**
 * Turn on V8's `--harmony-rab-gsab-transfer` where ArrayBuffer.prototype.transfer is not
 * built in (Node 20); says whether it had to. An application that sets it before loading
 * its code keeps its code cache valid: V8 tags cached code with a hash of the flags.
 */
export function setTransferFlag(): boolean {
  if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function') return false;
  setFlagsFromString('--harmony-rab-gsab-transfer');
  return true;
}

/**
 * On Node 20, turn on V8's `--harmony-rab-gsab-transfer` for this process and use its
 * ArrayBuffer.prototype.transfer to free released packets; elsewhere nothing is needed and
 * this does nothing. The function is taken, at the first free, from a new realm (builtins
 * are installed with the flags of the moment a realm is made): this realm's ArrayBuffer is
 * left as it was. It sets a V8 flag for the whole process: for applications (the CLI calls
 * it), not for libraries built on this one.
 */
export function enableEarlyFree(): void {
  if (!setTransferFlag()) return;
  useTransfer(() => {
    const transfer: unknown = runInNewContext('ArrayBuffer.prototype.transfer');
    return typeof transfer === 'function' ? (transfer as (this: ArrayBuffer, newLength?: number) => ArrayBuffer) : undefined;
  });
}
