/**
 * known_hosts files on disk (Node-only: imports node:fs). A new entry is appended, as ssh
 * does; a whole database is written back atomically: the new text goes to a temporary file
 * in the same directory, is flushed to disk, then renamed over the old one, so a crash
 * leaves either the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { HostKeyInfo } from '../crypto/keys/types.js';
import { SshError } from '../errors.js';
import { type AddOptions, type KeyLike, KnownHosts } from './db.js';
import { hostKeyVerifier, type HostKeyPolicyOptions } from './policy.js';

/** Read a known_hosts file; a missing file is an empty database. */
export async function loadKnownHosts(path: string): Promise<KnownHosts> {
  try {
    return KnownHosts.parse(await fs.readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return KnownHosts.empty();
    throw new SshError('KNOWN_HOSTS', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Replace the file's content atomically (temp file + fsync + rename), keeping its mode
 * (new files get 0644, as ssh creates them) and creating the directory (0700) if needed.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  let mode = 0o644;
  try {
    mode = (await fs.stat(path)).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.chmod(mode); // exactly the old mode, whatever the umask
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable.
  const d = await fs.open(dir, 'r').catch(() => null);
  if (d)
    await d
      .sync()
      .catch(() => {})
      .finally(() => d.close());
}

/** Write a database back to `path` atomically. */
export async function saveKnownHosts(path: string, db: KnownHosts): Promise<void> {
  try {
    await writeFileAtomic(path, db.toString());
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SshError('KNOWN_HOSTS', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Add one entry for host:port (port 0 or 22: the bare name) by appending one whole line, as
 * ssh does (hostfile.c `add_host_to_hostfile`): a single O_APPEND write keeps the lines of
 * concurrent writers intact, where a read-modify-write would drop one of them. A file that
 * does not end in a newline gets one first. Creates the file (mode 0666 less the umask, as
 * ssh's fopen) and its directory (0700) if needed. Returns the line written.
 */
export async function addKnownHost(path: string, host: string, port: number, key: KeyLike, options: AddOptions = {}): Promise<string> {
  const line = KnownHosts.empty().add(host, port, key, options).raw;
  try {
    await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await fs.open(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o666);
    try {
      const { size } = await handle.stat();
      const last = new Uint8Array(1);
      const sep = size > 0 && (await handle.read(last, 0, 1, size - 1)).bytesRead === 1 && last[0] !== 0x0a ? '\n' : '';
      await handle.write(`${sep}${line}\n`);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new SshError('KNOWN_HOSTS', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  return line;
}

/**
 * A hostKeyVerifier over a known_hosts file: read afresh at each connection, accepted keys
 * (ask, tofu) appended to `path`, with every other line kept byte for byte.
 * @example connect({ host, username, hostKeyVerifier: fileHostKeyVerifier('/home/me/.ssh/known_hosts', { host, policy: 'tofu' }) })
 */
export function fileHostKeyVerifier(
  path: string,
  options: Omit<HostKeyPolicyOptions, 'knownHosts' | 'load' | 'save'>,
): (info: HostKeyInfo) => Promise<boolean> {
  return hostKeyVerifier({
    ...options,
    load: () => loadKnownHosts(path),
    save: async (_db, added) => {
      await addKnownHost(path, added.host, added.port, added.info.blob, { ...options.add });
    },
  });
}
