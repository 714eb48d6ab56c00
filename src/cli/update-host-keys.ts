/**
 * ssh's UpdateHostKeys: after authentication OpenSSH's sshd lists all its host keys
 * (hostkeys-00@openssh.com, OpenSSH PROTOCOL §2.5); keys known_hosts lacks are proven by
 * the server (hostkeys-prove-00) and only then appended to the user's known_hosts.
 */
import type { SshClient } from '../client.js';
import { keyLabel } from './host-key.js';
import { lookupKnownHosts } from './known-hosts.js';
import type { SshSettings } from './settings.js';
import { equalConstantTime } from '../wire/bytes.js';
import { addKnownHost } from '../knownhosts/file.js';

interface UpdateLog {
  debug(line: string): void;
}

export async function updateKnownHostKeys(client: SshClient, settings: SshSettings, log: UpdateLog): Promise<number> {
  const offered = await client.hostKeyUpdates.received;
  const name = settings.knownHostsName;
  const known = lookupKnownHosts([...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles], name).filter((k) => k.marker === null);
  const fresh = offered.filter((k) => !known.some((e) => equalConstantTime(e.blob, k.blob)));
  for (const k of fresh) log.debug(`Learned new hostkey: ${keyLabel(k.type)} ${k.fingerprint}`);
  const file = settings.userKnownHostsFiles[0];
  if (fresh.length === 0 || !file) return 0;
  const proven = await client.hostKeyUpdates.prove(fresh);
  for (const k of proven) {
    await addKnownHost(file, name, 0, k.blob, { hashed: settings.hashKnownHosts });
    log.debug(`Adding new key for ${name} to ${file}: ${k.type} ${k.fingerprint}`);
  }
  return proven.length;
}

/** Run the update beside the session; at the end wait for it at most `graceMs` (a server may never announce keys). */
export function startHostKeyUpdate(client: SshClient, settings: SshSettings, log: UpdateLog): (graceMs?: number) => Promise<void> {
  if (!settings.updateHostKeys) return async () => {};
  const task = updateKnownHostKeys(client, settings, log).catch((e: unknown) => {
    log.debug(`UpdateHostKeys: ${(e as Error).message}`);
    return 0;
  });
  return async (graceMs = 2000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([task, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  };
}
