/**
 * OpenSSH certificates (PROTOCOL.certkeys): decode, encode and CA-signature check of
 * ssh-ed25519-cert-v01, ecdsa-sha2-nistp256/384/521-cert-v01, ssh-rsa-cert-v01 (signature
 * algorithms rsa-sha2-256/512-cert-v01 and ssh-rsa-cert-v01) and ssh-dss-cert-v01.
 *
 * Blob: string type, string nonce, <the key's public fields>, uint64 serial, uint32 type,
 * string key id, string principals, uint64 valid after, uint64 valid before, string critical
 * options, string extensions, string reserved, string signature key, string signature.
 * The CA signs everything before the signature field.
 */
import { KeyError, SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { asKeyError, type KeyType } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import { DSA, DsaPrivateKey, DsaPublicKey } from './dsa.js';
import { ECDSA_NISTP256, ECDSA_NISTP384, ECDSA_NISTP521, ecdsaPrivateKey, EcdsaPublicKey } from './ecdsa.js';
import { ED25519 } from './ed25519.js';
import { RSA, RsaPrivateKey, RsaPublicKey } from './rsa.js';
import type { SecurityKeySignatureInfo } from './sk-common.js';
import { SK_ECDSA_TYPE, SkEcdsaPublicKey } from './sk-ecdsa.js';
import { SK_ED25519_TYPE, SkEd25519PublicKey } from './sk-ed25519.js';
import { readSkPrivateFields, SecurityKeyPrivateKey } from './sk-private.js';
import type { PublicKeyOps } from '../provider.js';
import type { PrivateKey, PublicKey } from './types.js';

export const CERT_SUFFIX = '-cert-v01@openssh.com';
/** SSH2_CERT_TYPE_USER (PROTOCOL.certkeys): a certificate for user authentication. */
export const CERT_TYPE_USER = 1;
/** SSH2_CERT_TYPE_HOST (PROTOCOL.certkeys): a certificate for a host key. */
export const CERT_TYPE_HOST = 2;
/** "forever" as a valid-before time */
export const CERT_VALID_FOREVER = 0xffffffffffffffffn;
/** OpenSSH's SSHKEY_CERT_MAX_PRINCIPALS */
const MAX_PRINCIPALS = 256;

/** The plain key types a certificate may certify, with the number of wire strings/mpints in their public fields. */
const PLAIN: ReadonlyMap<string, { keyType: KeyType; fields: number }> = new Map([
  [ED25519.type, { keyType: ED25519, fields: 1 }],
  [ECDSA_NISTP256.type, { keyType: ECDSA_NISTP256, fields: 2 }],
  [ECDSA_NISTP384.type, { keyType: ECDSA_NISTP384, fields: 2 }],
  [ECDSA_NISTP521.type, { keyType: ECDSA_NISTP521, fields: 2 }],
  [RSA.type, { keyType: RSA, fields: 2 }],
  [DSA.type, { keyType: DSA, fields: 4 }],
  // PROTOCOL.u2f: the key's fields end with the application string
  [SK_ED25519_TYPE.type, { keyType: SK_ED25519_TYPE, fields: 2 }],
  [SK_ECDSA_TYPE.type, { keyType: SK_ECDSA_TYPE, fields: 3 }],
]);

/** The FIDO names (PROTOCOL.u2f) carry "@openssh.com" themselves, which their certificate names replace. */
const OPENSSH_DOMAIN = '@openssh.com';
const isSkName = (name: string): boolean => /^(webauthn-)?sk-/.test(name);

/**
 * Certificate blob type for a plain key type: "ssh-ed25519" → "ssh-ed25519-cert-v01@openssh.com",
 * "sk-ssh-ed25519@openssh.com" → "sk-ssh-ed25519-cert-v01@openssh.com".
 */
export const certTypeFor = (plainType: string): string =>
  (isSkName(plainType) && plainType.endsWith(OPENSSH_DOMAIN) ? plainType.slice(0, -OPENSSH_DOMAIN.length) : plainType) + CERT_SUFFIX;

/** The plain key type or signature algorithm a certificate name stands for, or undefined if `name` is not a certificate name. */
export function plainNameOf(name: string): string | undefined {
  if (!name.endsWith(CERT_SUFFIX)) return undefined;
  const plain = name.slice(0, -CERT_SUFFIX.length);
  return isSkName(plain) ? plain + OPENSSH_DOMAIN : plain;
}

/** A critical option or extension: a name and its data (for force-command and source-address, a string inside). */
export interface CertOption {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The fields of a certificate, as written by the CA (everything but the signature). */
export interface CertificateFields {
  /** the key being certified */
  readonly key: PublicKey;
  readonly nonce: Uint8Array;
  readonly serial: bigint;
  /** 1 = user (CERT_TYPE_USER), 2 = host (CERT_TYPE_HOST) */
  readonly certType: number;
  readonly keyId: string;
  /** empty: valid for any principal */
  readonly principals: readonly string[];
  /** seconds since the epoch, inclusive */
  readonly validAfter: bigint;
  /** seconds since the epoch, exclusive; CERT_VALID_FOREVER for no limit */
  readonly validBefore: bigint;
  readonly criticalOptions: readonly CertOption[];
  readonly extensions: readonly CertOption[];
  /** the CA's public key */
  readonly signatureKey: PublicKey;
}

/** A certificate, usable as a public key: it verifies signatures made by the certified key. */
export class Certificate implements PublicKey, CertificateFields {
  readonly type: string;
  readonly bits: number;

  constructor(
    readonly fields: CertificateFields,
    readonly reserved: Uint8Array,
    /** the CA's signature blob (string algorithm, string signature) */
    readonly signature: Uint8Array,
    /** the bytes the CA signed */
    readonly signedData: Uint8Array,
    /** the whole certificate blob */
    readonly blob: Uint8Array,
  ) {
    this.type = certTypeFor(fields.key.type);
    this.bits = fields.key.bits;
  }

  get key(): PublicKey {
    return this.fields.key;
  }
  get nonce(): Uint8Array {
    return this.fields.nonce;
  }
  get serial(): bigint {
    return this.fields.serial;
  }
  get certType(): number {
    return this.fields.certType;
  }
  get keyId(): string {
    return this.fields.keyId;
  }
  get principals(): readonly string[] {
    return this.fields.principals;
  }
  get validAfter(): bigint {
    return this.fields.validAfter;
  }
  get validBefore(): bigint {
    return this.fields.validBefore;
  }
  get criticalOptions(): readonly CertOption[] {
    return this.fields.criticalOptions;
  }
  get extensions(): readonly CertOption[] {
    return this.fields.extensions;
  }
  get signatureKey(): PublicKey {
    return this.fields.signatureKey;
  }

  /** The signature algorithm the CA used (first string of the signature blob). */
  get signatureAlgorithm(): string {
    return asKeyError('certificate signature', () => new Reader(this.signature, 0, 'certificate signature').ascii('signature algorithm'));
  }

  /**
   * Verify a signature made by the certified key. `algorithm` is a certificate algorithm
   * ("rsa-sha2-512-cert-v01@openssh.com"); the signature blob names the plain one ("rsa-sha2-512").
   */
  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    const plain = plainNameOf(algorithm);
    if (plain === undefined || certTypeFor(keyTypeOfPlainAlgorithm(plain) ?? '') !== this.type) return false;
    return this.fields.key.verify(plain, data, signature, ops);
  }

  /** For a certified FIDO security key: its signature's flags and counter (see PublicKey.verifySecurityKey). */
  verifySecurityKey(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): SecurityKeySignatureInfo | null {
    const plain = plainNameOf(algorithm);
    if (plain === undefined || certTypeFor(keyTypeOfPlainAlgorithm(plain) ?? '') !== this.type) return null;
    return this.fields.key.verifySecurityKey?.(plain, data, signature, ops) ?? null;
  }

  /** A critical option's string value (force-command, source-address), or undefined when absent. */
  optionString(name: string): string | undefined {
    const o = this.fields.criticalOptions.find((x) => x.name === name);
    if (!o) return undefined;
    return asKeyError('certificate', () => {
      const r = new Reader(o.data, 0, `certificate option ${name}`);
      const v = r.text(name);
      r.end();
      return v;
    });
  }
}

/** rsa-sha2-256 → ssh-rsa and so on, for the plain algorithms a certificate can carry. */
function keyTypeOfPlainAlgorithm(alg: string): string | undefined {
  if (alg === 'rsa-sha2-256' || alg === 'rsa-sha2-512') return 'ssh-rsa';
  return PLAIN.has(alg) ? alg : undefined;
}

/** Certificate signature algorithms for a plain key type, best first. */
export function certAlgorithmsFor(plainType: string): string[] {
  const entry = PLAIN.get(plainType);
  return entry ? entry.keyType.signatureAlgorithms.map(certTypeFor) : [];
}

function readOptions(data: Uint8Array, what: string, strictOrder: boolean): CertOption[] {
  const r = new Reader(data, 0, `certificate ${what}`);
  const out: CertOption[] = [];
  while (r.remaining > 0) {
    const name = r.text(`${what} name`);
    const value = r.string(`${what} data`).slice();
    const prev = out[out.length - 1];
    // PROTOCOL.certkeys: "lexically ordered", "may only appear once" (compared as bytes, as OpenSSH does).
    if (prev && strictOrder && !(prev.name < name)) {
      throw new KeyError(`certificate ${what} "${name}" ${prev.name === name ? 'appears twice' : 'is out of order'}`);
    }
    out.push({ name, data: value });
  }
  return out;
}

function readPrincipals(data: Uint8Array): string[] {
  const r = new Reader(data, 0, 'certificate principals');
  const out: string[] = [];
  while (r.remaining > 0) {
    if (out.length >= MAX_PRINCIPALS) throw new KeyError(`certificate has more than ${MAX_PRINCIPALS} principals`);
    const p = r.text('principal');
    if (p.includes('\0')) throw new KeyError('certificate principal contains a NUL byte');
    out.push(p);
  }
  return out;
}

/** Parse the CA key: a plain key (PROTOCOL.certkeys: a certificate cannot be a CA key). */
function readSignatureKey(blob: Uint8Array): PublicKey {
  const r = new Reader(blob, 0, 'certificate signature key');
  const type = r.ascii('key type');
  if (plainNameOf(type) !== undefined) throw new KeyError('certificate signature key is itself a certificate');
  const entry = PLAIN.get(type);
  if (!entry) throw new KeyError(`certificate signature key has unsupported type "${type}"`, 'ALGO_UNSUPPORTED');
  return entry.keyType.readPublic(r, blob);
}

/**
 * Decode a certificate blob; every field is checked for form (not the CA signature: see
 * verifyCertificateSignature). Throws KeyError: unknown type (ALGO_UNSUPPORTED), malformed (FILE).
 */
export function parseCertificateBlob(blob: Uint8Array): Certificate {
  return asKeyError('certificate', () => {
    const r = new Reader(blob, 0, 'certificate');
    const type = r.ascii('certificate type');
    const plainType = plainNameOf(type);
    const entry = plainType === undefined ? undefined : PLAIN.get(plainType);
    if (plainType === undefined || !entry) throw new KeyError(`unsupported certificate type "${type}"`, 'ALGO_UNSUPPORTED');
    const nonce = r.string('nonce').slice();
    const start = r.offset;
    for (let i = 0; i < entry.fields; i++) r.string('public key field');
    const keyFields = blob.subarray(start, r.offset);
    const plainBlob = new Writer(keyFields.length + 64).string(plainType).raw(keyFields).finish().slice();
    const kr = new Reader(plainBlob, 0, 'certified key');
    kr.ascii();
    const key = entry.keyType.readPublic(kr, plainBlob);
    const serial = r.u64('serial');
    const certType = r.u32('certificate type');
    if (certType !== CERT_TYPE_USER && certType !== CERT_TYPE_HOST) throw new KeyError(`certificate type ${certType} is neither user (1) nor host (2)`);
    const keyId = r.text('key id');
    const principals = readPrincipals(r.string('valid principals'));
    const validAfter = r.u64('valid after');
    const validBefore = r.u64('valid before');
    const criticalOptions = readOptions(r.string('critical options'), 'critical option', true);
    const extensions = readOptions(r.string('extensions'), 'extension', true);
    const reserved = r.string('reserved').slice();
    const signatureKey = readSignatureKey(r.string('signature key'));
    const signedData = blob.slice(0, r.offset);
    const signature = r.string('signature').slice();
    r.end();
    const sr = new Reader(signature, 0, 'certificate signature');
    const sigAlg = sr.ascii('signature algorithm');
    sr.string('signature');
    // an sk CA's signature goes on with flags and counter (PROTOCOL.u2f)
    if (!isSkName(sigAlg)) sr.end();
    const fields: CertificateFields = { key, nonce, serial, certType, keyId, principals, validAfter, validBefore, criticalOptions, extensions, signatureKey };
    return new Certificate(fields, reserved, signature, signedData, blob.slice());
  });
}

/** The CA signature algorithms OpenSSH 9 accepts by default (CASignatureAlgorithms): no SHA-1. */
export const DEFAULT_CA_SIGNATURE_ALGORITHMS: readonly string[] = Object.freeze([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-256',
]);

/**
 * Check the CA's signature over the certificate. `allowed` lists the acceptable signature
 * algorithms (an RSA CA must use rsa-sha2-256/512 unless ssh-rsa is listed). Returns null when
 * good, or why not, in OpenSSH's words.
 */
export function verifyCertificateSignature(cert: Certificate, allowed: readonly string[] = DEFAULT_CA_SIGNATURE_ALGORITHMS, ops?: PublicKeyOps): string | null {
  let alg: string;
  try {
    alg = cert.signatureAlgorithm;
  } catch (e) {
    if (e instanceof SshError) return 'invalid certificate signature';
    throw e;
  }
  if (!allowed.includes(alg)) return `certificate signature algorithm ${alg} not in CASignatureAlgorithms`;
  if (keyTypeOfPlainAlgorithm(alg) !== cert.signatureKey.type) return 'certificate signature algorithm does not match the CA key';
  // An sk CA's signature counts without a touch, as sshkey_verify does not look at the flags.
  const key = cert.signatureKey;
  const good = key.verifySecurityKey
    ? key.verifySecurityKey(alg, cert.signedData, cert.signature, ops) !== null
    : key.verify(alg, cert.signedData, cert.signature, ops);
  return good ? null : 'invalid certificate signature';
}

/** What a certificate is checked for when it is used (sshkey_cert_check_authority). */
export interface CertificateCheck {
  /** the type it must be */
  certType: number;
  /** the name that must be listed (the user name, or the host name typed); undefined: any */
  principal?: string;
  /** seconds since the epoch; default: now */
  now?: bigint;
  /** a user certificate without principals is refused (OpenSSH's servers require one) */
  requirePrincipal?: boolean;
}

/** Null when the certificate is good for `check`, or why not, in OpenSSH's words. */
export function checkCertificate(cert: Certificate, check: CertificateCheck): string | null {
  const now = check.now ?? BigInt(Math.floor(Date.now() / 1000));
  if (cert.certType !== check.certType) return `Certificate invalid: not a ${check.certType === CERT_TYPE_USER ? 'user' : 'host'} certificate`;
  if (now < cert.validAfter) return 'Certificate invalid: not yet valid';
  if (now >= cert.validBefore) return 'Certificate invalid: expired';
  if (cert.principals.length === 0) return check.requirePrincipal ? 'Certificate lacks principal list' : null;
  if (check.principal !== undefined && !cert.principals.includes(check.principal)) return 'Certificate invalid: name is not a listed principal';
  return null;
}

function writeOptions(options: readonly CertOption[]): Uint8Array {
  const sorted = [...options].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const w = new Writer(128);
  for (const o of sorted) w.string(o.name).string(o.data);
  return w.finish().slice();
}

/** The data of a critical option whose value is a string (force-command, source-address). */
export const optionStringData = (value: string): Uint8Array => new Writer(value.length + 8).string(value).finish().slice();

/** The certificate bytes up to and including the signature key: what the CA signs. */
export function encodeCertificateBody(f: CertificateFields): Uint8Array {
  const keyBlob = f.key.blob;
  const kr = new Reader(keyBlob, 0, 'certified key');
  kr.ascii('key type');
  const principals = new Writer(64);
  for (const p of f.principals) principals.string(p);
  return new Writer(keyBlob.length + 512)
    .string(certTypeFor(f.key.type))
    .string(f.nonce)
    .raw(kr.rest())
    .u64(f.serial)
    .u32(f.certType)
    .string(f.keyId)
    .string(principals.finish())
    .u64(f.validAfter)
    .u64(f.validBefore)
    .string(writeOptions(f.criticalOptions))
    .string(writeOptions(f.extensions))
    .string(new Uint8Array(0))
    .string(f.signatureKey.blob)
    .finish()
    .slice();
}

/**
 * Sign a certificate with the CA's private key using `algorithm` (default: the CA's best, so
 * rsa-sha2-512 for RSA). Options and extensions are written in lexical order.
 */
export async function signCertificate(
  fields: Omit<CertificateFields, 'signatureKey'>,
  ca: PrivateKey,
  algorithm = ca.signatureAlgorithms[0]!,
  ops?: PublicKeyOps,
): Promise<Certificate> {
  if (plainNameOf(fields.key.type) !== undefined) throw new KeyError('cannot certify a certificate');
  if (!PLAIN.has(fields.key.type)) throw new KeyError(`cannot certify a ${fields.key.type} key`, 'ALGO_UNSUPPORTED');
  const body = encodeCertificateBody({ ...fields, signatureKey: ca.publicKey });
  const signature = await ca.sign(algorithm, body, ops);
  const blob = new Writer(body.length + signature.length + 8).raw(body).string(signature).finish().slice();
  return parseCertificateBlob(blob);
}

/**
 * A private key presented with its certificate: its public key is the certificate, it signs
 * the certificate algorithms, and each signature is the plain key's (PROTOCOL.certkeys).
 * Throws KeyError when the certificate is for another key.
 */
export class CertifiedPrivateKey implements PrivateKey {
  readonly type: string;
  readonly signatureAlgorithms: readonly string[];

  constructor(
    readonly key: PrivateKey,
    readonly publicKey: Certificate,
  ) {
    if (!equalConstantTime(publicKey.key.blob, key.publicKey.blob)) throw new KeyError('certificate does not match the private key');
    this.type = publicKey.type;
    this.signatureAlgorithms = key.signatureAlgorithms.map(certTypeFor);
  }

  get comment(): string {
    return this.key.comment;
  }

  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array | Promise<Uint8Array> {
    const plain = plainNameOf(algorithm);
    if (plain === undefined || !this.signatureAlgorithms.includes(algorithm)) {
      throw new KeyError(`${this.type} key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    }
    return this.key.sign(plain, data, ops);
  }
}

/**
 * The private fields after a certificate in an openssh-key-v1 private section: the plain
 * key's, less what the certificate already holds (sshkey_private_deserialize with a
 * certificate type): ed25519 string A, string seed‖A; ecdsa mpint d; rsa mpint d, iqmp, p, q;
 * dsa mpint x.
 */
function readCertifiedPrivate(r: Reader, cert: Certificate): (comment: string, ops?: PublicKeyOps) => PrivateKey {
  const plain = cert.key;
  let build: (comment: string, ops?: PublicKeyOps) => PrivateKey;
  if (plain instanceof RsaPublicKey) {
    const d = r.mpint('rsa d');
    const iqmp = r.mpint('rsa iqmp');
    const p = r.mpint('rsa p');
    const q = r.mpint('rsa q');
    build = (comment) => new RsaPrivateKey({ n: plain.n, e: plain.e, d, p, q, iqmp }, comment);
  } else if (plain instanceof EcdsaPublicKey) {
    const d = r.mpint('ecdsa private scalar');
    build = (comment, ops) => ecdsaPrivateKey(plain.type.slice('ecdsa-sha2-'.length), d, comment, ops);
  } else if (plain instanceof DsaPublicKey) {
    const x = r.mpint('dsa x');
    build = (comment) => new DsaPrivateKey(plain.params, plain.y, x, comment);
  } else if (plain instanceof SkEd25519PublicKey || plain instanceof SkEcdsaPublicKey) {
    // sshkey_private_deserialize: ed25519-sk repeats A (which must match), ecdsa-sk does not; then the sk fields.
    const point = plain instanceof SkEd25519PublicKey ? r.string('ed25519-sk public key') : plain.point;
    const fields = readSkPrivateFields(r);
    if (!equalConstantTime(point, plain.point) || fields.application !== plain.application)
      throw new KeyError('security key private fields do not match the certificate');
    build = (comment) => new SecurityKeyPrivateKey(plain, fields, comment);
  } else {
    build = ED25519.readPrivate(r);
  }
  // the private key must be the certified one (CertifiedPrivateKey checks the public halves)
  return (comment, ops) => new CertifiedPrivateKey(build(comment, ops), cert);
}

/** The registry entries for certificate types: public keys, and private keys with their certificate (PROTOCOL.key). */
export function certificateKeyType(plainType: string): KeyType {
  const entry = PLAIN.get(plainType)!;
  return {
    type: certTypeFor(plainType),
    signatureAlgorithms: entry.keyType.signatureAlgorithms.map(certTypeFor),
    readPublic(r: Reader, blob: Uint8Array): PublicKey {
      void r;
      return parseCertificateBlob(blob);
    },
    readPrivate(r: Reader) {
      const cert = parseCertificateBlob(r.string('certificate').slice());
      if (cert.type !== certTypeFor(plainType)) throw new KeyError(`private key of type ${certTypeFor(plainType)} holds a ${cert.type} certificate`);
      return readCertifiedPrivate(r, cert);
    },
  };
}

export const CERTIFICATE_KEY_TYPES: readonly KeyType[] = [...PLAIN.keys()].map(certificateKeyType);
