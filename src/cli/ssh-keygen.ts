/**
 * `puressh ssh-keygen`: OpenSSH ssh-keygen's key generation (-t -b -f -N -C -q -a -m), -y, -l
 * [-E sha256|md5], certificate signing (-s CA -I id [-h] -n principals -V validity -z serial
 * -O option) and -L, with its files, output lines and exit codes; -p, -e and -i are in
 * keygen-convert.ts, -F/-R/-H in keygen-known-hosts.ts, -k/-Q in keygen-krl.ts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
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
  RsaPrivateKey,
  signCertificate,
  type CertOption,
  type GeneratedKeyPair,
  type PublicKey,
} from '../crypto/keys/index.js';
import { randomart } from '../crypto/randomart.js';
import { keyLabel } from './host-key.js';
import type { CliIo } from './io.js';
import { strerror } from './strerror.js';
import { changePassphrase, exportPublicKey, importPublicKey } from './keygen-convert.js';
import { knownHostsCommand } from './keygen-known-hosts.js';
import { checkRevocationList, writeRevocationList } from './keygen-krl.js';
import {
  isPrivateKeyText,
  KEYGEN_USAGE,
  KeygenError,
  logLine,
  readText,
  kdfRounds,
  loadPrivate,
  loadPublic,
  loadPublicFrom,
  parseArgs,
  privateKeyText,
  writePrivateFile,
  type KeygenArgs,
} from './keygen-common.js';

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
  if (args.files.length === 0) throw new KeygenError('Too few arguments.', 1, true);
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
      logLine(
        io,
        `Signed ${host ? 'host' : 'user'} key ${out}: id "${keyId}" serial ${serial}${principals.length ? ` for ${principals.join(',')}` : ''} ` +
          `valid ${formatValidity(validAfter, validBefore)}`,
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
  kdfRounds(args);
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
  let text: string;
  try {
    text = privateKeyText(key.material, comment, passphrase, args);
  } catch (e) {
    if (e instanceof KeygenError) throw e;
    throw new KeygenError(`Saving key "${path}" failed: ${(e as Error).message}`, 1);
  }
  try {
    writePrivateFile(path, text);
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

/** Run `puressh ssh-keygen ARGS`; resolves with ssh-keygen's exit status. */
export async function runSshKeygen(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    const file = args.values.get('f');
    // the order of ssh-keygen's main(): KRLs, signing, -L, known_hosts, then the key operations
    if (args.flags.has('k')) return writeRevocationList(args, io);
    if (args.flags.has('Q')) return checkRevocationList(args, io);
    if (args.values.has('s')) return await signKeys(args, io);
    if (args.flags.has('L')) return showCertificate(file ?? args.files[0] ?? '', io);
    if (args.values.has('F') || args.values.has('R') || args.flags.has('H')) return knownHostsCommand(args, io);
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
    if (args.flags.has('p')) return await changePassphrase(args, io);
    if (args.flags.has('e')) return await exportPublicKey(args, io);
    if (args.flags.has('i')) return importPublicKey(args, io);
    if (args.flags.has('y')) {
      if (!file) throw new KeygenError('Enter file in which the key is: no file given (-f)');
      const key = await loadPrivate(file, args, io);
      io.stdout.write(formatPublicKeyLine(key.publicKey, key.comment) + '\n');
      return 0;
    }
    return await generateKeys(args, io);
  } catch (e) {
    if (!(e instanceof KeygenError)) throw e;
    logLine(io, e.message);
    if (e.usage) io.stderr.write(`${KEYGEN_USAGE}\n`);
    return e.status;
  }
}
