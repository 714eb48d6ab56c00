/**
 * Test helpers: make throw-away keys with the real ssh-keygen in a temp dir (never committed),
 * and bridge OpenSSH keys to node:crypto for independent cross-checks.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSH_KEYGEN = '/usr/bin/ssh-keygen';

export function keygen(args: string[], input?: string | Uint8Array): string {
  return execFileSync(SSH_KEYGEN, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'puressh-crypto-'));
  file(name: string): string {
    return join(this.path, name);
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface GeneratedKey {
  /** spec like "ecdsa-384" */
  name: string;
  path: string;
  comment: string;
  privateText: string;
  publicLine: string;
  /** the public key blob, decoded from the .pub file with node's Buffer (independent of our base64) */
  publicBlob: Uint8Array;
}

let serial = 0;

/** `ssh-keygen -t type [-b bits] -N passphrase -C comment -f dir/name` (a fresh file each call) */
export function generateKey(dir: TempDir, type: string, bits?: number, passphrase = '', extra: string[] = []): GeneratedKey {
  const name = bits ? `${type}-${bits}` : type;
  const path = dir.file(`id_${name}_${++serial}`);
  const comment = `puressh test ${name}`;
  keygen(['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', passphrase, '-C', comment, ...extra, '-f', path]);
  const publicLine = readFileSync(path + '.pub', 'utf8').trim();
  return {
    name,
    path,
    comment,
    privateText: readFileSync(path, 'utf8'),
    publicLine,
    publicBlob: new Uint8Array(Buffer.from(publicLine.split(' ')[1]!, 'base64')),
  };
}

/** `ssh-keygen -l [-E md5] -f key.pub` → [bits, fingerprint] */
export function keygenFingerprint(path: string, hash: 'sha256' | 'md5'): [number, string] {
  const out = keygen(['-l', '-E', hash, '-f', path + '.pub'])
    .trim()
    .split(' ');
  return [Number(out[0]), out[1]!];
}

/** Public key as node:crypto sees it, via `ssh-keygen -e -m PKCS8` (not for ed25519). */
export function nodePublicKey(key: GeneratedKey): KeyObject {
  if (key.name === 'ed25519') {
    // ssh-keygen cannot export ed25519 to PKCS8; the raw point is the last 32 bytes of the blob.
    const x = Buffer.from(key.publicBlob.subarray(key.publicBlob.length - 32)).toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  }
  return createPublicKey(keygen(['-e', '-m', 'PKCS8', '-f', key.path + '.pub']));
}

/** Private key as node:crypto sees it: a copy rewritten by `ssh-keygen -p -m PKCS8` (not for ed25519). */
export function nodePrivateKey(dir: TempDir, key: GeneratedKey): KeyObject {
  const copy = dir.file(`${key.name}.pkcs8`);
  copyFileSync(key.path, copy);
  keygen(['-q', '-p', '-m', 'PKCS8', '-P', '', '-N', '', '-f', copy]);
  return createPrivateKey(readFileSync(copy, 'utf8'));
}

/** OpenSSH public key line for a node KeyObject, converted by `ssh-keygen -i -m PKCS8`. */
export function keygenImport(dir: TempDir, key: KeyObject): string {
  const file = dir.file(`import-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, key.export({ type: 'spki', format: 'pem' }));
  return keygen(['-i', '-m', 'PKCS8', '-f', file]).trim();
}
