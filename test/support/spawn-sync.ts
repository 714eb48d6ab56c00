/**
 * spawnSync for children that run TypeScript through `node --import tsx`, with a time limit.
 *
 * A synchronous spawn blocks the test process's event loop, so mocha's own timeout cannot
 * fire while the child runs: a child that never ends would stop the whole run. And on Node 20
 * such a child very rarely never starts: `--import tsx` registers module hooks that run on a
 * thread of their own, and the main thread, blocked on a futex waiting for that thread, can
 * wait forever (seen once in a CI run: 12 minutes idle, no CPU time used). So the child gets
 * `timeoutMs`; one that hits it is run once more, and a second time-out fails the test with
 * the command in the message. A child that ends, whatever its status, is never rerun.
 */
import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';

export function spawnSyncWithTimeout(file: string, args: string[], options: SpawnSyncOptionsWithStringEncoding, timeoutMs = 60_000): SpawnSyncReturns<string> {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(file, args, { ...options, timeout: timeoutMs, killSignal: 'SIGKILL' });
    const timedOut = r.error !== undefined && 'code' in r.error && r.error.code === 'ETIMEDOUT';
    if (!timedOut) {
      if (r.error) throw r.error;
      return r;
    }
    if (attempt === 2) throw new Error(`${file} ${args.join(' ')}: still running after ${timeoutMs} ms, twice`);
  }
}

/** execFileSync's use: stdout of a child that must exit 0. */
export function execFileSyncWithTimeout(file: string, args: string[], options: SpawnSyncOptionsWithStringEncoding, timeoutMs?: number): string {
  const r = spawnSyncWithTimeout(file, args, options, timeoutMs);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return r.stdout;
}
