/**
 * Test-only cross-check oracles for the legacy primitives: the `openssl enc` command with
 * OpenSSL 3's legacy provider (Blowfish, CAST5, RC4, single DES live there), and Debian's
 * python3-cryptography / python3-bcrypt (also OpenSSL-backed) where the `enc` command cannot
 * express the case (RC4 and Blowfish keys other than 16 bytes, bcrypt_pbkdf).
 * A missing tool FAILS the test with the command that installs it; nothing is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const OPENSSL_INSTALL = 'apt-get install -y openssl';
export const PYTHON = '/usr/bin/python3';
export const PYTHON_INSTALL = 'apt-get install -y python3-cryptography python3-bcrypt';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Throws unless `openssl` runs and its legacy provider loads (bf-cbc needs it). */
export function requireOpensslLegacy(): void {
  const r = spawnSync('openssl', ['enc', '-provider', 'legacy', '-provider', 'default', '-bf-ecb', '-K', '00'.repeat(16), '-nopad'], {
    input: Buffer.alloc(8),
  });
  if (r.error) throw new Error(`openssl is missing: ${OPENSSL_INSTALL}`);
  if (r.status !== 0 || r.stdout.length !== 8) {
    throw new Error(`openssl's legacy provider does not load (${r.stderr.toString().trim()}): ${OPENSSL_INSTALL}`);
  }
}

/**
 * `openssl enc -<cipher> -K key [-iv iv] -nopad [-d]` over `data`.
 * cipher: des-ecb, des-cbc, des-ede3-cbc, bf-ecb, bf-cbc, cast5-ecb, cast5-cbc, rc4, ...
 */
export function opensslEnc(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, decrypt = false): Uint8Array {
  const args = ['enc', '-provider', 'legacy', '-provider', 'default', `-${cipher}`, '-K', hex(key), '-nopad'];
  if (iv) args.push('-iv', hex(iv));
  if (decrypt) args.push('-d');
  return new Uint8Array(execFileSync('openssl', args, { input: data, maxBuffer: 64 << 20 }));
}

/** Run a Python snippet with /usr/bin/python3; `input` is passed as hex on stdin. Returns stdout bytes (hex-decoded). */
export function python(code: string, input: Record<string, Uint8Array | number>): Uint8Array {
  const json = JSON.stringify(Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v === 'number' ? v : hex(v)])));
  const prelude = [
    'import sys, json, warnings',
    "warnings.filterwarnings('ignore')",
    'a = json.loads(sys.stdin.read())',
    'h = lambda k: bytes.fromhex(a[k])',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', `${prelude}\n${code}`], { input: json, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${PYTHON} is missing: ${PYTHON_INSTALL}`);
  if (r.status !== 0) throw new Error(`python cross-check failed (${PYTHON_INSTALL}?): ${r.stderr.toString()}`);
  return new Uint8Array(Buffer.from(r.stdout.toString().trim(), 'hex'));
}
