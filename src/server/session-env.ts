/**
 * The environment sshd gives a session (OpenSSH session.c do_setup_env, with UsePAM no and no
 * login.conf, as Debian builds it): the client's accepted variables first, then sshd's own,
 * which replace any of the same name, then SetEnv from the configuration, then the SSH_*
 * variables that describe the connection, which nothing overrides.
 */

/** Debian's `--with-default-path` (sshd's PATH for users other than root). */
export const USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/games';
/** Debian's `--with-superuser-path` (sshd's PATH for uid 0). */
export const SUPERUSER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** glibc's _PATH_MAILDIR: MAIL is this directory and the user name. */
export const MAIL_DIR = '/var/mail';

/** Name/value pairs, in order; a record is taken in its key order. */
export type EnvList = Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;

/** The addresses and ports of the connection a session belongs to. */
export interface SessionConnection {
  clientAddr: string;
  clientPort: number;
  serverAddr: string;
  serverPort: number;
}

export interface SessionEnvInput {
  user: { name: string; uid: number; home: string };
  /** the login shell that will run the session (an empty password-database field already made /bin/sh) */
  shell: string;
  /** variables the client sent and AcceptEnv allowed (env requests, in arrival order) */
  clientEnv?: EnvList;
  /** SetEnv from the configuration */
  setEnv?: EnvList;
  /** TERM from the pty-req, when there is a pty */
  term?: string | null;
  /** the pty's path (/dev/pts/N), when there is one */
  tty?: string | null;
  connection: SessionConnection;
  /** the forwarded agent's socket (SSH_AUTH_SOCK) */
  authSocketPath?: string;
  /** the client's command when ForceCommand replaced it (SSH_ORIGINAL_COMMAND) */
  originalCommand?: string;
  /** the server's TZ, passed on when set (sshd copies its own) */
  tz?: string;
}

function pairs(list: EnvList | undefined): (readonly [string, string])[] {
  if (!list) return [];
  return Array.isArray(list) ? [...(list as ReadonlyArray<readonly [string, string]>)] : Object.entries(list as Record<string, string>);
}

/** The session's environment as ordered pairs (a variable set twice keeps its first place, as child_set_env does). */
export function sessionEnvironment(input: SessionEnvInput): [string, string][] {
  const env = new Map<string, string>();
  const set = (name: string, value: string): void => {
    // child_set_env refuses a name containing '='; NUL cannot reach a process at all.
    if (name === '' || name.includes('=') || name.includes('\0') || value.includes('\0')) return;
    env.set(name, value);
  };
  for (const [k, v] of pairs(input.clientEnv)) set(k, v);
  const { user, connection: c } = input;
  set('USER', user.name);
  set('LOGNAME', user.name);
  set('HOME', user.home);
  set('PATH', user.uid === 0 ? SUPERUSER_PATH : USER_PATH);
  set('MAIL', `${MAIL_DIR}/${user.name}`);
  set('SHELL', input.shell);
  if (input.tz) set('TZ', input.tz);
  if (input.term) set('TERM', input.term);
  if (input.authSocketPath !== undefined) set('SSH_AUTH_SOCK', input.authSocketPath);
  for (const [k, v] of pairs(input.setEnv)) set(k, v);
  set('SSH_CLIENT', `${c.clientAddr} ${c.clientPort} ${c.serverPort}`);
  set('SSH_CONNECTION', `${c.clientAddr} ${c.clientPort} ${c.serverAddr} ${c.serverPort}`);
  if (input.tty) set('SSH_TTY', input.tty);
  if (input.originalCommand !== undefined) set('SSH_ORIGINAL_COMMAND', input.originalCommand);
  return [...env];
}
