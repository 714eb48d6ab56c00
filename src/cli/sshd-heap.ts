/**
 * V8 heap tuning for `puressh sshd` (Node-only: node:v8).
 *
 * A bulk download allocates little on the JS heap but a buffer per packet outside it
 * (node:crypto's AES-GCM output, the child's output chunks). Once a mark-compact happens
 * under that load, V8's heap controller sees fast marking and slow old-generation growth
 * and picks its smallest growing factor (1.1): the next limit is then reached again within
 * ~100 ms, and a 256 MiB download ran 20-30 mark-compacts (a third of the server's CPU)
 * where runs that kept the startup factor ran 2. Pinning the factor at V8's own maximum (4)
 * keeps the limit where startup put it; an idle server's old generation is ~13 MB.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's largest heap growing factor, as the percentage its --heap-growing-percent takes. */
const GROWING_PERCENT = 300;

/** Apply the tuning, unless the operator chose a factor in NODE_OPTIONS or node's own arguments. */
export function tuneHeapForBulkTransfer(): void {
  const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent'));
  if (!chosen) setFlagsFromString(`--heap-growing-percent=${GROWING_PERCENT}`);
}
