/**
 * The algorithm lists of `puressh sshd` (server role): what sshd_config's Ciphers, MACs,
 * KexAlgorithms, HostKeyAlgorithms, PubkeyAcceptedAlgorithms, HostbasedAcceptedAlgorithms and
 * CASignatureAlgorithms start from, which names they may name, and how a spec
 * (`+`/`-`/`^`/plain, algo-list.ts) becomes the effective list.
 *
 * Names OpenSSH knows but puressh does not implement (sntrup761…) are accepted in a
 * config, as sshd accepts them, and drop out of the effective list, exactly as sshd drops
 * names its build lacks (kex_assemble_names filters by the supported list): a config
 * written for OpenSSH still loads. `droppedAlgorithms` names them, for a warning.
 */
import { DEFAULT_PUBKEY_ALGORITHMS, SECURITY_KEY_ALGORITHMS, SUPPORTED_CERT_ALGORITHMS } from '../crypto/keys/index.js';
import { DEFAULT_CIPHERS, DEFAULT_KEX, DEFAULT_MACS, SUPPORTED_CIPHERS, SUPPORTED_HOSTKEY_ALGORITHMS, SUPPORTED_KEX, SUPPORTED_MACS } from '../node.js';
import { assembleAlgorithmList, matchWildcard } from './algo-list.js';

export type AlgorithmKind = 'cipher' | 'mac' | 'kex' | 'key';

/** Names OpenSSH (9.2 up to 10) accepts in these keywords beyond puressh's own (`ssh -Q`). */
const OPENSSH_ONLY: Record<AlgorithmKind, readonly string[]> = {
  cipher: ['3des-cbc', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'rijndael-cbc@lysator.liu.se'],
  mac: ['hmac-sha1-96', 'hmac-md5', 'hmac-md5-96', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com', 'hmac-md5-96-etm@openssh.com'],
  kex: [
    'mlkem768x25519-sha256',
    'sntrup761x25519-sha512',
    'sntrup761x25519-sha512@openssh.com',
    'diffie-hellman-group1-sha1',
    'diffie-hellman-group-exchange-sha1',
  ],
  // a signature format of sk-ecdsa keys, never a key algorithm of its own in puressh
  key: ['webauthn-sk-ecdsa-sha2-nistp256@openssh.com'],
};

/**
 * Key algorithms in OpenSSH's own order (sshkey.c keyimpls[]): a wildcard such as
 * `HostKeyAlgorithms ssh-ed*` expands in this order, so it must be OpenSSH's.
 */
const KEY_ORDER = [
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-dss-cert-v01@openssh.com',
  'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-512-cert-v01@openssh.com',
];

const KEYS_SUPPORTED = new Set([...SUPPORTED_CERT_ALGORITHMS, ...SUPPORTED_HOSTKEY_ALGORITHMS, ...SECURITY_KEY_ALGORITHMS]);

/** Every name puressh's server can use, per list (sshd's "all"). */
export const SERVER_SUPPORTED = {
  cipher: SUPPORTED_CIPHERS,
  mac: SUPPORTED_MACS,
  kex: SUPPORTED_KEX,
  key: [...KEY_ORDER.filter((k) => KEYS_SUPPORTED.has(k)), ...[...KEYS_SUPPORTED].filter((k) => !KEY_ORDER.includes(k))],
} as const;

/** Plain signature algorithms a CA may sign with (sshd's all_sig: no certificates). */
const CA_SIG_SUPPORTED = SERVER_SUPPORTED.key.filter((k) => !k.includes('-cert-'));

/** sshd's defaults (myproposal.h KEX_SERVER_*, KEX_DEFAULT_PK_ALG, SSH_ALLOWED_CA_SIGALGS) as far as puressh implements them. */
export const SERVER_DEFAULTS = {
  ciphers: DEFAULT_CIPHERS,
  macs: DEFAULT_MACS,
  kexalgorithms: DEFAULT_KEX,
  hostkeyalgorithms: DEFAULT_PUBKEY_ALGORITHMS,
  pubkeyacceptedalgorithms: DEFAULT_PUBKEY_ALGORITHMS,
  hostbasedacceptedalgorithms: DEFAULT_PUBKEY_ALGORITHMS,
  casignaturealgorithms: [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'sk-ssh-ed25519@openssh.com',
    'sk-ecdsa-sha2-nistp256@openssh.com',
    'rsa-sha2-512',
    'rsa-sha2-256',
  ].filter((a) => CA_SIG_SUPPORTED.includes(a)),
} as const;

export type AlgorithmListName = keyof typeof SERVER_DEFAULTS;

function known(kind: AlgorithmKind): Set<string> {
  return new Set([...SERVER_SUPPORTED[kind], ...OPENSSH_ONLY[kind]]);
}

/**
 * The parse-time check (ciphers_valid, mac_valid, kex_names_valid, sshkey_names_valid2):
 * after a leading `+` or `^`, every name up to the first empty one is known; key
 * algorithms may be patterns that match some known name.
 */
export function validAlgorithmSpec(kind: AlgorithmKind, spec: string): boolean {
  const body = spec.startsWith('+') || spec.startsWith('^') ? spec.slice(1) : spec;
  if (body === '') return false;
  const names = known(kind);
  for (const n of body.split(',')) {
    if (n === '') break;
    if (names.has(n)) continue;
    if (kind === 'key' && [...names].some((k) => patternListMatches(k, n))) continue;
    return false;
  }
  return true;
}

function patternListMatches(name: string, list: string): boolean {
  return list.split(',').some((p) => matchWildcard(name, p.startsWith('!') ? p.slice(1) : p));
}

/**
 * The effective list for a keyword's spec (undefined: not set). An empty `-` result gives the
 * defaults, as `sshd -T` shows; null where no name of a plain, `+` or `^` list is usable.
 */
export function assembleServerList(name: AlgorithmListName, spec: string | undefined): string[] | null {
  const defaults = SERVER_DEFAULTS[name];
  if (spec === undefined) return [...defaults];
  const all =
    name === 'ciphers'
      ? SERVER_SUPPORTED.cipher
      : name === 'macs'
        ? SERVER_SUPPORTED.mac
        : name === 'kexalgorithms'
          ? SERVER_SUPPORTED.kex
          : name === 'casignaturealgorithms'
            ? CA_SIG_SUPPORTED
            : SERVER_SUPPORTED.key;
  const out = assembleAlgorithmList(spec, defaults, all);
  if (out === null) return null;
  return out.length === 0 ? [...defaults] : out;
}

/** Names a spec lists that OpenSSH knows and puressh does not implement (dropped from the effective list). */
export function droppedAlgorithms(kind: AlgorithmKind, spec: string): string[] {
  if (spec.startsWith('-')) return [];
  const body = spec.startsWith('+') || spec.startsWith('^') ? spec.slice(1) : spec;
  return body.split(',').filter((n) => OPENSSH_ONLY[kind].includes(n) && !SERVER_SUPPORTED[kind].includes(n));
}
