/**
 * V8 heap tuning for the `puressh` process itself (Node-only: node:v8), as OpenSSH's tools
 * tune their own allocator: the CLI is our process, the library's users keep V8's defaults.
 * Each setting yields to the operator's: a flag already given in NODE_OPTIONS or node's
 * own arguments is left alone.
 */
import { setFlagsFromString } from 'node:v8';

/** Whether the operator chose this V8 flag on node's command line or in NODE_OPTIONS. */
function chosenByOperator(flag: string): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes(flag));
}

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

/**
 * The client commands (ssh, sftp, scp, …): keep the young generation at its start-up size.
 * Loading a command and each packet of a transfer leave garbage whose scavenges survive well
 * enough that V8 keeps doubling the semi-spaces (16 MiB of new space after the import
 * alone), while what a packet leaves is dead by the next scavenge either way. Growth factor
 * 1 keeps them at their start-up size: peak RSS of a 512 MiB exec download 109 → 84 MiB,
 * of a 256 MiB sftp put 100 → 75 and get 158 → 141, at the same CPU time (medians of 6
 * interleaved runs). Set at run time, before the command's modules load:
 * --max-semi-space-size only counts when given at start-up, the growth factor is read at
 * each resize.
 */
export function keepYoungGenerationSmall(): void {
  if (!chosenByOperator('semi-space')) setFlagsFromString('--semi-space-growth-factor=1');
}
