/**
 * Prompts for the CLI, as ssh asks them: on the controlling terminal (/dev/tty, never
 * stdin, which belongs to the remote command), or through $SSH_ASKPASS when
 * $SSH_ASKPASS_REQUIRE is "force" (or "prefer"). Answers are never logged.
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { readHiddenLine } from '../node-tty.js';

/** Ask a question; null when nobody can answer (no terminal, cancelled, askpass failed). */
export type Prompter = (prompt: string, echo: boolean) => Promise<string | null>;

export function makePrompter(env: NodeJS.ProcessEnv): Prompter {
  const askpass = env.SSH_ASKPASS;
  const mode = env.SSH_ASKPASS_REQUIRE;
  if (askpass && (mode === 'force' || mode === 'prefer')) return (prompt) => askpassPrompt(askpass, prompt);
  return ttyPrompt;
}

function askpassPrompt(program: string, prompt: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(program, [prompt], { encoding: 'utf8' }, (err, stdout) => {
      resolve(err ? null : stdout.replace(/\r?\n$/, ''));
    });
  });
}

async function ttyPrompt(prompt: string, echo: boolean): Promise<string | null> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return null;
  }
  const input = new ReadStream(fd);
  try {
    writeSync(fd, prompt);
    if (!echo) input.setRawMode(true);
    return await readLine(input, echo);
  } finally {
    if (!echo) {
      input.setRawMode(false);
      writeSync(fd, '\n');
    }
    input.destroy();
    try {
      closeSync(fd);
    } catch {
      /* the stream closed it */
    }
  }
}

/** A line from the terminal: as the terminal edited it, or (no echo, raw mode) as readHiddenLine edits it. */
async function readLine(input: ReadStream, echo: boolean): Promise<string | null> {
  if (!echo) return (await readHiddenLine(input)).line ?? null;
  return new Promise((resolve) => {
    let line = '';
    const finish = (v: string | null): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve(v);
    };
    const onEnd = (): void => finish(line !== '' ? line : null);
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(line);
        line += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}
