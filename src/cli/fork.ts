/**
 * `-f` / ForkAfterAuthentication: go to the background once authenticated (and once the
 * forwardings are up), as ssh does. Node cannot fork, so the foreground process starts the
 * same command line again as a child with a pipe on file descriptor 3; the child connects,
 * asks for passwords on the terminal like the foreground would, and writes one line on the
 * pipe when it is ready. The foreground process then exits 0 and leaves the child running;
 * if the child ends first (a failure it has already printed), the foreground exits with its
 * status.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';

/** Set in the child's environment: the descriptor of the pipe back to the foreground process. */
const READY_FD_ENV = 'PURESSH_FORK_READY_FD';
const READY = 'ready\n';

/** In the background child: the way to tell the foreground it may exit; null in any other process. */
export function backgroundChild(): { ready: () => void } | null {
  const fd = Number(process.env[READY_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return null;
  // not handed on to the remote side (SendEnv) or to commands we run (ProxyCommand)
  delete process.env[READY_FD_ENV];
  let done = false;
  return {
    ready() {
      if (done) return;
      done = true;
      try {
        writeSync(fd, READY);
        closeSync(fd);
      } catch {
        // the foreground process is gone: nobody to tell
      }
      // ssh's daemon() leaves the terminal's session: here, outlive its hangup
      process.on('SIGHUP', () => {});
    },
  };
}

/**
 * In the foreground: run `puressh <argv>` (the same entry script and Node options) as the
 * background child, stdin from /dev/null (-f implies -n), stdout and stderr shared, and
 * resolve with 0 once it is ready or with its exit status if it ends before.
 */
export function runInBackground(argv: readonly string[]): Promise<number> {
  const script = process.argv[1];
  if (script === undefined) return Promise.resolve(255);
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [READY_FD_ENV]: '3' },
  });
  return new Promise((resolve) => {
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    let got = '';
    let settled = false;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      resolve(code);
    };
    pipe.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.startsWith(READY)) {
        child.unref();
        (pipe as unknown as { destroy(): void }).destroy();
        finish(0);
      }
    });
    pipe.on('error', () => {});
    child.on('error', () => finish(255));
    child.on('exit', (code) => finish(code ?? 255));
  });
}
