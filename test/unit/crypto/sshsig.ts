/**
 * Test-only SSHSIG wrapper (OpenSSH PROTOCOL.sshsig), so `ssh-keygen -Y sign/verify`
 * can check our verifier and signer against OpenSSH itself.
 */
import { createHash } from 'node:crypto';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';

const MAGIC = new TextEncoder().encode('SSHSIG');

export interface SshSig {
  publicKey: Uint8Array;
  namespace: string;
  hashAlgorithm: string;
  /** the inner signature blob: string algorithm, string signature */
  signature: Uint8Array;
}

/** Parse "-----BEGIN SSH SIGNATURE-----" armor (decoded with node's Buffer). */
export function parseSshSig(armored: string): SshSig {
  const body = armored.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const r = new Reader(new Uint8Array(Buffer.from(body, 'base64')));
  const magic = r.raw(6);
  if (Buffer.compare(Buffer.from(magic), Buffer.from(MAGIC)) !== 0) throw new Error('not SSHSIG');
  if (r.u32() !== 1) throw new Error('SSHSIG version');
  const publicKey = r.string().slice();
  const namespace = r.ascii();
  r.string(); // reserved
  const hashAlgorithm = r.ascii();
  const signature = r.string().slice();
  r.end();
  return { publicKey, namespace, hashAlgorithm, signature };
}

/** The bytes an SSHSIG signature covers. */
export function sshSigSignedData(message: Uint8Array, namespace: string, hashAlgorithm = 'sha512'): Uint8Array {
  const h = createHash(hashAlgorithm).update(message).digest();
  return new Writer().raw(MAGIC).string(namespace).string('').string(hashAlgorithm).string(h).finish().slice();
}

/** Armor an SSHSIG around a signature blob we made. */
export function armorSshSig(publicKey: Uint8Array, namespace: string, signature: Uint8Array, hashAlgorithm = 'sha512'): string {
  const body = new Writer().raw(MAGIC).u32(1).string(publicKey).string(namespace).string('').string(hashAlgorithm).string(signature).finish();
  const b64 = Buffer.from(body).toString('base64');
  return `-----BEGIN SSH SIGNATURE-----\n${b64.replace(/.{1,70}/g, '$&\n')}-----END SSH SIGNATURE-----\n`;
}
