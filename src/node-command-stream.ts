/**
 * A ByteStream over a spawned command's stdin and stdout (Node-only: imports
 * node:child_process): what ssh's ProxyCommand connects through, e.g. `nc host port`,
 * `cloudflared access ssh --hostname host` or `aws ssm start-session ...`.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { ConnectionLostError } from './errors.js';
import type { ByteStream } from './transport/stream.js';

/** Bytes read from the command and not yet taken before its stdout is paused. */
const READ_HIGH_WATER = 4 * 1024 * 1024;

/** Options of {@link commandStream}. */
export interface CommandStreamOptions {
  /** what to do with the command's stderr: 'inherit' (default, as ssh does), 'ignore' or 'pipe' (then read it from `child`) */
  stderr?: 'inherit' | 'ignore' | 'pipe';
  /** the command's environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** called with the child process once spawned (e.g. to read a piped stderr) */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Spawn `file` with `args` (no shell: pass `['/bin/sh', '-c', line]` for one) and use its
 * stdin/stdout as the connection's byte stream. A command that cannot be started, or that
 * exits, ends the stream; close() ends its stdin and sends SIGHUP if it is still running (as
 * ssh does to its proxy command).
 */
export function commandStream(file: string, args: readonly string[] = [], options: CommandStreamOptions = {}): ByteStream {
  const stdio: StdioOptions = ['pipe', 'pipe', options.stderr ?? 'inherit'];
  const child = spawn(file, args, { stdio, env: options.env ?? process.env, cwd: options.cwd });
  options.onSpawn?.(child);
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const wakeUp = (): void => wake?.();
  stdout.on('data', (d: Buffer) => {
    chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    queued += d.byteLength;
    if (queued > READ_HIGH_WATER && !paused) {
      paused = true;
      stdout.pause();
    }
    wakeUp();
  });
  stdout.on('end', () => {
    ended = true;
    wakeUp();
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    failure ??= new ConnectionLostError(`proxy command ${file}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`, { cause: e });
    ended = true;
    wakeUp();
  });
  // Writing to a command that has exited raises EPIPE on stdin: the read side reports the end.
  stdin.on('error', (e) => {
    failure ??= new ConnectionLostError(`proxy command ${file}: ${e.message}`, { cause: e });
    wakeUp();
  });
  let closed = false;
  return {
    async read(): Promise<Uint8Array | null> {
      for (;;) {
        const c = chunks.shift();
        if (c) {
          queued -= c.byteLength;
          if (paused && queued < READ_HIGH_WATER / 4) {
            paused = false;
            stdout.resume();
          }
          return c;
        }
        if (ended) {
          if (failure) throw failure;
          return null;
        }
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = null;
            resolve();
          };
        });
      }
    },
    write(data: Uint8Array): Promise<void> | void {
      if (failure) throw failure;
      if (stdin.destroyed || stdin.writableEnded) throw new ConnectionLostError('proxy command: its input is closed');
      if (stdin.write(data)) return;
      return new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          stdin.off('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          stdin.off('drain', onDrain);
          reject(new ConnectionLostError('proxy command closed its input while writing'));
        };
        stdin.once('drain', onDrain);
        stdin.once('close', onClose);
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      stdin.end();
      stdout.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
    },
  };
}
