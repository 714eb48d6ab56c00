/**
 * A throwaway OpenSSH ssh-agent on its own socket (`ssh-agent -D -a SOCK`), plus `ssh-add`
 * run against it. Missing ssh-agent → an Error naming the package to install (tests FAIL).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestAgent {
  socket: string;
  /** run ssh-add with SSH_AUTH_SOCK set; resolves stdout (rejects on a non-zero exit unless allowed) */
  sshAdd(args: string[], opts?: { allowFailure?: boolean; input?: string }): Promise<{ stdout: string; stderr: string; code: number }>;
  stop(): Promise<void>;
}

export async function startAgent(): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'puressh-agent-'));
  const socket = join(dir, 'agent.sock');
  let child: ChildProcess;
  try {
    child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    throw new Error('ssh-agent missing: apt-get install -y openssh-client');
  }
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    child.once('error', () => reject(new Error('ssh-agent missing: apt-get install -y openssh-client')));
    child.once('exit', (code) => reject(new Error(`ssh-agent exited (${code})`)));
    const poll = () => {
      if (existsSync(socket)) return resolve();
      if (Date.now() - started > 10_000) return reject(new Error('ssh-agent did not create its socket'));
      setTimeout(poll, 20);
    };
    poll();
  });
  child.removeAllListeners('exit');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    socket,
    sshAdd(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const p = execFile(
          'ssh-add',
          args,
          { env: { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: '', DISPLAY: '' }, encoding: 'utf8' },
          (err, stdout, stderr) => {
            const code = err ? ((err as { code?: number }).code ?? 1) : 0;
            if (err && !opts.allowFailure) reject(new Error(`ssh-add ${args.join(' ')} failed (${code}): ${stderr}`));
            else resolve({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
          },
        );
        if (opts.input !== undefined) p.stdin?.end(opts.input);
        else p.stdin?.end();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
