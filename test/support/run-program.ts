/**
 * A real peer's program run to its end with its output collected, stdin fed from `input`
 * (empty: EOF at once). A program that cannot start fails with the command that installs it.
 */
import { spawn } from 'node:child_process';

export interface ProgramOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** how to install the program, for the error when it is missing */
  install: string;
}

export interface ProgramResult<Out = string> {
  code: number | null;
  stdout: Out;
  stderr: string;
}

/** Run `cmd`; stdout as bytes. */
export function runProgramBytes(cmd: string, args: string[], opts: ProgramOptions): Promise<ProgramResult<Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`${cmd} missing (${e.message}): ${opts.install}`)));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Run `cmd`; stdout as UTF-8 text. */
export async function runProgram(cmd: string, args: string[], opts: ProgramOptions): Promise<ProgramResult> {
  const r = await runProgramBytes(cmd, args, opts);
  return { ...r, stdout: r.stdout.toString() };
}
