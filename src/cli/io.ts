/**
 * What the CLI commands share: their standard streams, home directory, local user and
 * prompter (CliIo), and ssh's leveled log lines on stderr.
 */
import type { Readable, Writable } from 'node:stream';
import type { Prompter } from './prompt.js';
import type { LogLevel } from './settings.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  home: string;
  localUser: string;
  prompt: Prompter;
  version: string;
}

export interface Log {
  debug: (line: string) => void;
  info: (line: string) => void;
  error: (line: string) => void;
}

export function makeLog(stderr: Writable, settings: { logLevel: LogLevel }): Log {
  const level = settings.logLevel;
  const w = (line: string): void => void stderr.write(line + '\n');
  return {
    debug: (line) => level === 'DEBUG' && w(`debug1: ${line}`),
    info: (line) => (level === 'INFO' || level === 'VERBOSE' || level === 'DEBUG') && w(line),
    error: (line) => level !== 'QUIET' && w(line),
  };
}
