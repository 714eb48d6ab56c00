/**
 * sshd's log, as `sshd -e` writes it to stderr (OpenSSH log.c): one line per message, no
 * timestamp, debug messages prefixed "debugN: ", filtered by LogLevel (or -d / -q). Never
 * given secrets: callers log user names, addresses, methods and key fingerprints only.
 */

/** LogLevel values in increasing verbosity (sshd_config(5)); DEBUG is DEBUG1. */
const LEVELS = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG1', 'DEBUG2', 'DEBUG3'] as const;
export type LogLevelName = (typeof LEVELS)[number];

function rank(level: string): number {
  const l = level.toUpperCase() === 'DEBUG' ? 'DEBUG1' : level.toUpperCase();
  const i = LEVELS.indexOf(l as LogLevelName);
  return i < 0 ? LEVELS.indexOf('INFO') : i;
}

/** Whether a log at `level` writes messages of level `message`. */
export function logsAt(level: string, message: LogLevelName): boolean {
  return rank(message) <= rank(level);
}

/** A leveled logger writing sshd's stderr lines. */
export class SshdLog {
  private readonly max: number;

  constructor(
    level: string,
    private readonly write: (line: string) => void,
  ) {
    this.max = rank(level);
  }

  /**
   * The same output at another level: a connection's log once a Match block gives it its own
   * LogLevel (sshd calls log_change_level when it looks the user up, auth.c getpwnamallow).
   */
  atLevel(level: string): SshdLog {
    return new SshdLog(level, this.write);
  }

  /** Whether messages of `level` are written. */
  enabled(level: LogLevelName): boolean {
    return rank(level) <= this.max;
  }

  private emit(level: LogLevelName, text: string): void {
    if (!this.enabled(level)) return;
    // log.c strnvis()es messages: control characters from the network never reach the terminal raw.
    let safe = '';
    for (const ch of text) {
      const code = ch.charCodeAt(0);
      safe += code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, '0')}` : ch;
    }
    this.write(level.startsWith('DEBUG') ? `debug${level.slice(5)}: ${safe}` : safe);
  }

  fatal(text: string): void {
    this.emit('FATAL', text);
  }
  error(text: string): void {
    this.emit('ERROR', text);
  }
  info(text: string): void {
    this.emit('INFO', text);
  }
  verbose(text: string): void {
    this.emit('VERBOSE', text);
  }
  debug(text: string): void {
    this.emit('DEBUG1', text);
  }
  debug2(text: string): void {
    this.emit('DEBUG2', text);
  }
  debug3(text: string): void {
    this.emit('DEBUG3', text);
  }
}
