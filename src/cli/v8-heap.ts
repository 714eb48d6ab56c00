/**
 * V8 heap tuning for `puressh sshd`'s own process (Node-only: node:v8), as OpenSSH's tools
 * tune their own allocator; the client commands keep their young generation small
 * (../node-heap.ts). A flag the operator already gave in NODE_OPTIONS or node's own
 * arguments is left alone.
 */
import { setFlagsFromString } from 'node:v8';
import { chosenByOperator } from '../node-heap.js';

/** V8's largest heap growing factor, as the percentage its --heap-growing-percent takes. */
const GROWING_PERCENT = 300;

/**
 * `puressh sshd`: a bulk download allocates little on the JS heap but a buffer per packet
 * outside it (node:crypto's AES-GCM output, the child's output chunks). Once a mark-compact
 * happens under that load, V8's heap controller sees fast marking and slow old-generation
 * growth and picks its smallest growing factor (1.1): the next limit is then reached again
 * within ~100 ms, and a 256 MiB download ran 20-30 mark-compacts (a third of the server's
 * CPU) where runs that kept the startup factor ran 2. Pinning the factor at V8's own
 * maximum (4) keeps the limit where startup put it; an idle server's old generation is ~13 MB.
 */
export function tuneHeapForBulkTransfer(): void {
  if (!chosenByOperator('heap-growing-percent')) setFlagsFromString(`--heap-growing-percent=${GROWING_PERCENT}`);
}
