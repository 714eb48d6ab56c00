/**
 * known_hosts files on disk (Node-only: imports node:fs). Writes are atomic: the new text
 * goes to a temporary file in the same directory, is flushed to disk, then renamed over the
 * old one, so a crash leaves either the old file or the new one, never a mix.
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
  if (d) await d.sync().catch(() => {}).finally(() => d.close());
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
 * Add one entry: re-read the file (another process may have changed it), append, write back
 * atomically. Returns the line written.
 */
export async function addKnownHost(path: string, host: string, port: number, key: KeyLike, options: AddOptions = {}): Promise<string> {
  const db = await loadKnownHosts(path);
  const line = db.add(host, port, key, options);
  await saveKnownHosts(path, db);
  return line.raw;
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
