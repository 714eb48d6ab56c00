/**
 * Helpers for the key-format tests: run ssh-keygen / openssl / puttygen in a temp dir, and
 * check a parsed key independently — its signatures verified by node:crypto and by
 * `ssh-keygen -Y verify`, its public blob compared with what the generating tool reports.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { PrivateKey } from '../../../src/crypto/keys/index.js';
import { KeyError, type ErrorCode } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { TempDir } from './keygen.js';
import { armorSshSig, sshSigSignedData } from './sshsig.js';

export { TempDir };

/** Run a tool; returns stdout as text. Throws (with stderr) on failure. */
export function run(cmd: string, args: string[], opts: { input?: string | Uint8Array } = {}): string {
  return execFileSync(cmd, args, { input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Run a tool; returns stdout as bytes. */
export function runBytes(cmd: string, args: string[]): Uint8Array {
  return new Uint8Array(execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** The key blob of an OpenSSH public key line, decoded with node's Buffer (independent of our base64). */
export function lineBlob(line: string): Uint8Array {
  return new Uint8Array(Buffer.from(line.trim().split(/\s+/)[1]!, 'base64'));
}

/** Base64 of a blob with node's Buffer. */
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** `ssh-keygen -y -f path [-P pass]`: the public key OpenSSH derives from a private key file. */
export function keygenPublicBlob(path: string, passphrase?: string): Uint8Array {
  return lineBlob(run('ssh-keygen', ['-y', ...(passphrase !== undefined ? ['-P', passphrase] : []), '-f', path]));
}

/**
 * node:crypto's view of an OpenSSH public key line: converted by `ssh-keygen -e -m PKCS8`,
 * or, for ed25519 (which ssh-keygen cannot export), as a JWK built from the raw point.
 */
export function nodePublicKeyFromLine(dir: TempDir, line: string): KeyObject {
  const blob = lineBlob(line);
  if (line.startsWith('ssh-ed25519 ')) {
    const x = Buffer.from(blob.subarray(blob.length - 32)).toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  }
  const file = dir.file(`node-${b64(blob.subarray(-12)).replace(/[^A-Za-z0-9]/g, '')}.pub`);
  writeFileSync(file, line);
  return createPublicKey(run('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', file]));
}

/** Expect `fn` to throw a KeyError with `code` (and a message matching `message`). */
export function expectKeyError(fn: () => unknown, code: ErrorCode, message?: RegExp): KeyError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a KeyError').to.be.instanceOf(KeyError);
  const ke = err as KeyError;
  expect(ke.code, ke.message).to.equal(code);
  if (message) expect(ke.message).to.match(message);
  return ke;
}

const NODE_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'rsa-sha2-512': 'sha512',
  'rsa-sha2-256': 'sha256',
  'ssh-rsa': 'sha1',
  'ssh-dss': 'sha1',
};
const ECDSA_SIZE: Record<string, number> = { 'ecdsa-sha2-nistp256': 32, 'ecdsa-sha2-nistp384': 48, 'ecdsa-sha2-nistp521': 66 };

/** Our SSH signature blob in the form node:crypto.verify takes (raw, PKCS#1 v1.5, or IEEE P1363 r‖s). */
function nodeSignature(alg: string, sigBlob: Uint8Array): Uint8Array {
  const r = new Reader(sigBlob);
  expect(r.ascii()).to.equal(alg);
  const sig = r.string();
  r.end();
  const size = ECDSA_SIZE[alg];
  if (!size) return sig;
  const inner = new Reader(sig);
  const rs = [inner.mpint(), inner.mpint()].map((v) => Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'));
  return new Uint8Array(Buffer.concat(rs));
}

/**
 * Sign with every algorithm the key offers and verify each signature with node:crypto
 * against `nodePub` (the public key as the generating tool wrote it); a different message fails.
 */
export async function verifyWithNode(key: PrivateKey, nodePub: KeyObject | string): Promise<void> {
  const pub = typeof nodePub === 'string' ? createPublicKey(nodePub) : nodePub;
  const data = new TextEncoder().encode(`signed by ${key.type}`);
  for (const alg of key.signatureAlgorithms) {
    const sig = nodeSignature(alg, await key.sign(alg, data));
    const opts = alg.startsWith('ecdsa') || alg === 'ssh-dss' ? { key: pub, dsaEncoding: 'ieee-p1363' as const } : pub;
    expect(nodeVerify(NODE_HASH[alg], data, opts, sig), `node verifies ${alg}`).to.equal(true);
    expect(nodeVerify(NODE_HASH[alg], Buffer.from('other'), opts, sig), `node rejects ${alg} on other data`).to.equal(false);
  }
}

/** Sign an SSHSIG with the key's best algorithm and have `ssh-keygen -Y verify` check it against `publicBlob`. */
export async function verifyWithOpenSSH(dir: TempDir, key: PrivateKey, publicBlob: Uint8Array, label: string): Promise<void> {
  const data = new TextEncoder().encode(`SSHSIG message for ${label}`);
  const sig = await key.sign(key.signatureAlgorithms[0]!, sshSigSignedData(data, 'puressh-formats'));
  const name = label.replace(/[^A-Za-z0-9.-]/g, '_');
  const sigFile = dir.file(`${name}.sshsig`);
  writeFileSync(sigFile, armorSshSig(key.publicKey.blob, 'puressh-formats', sig));
  const allowed = dir.file(`${name}.allowed`);
  writeFileSync(allowed, `tester ${key.publicKey.type} ${b64(publicBlob)}\n`);
  const out = run('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'tester', '-n', 'puressh-formats', '-s', sigFile], { input: data });
  expect(out).to.match(/Good "puressh-formats" signature for tester/);
}

/** A minimal DER encoder for hand-built test structures. */
export const der = {
  tlv(tag: number, ...body: Uint8Array[]): Uint8Array {
    const content = Buffer.concat(body);
    const n = content.length;
    const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), content]));
  },
  seq: (...body: Uint8Array[]) => der.tlv(0x30, ...body),
  int(v: bigint | number): Uint8Array {
    let hex = BigInt(v).toString(16);
    if (hex.length % 2) hex = '0' + hex;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
    return der.tlv(0x02, Buffer.from(hex, 'hex'));
  },
  octets: (b: Uint8Array) => der.tlv(0x04, b),
  bits: (b: Uint8Array) => der.tlv(0x03, Buffer.from([0]), b),
  null: () => der.tlv(0x05),
  oid(dotted: string): Uint8Array {
    const arcs = dotted.split('.').map(Number);
    const out: number[] = [];
    for (const a of [40 * arcs[0]! + arcs[1]!, ...arcs.slice(2)]) {
      const groups = [a & 0x7f];
      for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
      out.push(...groups);
    }
    return der.tlv(0x06, Buffer.from(out));
  },
};

/** PEM armor with node's Buffer, 64 columns as OpenSSL writes. */
export function pem(label: string, body: Uint8Array, headers = ''): string {
  const lines = Buffer.from(body)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${headers}${lines}-----END ${label}-----\n`;
}
