/**
 * `puressh ssh-keygen`: OpenSSH ssh-keygen's key generation (-t -b -f -N -C -q -a), -y, -l
 * [-E sha256|md5], certificate signing (-s CA -I id [-h] -n principals -V validity -z serial
 * -O option) and -L, with its files, output lines and exit codes.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { sha256 } from '@noble/hashes/sha2.js';
import { fingerprintMD5, fingerprintSHA256 } from '../crypto/fingerprint.js';
import {
  Certificate,
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  formatPublicKeyLine,
  generateKeyPair,
  optionStringData,
  parsePrivateKey,
  parsePublicKey,
  RsaPrivateKey,
  signCertificate,
  writeOpenSSHPrivateKey,
  type CertOption,
  type GeneratedKeyPair,
  type PrivateKey,
  type PublicKey,
} from '../crypto/keys/index.js';
import { writeKrl, type KrlCertificates, type KrlContents } from '../crypto/keys/krl.js';
import { randomart } from '../crypto/randomart.js';
import { keyLabel } from './host-key.js';
import type { CliIo } from './io.js';
import { strerror } from './strerror.js';
import { parseFlags, UsageError } from './ssh-args.js';

export const KEYGEN_USAGE = `usage: puressh ssh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]
                  [-N new_passphrase] [-t ecdsa | ed25519 | rsa]
       puressh ssh-keygen -y [-f input_keyfile]
       puressh ssh-keygen -l [-E fingerprint_hash] [-f input_keyfile]
       puressh ssh-keygen -s ca_key -I certificate_identity [-h] [-n principals]
                  [-O option] [-V validity_interval] [-z serial_number] file ...
       puressh ssh-keygen -L [-f input_keyfile]
       puressh ssh-keygen -k -f krl_file [-s ca_public] [-z version_number] file ...`;

class KeygenError extends Error {
  constructor(
    message: string,
    readonly status = 255,
  ) {
    super(message);
  }
}

const WITH_ARG = new Set(['a', 'b', 'C', 'E', 'f', 'I', 'n', 'N', 'O', 'P', 's', 't', 'V', 'z']);
const NO_ARG = new Set(['h', 'k', 'l', 'L', 'q', 'y']);

interface KeygenArgs {
  flags: Set<string>;
  values: Map<string, string>;
  options: string[];
  files: string[];
}

function parseArgs(argv: readonly string[]): KeygenArgs {
  let parsed;
  try {
    parsed = parseFlags(argv, [...NO_ARG].join(''), [...WITH_ARG].join(''));
  } catch (e) {
    if (e instanceof UsageError) throw new KeygenError(`${e.message}\n${KEYGEN_USAGE}`, 1);
    throw e;
  }
  const out: KeygenArgs = { flags: new Set(), values: new Map(), options: [], files: parsed.rest };
  for (const [f, values] of parsed.flags) {
    if (NO_ARG.has(f)) out.flags.add(f);
    else if (f === 'O') out.options.push(...values);
    else out.values.set(f, values[values.length - 1]!);
  }
  return out;
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeygenError(`${path}: ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message}`);
  }
};

/**
 * A public key (or certificate) from a file: the file itself, else FILE.pub, else the private
 * key's public half. As sshkey_load_public, a key without a comment gets the file's name.
 */
function loadPublic(path: string): { key: PublicKey; comment: string } {
  const { key, comment, from } = loadPublicFrom(path);
  return { key, comment: comment || from };
}

const isPrivateKeyText = (text: string): boolean => /-----BEGIN [A-Z ]*PRIVATE KEY-----|^PuTTY-User-Key-File/.test(text);

function loadPublicFrom(path: string): { key: PublicKey; comment: string; from: string } {
  const text = readText(path);
  try {
    const { key, comment } = parsePublicKey(text);
    return { key, comment, from: path };
  } catch {
    /* a private key file */
  }
  if (existsSync(`${path}.pub`)) {
    try {
      const { key, comment } = parsePublicKey(readFileSync(`${path}.pub`, 'utf8'));
      return { key, comment, from: `${path}.pub` };
    } catch {
      /* fall through to the private key */
    }
  }
  try {
    const key = parsePrivateKey(text);
    return { key: key.publicKey, comment: key.comment, from: path };
  } catch {
    throw new KeygenError(`${path} is not a key file.`);
  }
}

async function loadPrivate(path: string, args: KeygenArgs, io: CliIo): Promise<PrivateKey> {
  const text = readText(path);
  try {
    return parsePrivateKey(text, args.values.get('P'));
  } catch (e) {
    if ((e as { code?: string }).code !== 'KEYFILE_AUTH_FAILED' || args.values.has('P')) throw new KeygenError(`Load key "${path}": invalid format`);
  }
  const pass = await io.prompt(`Enter passphrase for "${path}": `, false);
  try {
    return parsePrivateKey(text, pass ?? '');
  } catch {
    throw new KeygenError(`Load key "${path}": incorrect passphrase supplied to decrypt private key`);
  }
}

function fingerprint(key: PublicKey, hash: string): string {
  if (hash === 'md5') return fingerprintMD5(key.blob);
  if (hash === 'sha256') return fingerprintSHA256(key.blob);
  throw new KeygenError('Invalid hash algorithm');
}

/** "from 2026-01-01T00:00:00 to …", "forever", "before …", "after …" (local time, as sshkey_format_cert_validity). */
export function formatValidity(after: bigint, before: bigint): string {
  const fmt = (t: bigint): string => {
    const d = new Date(Number(t) * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  };
  if (after === 0n && before === CERT_VALID_FOREVER) return 'forever';
  if (after === 0n) return `before ${fmt(before)}`;
  if (before === CERT_VALID_FOREVER) return `after ${fmt(after)}`;
  return `from ${fmt(after)} to ${fmt(before)}`;
}

/** ssh-keygen's -V: "+5m", "-1d:+1w", "20200101:20300101123000", "always:forever" (parse_cert_times). */
export function parseValidity(spec: string, now: number): [bigint, bigint] {
  const bad = (): never => {
    throw new KeygenError(`Invalid certificate life specification ${spec}`);
  };
  const relative = (s: string): number => {
    const m = /^([+-])((?:\d+[smhdwSMHDW]?)+)$/.exec(s);
    if (!m) return bad();
    let secs = 0;
    for (const part of m[2]!.matchAll(/(\d+)([smhdwSMHDW]?)/g)) {
      const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[part[2]!.toLowerCase()]!;
      secs += Number(part[1]) * mult;
    }
    return m[1] === '+' ? now + secs : now - secs;
  };
  const absolute = (s: string): number => {
    const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(s);
    if (!m) return bad();
    const [y, mo, d, h = '0', mi = '0', se = '0'] = m.slice(1, 7);
    const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)] as const;
    return Math.floor((m[7] ? Date.UTC(...parts) : new Date(...parts).getTime()) / 1000);
  };
  if (spec.startsWith('+') && !spec.includes(':')) {
    // backdated a minute, for badly synchronised clocks
    return [BigInt(Math.floor((now - 59) / 60) * 60), BigInt(relative(spec))];
  }
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) bad();
  const from = spec.slice(0, colon);
  const to = spec.slice(colon + 1);
  const after = from === 'always' ? 0n : BigInt(from.startsWith('+') || from.startsWith('-') ? relative(from) : absolute(from));
  const before = to === 'forever' ? CERT_VALID_FOREVER : BigInt(to.startsWith('+') || to.startsWith('-') ? relative(to) : absolute(to));
  if (before <= after) throw new KeygenError('Empty certificate validity interval');
  return [after, before];
}

const DEFAULT_USER_EXTENSIONS = ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'];

/** -O options onto the certificate's critical options and extensions (ssh-keygen add_cert_option). */
function certOptions(opts: readonly string[], host: boolean): { critical: CertOption[]; extensions: CertOption[] } {
  const critical = new Map<string, Uint8Array>();
  const extensions = new Map<string, Uint8Array>(host ? [] : DEFAULT_USER_EXTENSIONS.map((e) => [e, new Uint8Array(0)]));
  const empty = new Uint8Array(0);
  for (const o of opts) {
    const lower = o.toLowerCase();
    const eq = o.indexOf('=');
    const value = eq < 0 ? undefined : o.slice(eq + 1);
    if (lower === 'clear') {
      critical.clear();
      extensions.clear();
    } else if (/^no-(x11|agent|port)-forwarding$|^no-pty$|^no-user-rc$/.test(lower)) {
      const name = DEFAULT_USER_EXTENSIONS.find((e) => e.toLowerCase() === `permit-${lower.slice(3)}`)!;
      extensions.delete(name);
    } else if (/^permit-(x11|agent|port)-forwarding$|^permit-pty$|^permit-user-rc$/.test(lower)) {
      extensions.set(
        DEFAULT_USER_EXTENSIONS.find((e) => e.toLowerCase() === lower)!,
        empty,
      );
    } else if (lower.startsWith('force-command=') || lower.startsWith('source-address=')) {
      const name = o.slice(0, eq).toLowerCase();
      if (critical.has(name)) throw new KeygenError(`${name} already specified`);
      critical.set(name, optionStringData(value!));
    } else if (lower === 'verify-required') {
      critical.set('verify-required', empty);
    } else if (lower === 'no-touch-required') {
      extensions.set('no-touch-required', empty);
    } else if (lower.startsWith('extension:') || lower.startsWith('critical:')) {
      const [kind, rest] = [lower.startsWith('critical:') ? critical : extensions, o.slice(o.indexOf(':') + 1)];
      const e = rest.indexOf('=');
      kind.set(e < 0 ? rest : rest.slice(0, e), e < 0 ? empty : optionStringData(rest.slice(e + 1)));
    } else {
      throw new KeygenError(`Unsupported certificate option "${o}"`);
    }
  }
  const list = (m: Map<string, Uint8Array>): CertOption[] => [...m].map(([name, data]) => ({ name, data }));
  return { critical: list(critical), extensions: list(extensions) };
}

async function signKeys(args: KeygenArgs, io: CliIo): Promise<number> {
  const caPath = args.values.get('s')!;
  const keyId = args.values.get('I');
  if (keyId === undefined) throw new KeygenError('Must specify key id (-I) when certifying');
  if (args.files.length === 0) throw new KeygenError(`Too few arguments.\n${KEYGEN_USAGE}`, 1);
  const ca = await loadPrivate(caPath, args, io);
  const host = args.flags.has('h');
  const principals = args.values.has('n') ? args.values.get('n')!.split(',') : [];
  const [validAfter, validBefore] = args.values.has('V') ? parseValidity(args.values.get('V')!, Math.floor(Date.now() / 1000)) : [0n, CERT_VALID_FOREVER];
  let serial = 0n;
  if (args.values.has('z')) {
    const z = args.values.get('z')!;
    if (!/^\+?\d+$/.test(z) || BigInt(z.replace('+', '')) > 0xffffffffffffffffn) throw new KeygenError(`Invalid serial number "${z}"`);
    serial = BigInt(z.replace('+', ''));
  }
  const { critical, extensions } = certOptions(args.options, host);
  const sigAlg = args.values.get('t') ?? (ca instanceof RsaPrivateKey ? 'rsa-sha2-512' : ca.signatureAlgorithms[0]!);
  if (!ca.signatureAlgorithms.includes(sigAlg)) throw new KeygenError(`Invalid signature algorithm "${sigAlg}"`);
  for (const path of args.files) {
    const { key, comment } = loadPublic(path);
    if (key instanceof Certificate) throw new KeygenError(`${path}: is already a certificate`);
    const cert = await signCertificate(
      {
        key,
        nonce: new Uint8Array(randomBytes(32)),
        serial,
        certType: host ? CERT_TYPE_HOST : CERT_TYPE_USER,
        keyId,
        principals,
        validAfter,
        validBefore,
        criticalOptions: critical,
        extensions,
      },
      ca,
      sigAlg,
    );
    const out = `${path.endsWith('.pub') ? path.slice(0, -4) : path}-cert.pub`;
    writeFileSync(out, formatPublicKeyLine(cert, comment) + '\n', { mode: 0o644 });
    if (!args.flags.has('q')) {
      io.stderr.write(
        `Signed ${host ? 'host' : 'user'} key ${out}: id "${keyId}" serial ${serial}${principals.length ? ` for ${principals.join(',')}` : ''} ` +
          `valid ${formatValidity(validAfter, validBefore)}\n`,
      );
    }
    if (args.values.has('z') && serial !== 0n) serial++;
  }
  return 0;
}

function showCertificate(path: string, io: CliIo): number {
  const { key } = loadPublic(path);
  if (!(key instanceof Certificate)) throw new KeygenError(`${path} is not a certificate`);
  const pad = '        ';
  const list = (title: string, items: readonly string[]): string =>
    items.length ? `${pad}${title}: \n${items.map((i) => `${pad}${pad}${i}\n`).join('')}` : `${pad}${title}: (none)\n`;
  const options = (opts: readonly CertOption[]): string[] =>
    opts.map((o) => {
      if (o.data.length === 0) return o.name;
      if (o.name === 'force-command' || o.name === 'source-address') return `${o.name} ${key.optionString(o.name)}`;
      return `${o.name} UNKNOWN OPTION (len ${o.data.length})`;
    });
  const ca = key.signatureKey;
  io.stdout.write(
    `${path}:\n` +
      `${pad}Type: ${key.type} ${key.certType === CERT_TYPE_HOST ? 'host' : 'user'} certificate\n` +
      `${pad}Public key: ${keyLabel(key.type)} ${fingerprintSHA256(key.key.blob)}\n` +
      `${pad}Signing CA: ${keyLabel(ca.type)} ${fingerprintSHA256(ca.blob)} (using ${key.signatureAlgorithm})\n` +
      `${pad}Key ID: "${key.keyId}"\n` +
      `${pad}Serial: ${key.serial}\n` +
      `${pad}Valid: ${formatValidity(key.validAfter, key.validBefore)}\n` +
      list('Principals', key.principals) +
      list('Critical Options', options(key.criticalOptions)) +
      list('Extensions', options(key.extensions)),
  );
  return 0;
}

/** The Node entry may use OpenSSL for RSA (the universal generator is BigInt, slow at 4096+ bits). */
function generate(type: 'ed25519' | 'ecdsa' | 'rsa', bits: number | undefined, comment: string): GeneratedKeyPair {
  const random = (n: number) => new Uint8Array(randomBytes(n));
  if (type !== 'rsa') return generateKeyPair({ type, bits, comment }, random);
  const size = bits ?? 3072;
  if (!Number.isInteger(size) || size < 1024 || size > 16384) throw new KeygenError('Invalid RSA key length: minimum is 1024 bits');
  const jwk = generateKeyPairSync('rsa', { modulusLength: size, publicExponent: 65537 }).privateKey.export({ format: 'jwk' });
  const big = (s: string | undefined): bigint => BigInt('0x' + Buffer.from(s!, 'base64url').toString('hex'));
  const parts = { n: big(jwk.n), e: big(jwk.e), d: big(jwk.d), p: big(jwk.p), q: big(jwk.q), iqmp: big(jwk.qi) };
  return { privateKey: new RsaPrivateKey(parts, comment), material: { kind: 'rsa', ...parts } };
}

async function generateKeys(args: KeygenArgs, io: CliIo): Promise<number> {
  const t = (args.values.get('t') ?? 'rsa').toLowerCase();
  if (t !== 'ed25519' && t !== 'ecdsa' && t !== 'rsa') throw new KeygenError(`unknown key type ${t}`);
  const bits = args.values.has('b') ? Number(args.values.get('b')) : undefined;
  if (bits !== undefined && !Number.isInteger(bits)) throw new KeygenError(`Bits has bad value ${args.values.get('b')} (invalid)`);
  const rounds = args.values.has('a') ? Number(args.values.get('a')) : undefined;
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1)) throw new KeygenError(`Invalid number: ${args.values.get('a')}`);
  const quiet = args.flags.has('q');
  const path = args.values.get('f') ?? `${io.home}/.ssh/id_${t}`;
  const comment = args.values.get('C') ?? `${io.localUser}@${hostname()}`;
  let key: GeneratedKeyPair;
  try {
    key = generate(t, bits, comment);
  } catch (e) {
    throw new KeygenError(e instanceof KeygenError ? e.message : `${(e as Error).message}`);
  }
  if (!quiet) io.stdout.write(`Generating public/private ${t} key pair.\n`);
  if (existsSync(path)) {
    io.stdout.write(`${path} already exists.\n`);
    const answer = await io.prompt('Overwrite (y/n)? ', true);
    if (!answer || !answer.toLowerCase().startsWith('y')) return 1;
  }
  let passphrase = args.values.get('N');
  while (passphrase === undefined) {
    const first = (await io.prompt('Enter passphrase (empty for no passphrase): ', false)) ?? '';
    const second = (await io.prompt('Enter same passphrase again: ', false)) ?? '';
    if (first === second) passphrase = first;
    else io.stdout.write('Passphrases do not match.  Try again.\n');
  }
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const text = writeOpenSSHPrivateKey(key.material, comment, random, { passphrase, ...(rounds === undefined ? {} : { rounds }) });
  try {
    // an existing file keeps its mode through writeFileSync: tighten it before the key goes in
    if (existsSync(path)) chmodSync(path, 0o600);
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    throw new KeygenError(`Saving key "${path}" failed: ${strerror(e)}`);
  }
  const pub = key.privateKey.publicKey;
  try {
    writeFileSync(`${path}.pub`, formatPublicKeyLine(pub, comment) + '\n', { mode: 0o644 });
  } catch (e) {
    throw new KeygenError(`Unable to save public key to ${path}.pub: ${strerror(e)}`);
  }
  if (!quiet) {
    const title = `${keyLabel(pub.type)} ${pub.bits}`;
    io.stdout.write(
      `Your identification has been saved in ${path}\n` +
        `Your public key has been saved in ${path}.pub\n` +
        'The key fingerprint is:\n' +
        `${fingerprintSHA256(pub.blob)} ${comment}\n` +
        "The key's randomart image is:\n" +
        `${randomart(sha256(pub.blob), title, 'SHA256')}\n`,
    );
  }
  return 0;
}

/**
 * -k -f KRL [-s ca.pub] [-z version] FILE…: a KRL revoking what the files list, one per line:
 * a public key or certificate, "key: …", "serial: N[-M]" and "id: …" (under -s's CA; ids
 * under any CA without one), "sha1: …"/"sha256: …"/"hash: SHA256:…" (ssh-keygen(1) KEY REVOCATION LISTS).
 */
function writeRevocationList(args: KeygenArgs, io: CliIo): number {
  const out = args.values.get('f');
  if (!out) throw new KeygenError('KRL generation requires an output file');
  const ca = args.values.has('s') ? loadPublic(args.values.get('s')!).key : null;
  const byCa = new Map<string, KrlCertificates>();
  const certsUnder = (caKey: PublicKey | null): KrlCertificates => {
    const id = caKey ? Buffer.from(caKey.blob).toString('base64') : '';
    let c = byCa.get(id);
    if (!c) byCa.set(id, (c = { caBlob: caKey ? caKey.blob : null, serials: [], keyIds: [] }));
    return c;
  };
  const krl: KrlContents = { generatedDate: BigInt(Math.floor(Date.now() / 1000)), certificates: [], keys: [], sha1: [], sha256: [] };
  if (args.values.has('z')) krl.version = BigInt(args.values.get('z')!);
  const revokeKey = (key: PublicKey): void => {
    if (!(key instanceof Certificate)) krl.keys.push(key.blob);
    else if (key.serial === 0n) certsUnder(key.signatureKey).keyIds.push(key.keyId);
    else certsUnder(key.signatureKey).serials.push([key.serial, key.serial]);
  };
  for (const file of args.files) {
    if (!args.flags.has('q')) io.stderr.write(`Revoking from ${file}\n`);
    readText(file)
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.trim();
        if (!line || line.startsWith('#')) return;
        const where = `${file}:${i + 1}`;
        const m = /^(serial|id|key|sha1|sha256|hash):\s*(.*)$/i.exec(line);
        const [kind, value] = m ? [m[1]!.toLowerCase(), m[2]!.trim()] : ['key', line];
        if (kind === 'serial') {
          if (!ca) throw new KeygenError(`${where}: revoking certificates by serial number requires specification of a CA key`);
          const r = /^(\d+)(?:-(\d+))?$/.exec(value);
          if (!r) throw new KeygenError(`${where}: invalid serial "${value}"`);
          const lo = BigInt(r[1]!);
          const hi = r[2] === undefined ? lo : BigInt(r[2]);
          if (hi < lo) throw new KeygenError(`${where}: invalid serial range`);
          certsUnder(ca).serials.push([lo, hi]);
        } else if (kind === 'id') {
          certsUnder(ca).keyIds.push(value);
        } else if (kind === 'key') {
          try {
            revokeKey(parsePublicKey(value).key);
          } catch {
            throw new KeygenError(`${where}: invalid key`);
          }
        } else {
          const fp = kind === 'hash' ? value.replace(/^SHA256:/, '') : value;
          const bytes = Buffer.from(fp, 'base64');
          if ((kind === 'sha1' && bytes.length !== 20) || (kind !== 'sha1' && bytes.length !== 32)) throw new KeygenError(`${where}: invalid hash`);
          (kind === 'sha1' ? krl.sha1 : krl.sha256).push(new Uint8Array(bytes));
        }
      });
  }
  krl.certificates = [...byCa.values()];
  writeFileSync(out, writeKrl(krl), { mode: 0o644 });
  return 0;
}

/** Run `puressh ssh-keygen ARGS`; resolves with ssh-keygen's exit status. */
export async function runSshKeygen(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    const file = args.values.get('f');
    if (args.flags.has('k')) return writeRevocationList(args, io);
    if (args.values.has('s')) return await signKeys(args, io);
    if (args.flags.has('L')) return showCertificate(file ?? args.files[0] ?? '', io);
    if (args.flags.has('l')) {
      const hash = (args.values.get('E') ?? 'sha256').toLowerCase();
      if (hash !== 'sha256' && hash !== 'md5') throw new KeygenError('Invalid hash algorithm');
      if (!file) throw new KeygenError('Enter file in which the key is: no file given (-f)');
      // a public key file is read line by line (no comment: "no comment"); a private key's
      // public half is loaded by sshkey_load_public (no comment: the file's name)
      const loaded = loadPublicFrom(file);
      const direct = loaded.from === file && !isPrivateKeyText(readText(file));
      const { key } = loaded;
      const comment = loaded.comment || (direct ? 'no comment' : loaded.from);
      // a certificate's fingerprint is its plain key's (sshkey_fingerprint)
      const plain = key instanceof Certificate ? key.key : key;
      io.stdout.write(`${key.bits} ${fingerprint(plain, hash)} ${comment} (${keyLabel(key.type)})\n`);
      return 0;
    }
    if (args.flags.has('y')) {
      if (!file) throw new KeygenError('Enter file in which the key is: no file given (-f)');
      const key = await loadPrivate(file, args, io);
      io.stdout.write(formatPublicKeyLine(key.publicKey, key.comment) + '\n');
      return 0;
    }
    return await generateKeys(args, io);
  } catch (e) {
    if (!(e instanceof KeygenError)) throw e;
    io.stderr.write(`${e.message}\n`);
    return e.status;
  }
}
