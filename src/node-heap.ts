/**
 * V8 heap settings a Node application may choose for itself (Node-only: node:v8). They set
 * V8 flags for the whole process: an application's decision (the CLI makes it for its own
 * process), never made by the library. Each yields to the operator's: a flag already given
 * in NODE_OPTIONS or node's own arguments is left alone.
 */
import { setFlagsFromString } from 'node:v8';

/** Whether the operator chose this V8 flag on node's command line or in NODE_OPTIONS. */
export function chosenByOperator(flag: string): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes(flag));
}

/**
 * Keep V8's young generation at its start-up size (`--semi-space-growth-factor=1`). Loading
 * code, connecting and each packet of a transfer leave survivors enough that V8 keeps
 * doubling the semi-spaces (1 → 4 MiB during the import of this library, 8 during a
 * transfer), while what a packet leaves is dead by the next scavenge either way. Measured,
 * at the same CPU time: a 512 MiB exec download through the library peaks at 63 MiB
 * resident instead of 67 (packets freed early); in the CLI, before packets were freed
 * early, a 512 MiB exec download at 84 MiB instead of 109, a 256 MiB sftp put at 75 instead
 * of 100 (medians of 6 interleaved runs). An application that allocates
 * much longer-lived data of its own may see more of it promoted, and more mark-compacts.
 * Effective from the next scavenge on; given on node's command line, the flag does not
 * hold back the growth (measured on Node 20), so call this at run time, early.
 */
export function keepYoungGenerationSmall(): void {
  if (!chosenByOperator('semi-space')) setFlagsFromString('--semi-space-growth-factor=1');
}
