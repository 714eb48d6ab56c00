/**
 * Net::SSH2's `check_hostkey(policy, path, comment)`, with the documented meaning of each
 * policy (docs/net-ssh2.md lists where Net::SSH2 0.73 behaves otherwise):
 * strict accepts only known keys; ask puts an unknown key to the user and saves it if
 * accepted; tofu saves and accepts an unknown key; advisory accepts everything and saves
 * nothing; a callback `(ss, check, comment)` decides for any key that is not a match.
 */
import { toHex } from '../crypto/encoding.js';
import { LIBSSH2_ERROR } from '../errors.js';
import { hostPortName } from '../knownhosts/match.js';
import { OTHER, parseConstant } from './constants.js';
import { defaultKnownHostsPath } from './node-io.js';
import type { SSH2 } from './ssh2.js';

/** A `check_hostkey` policy: a LIBSSH2_HOSTKEY_POLICY_* value or name, or a callback. */
export type HostkeyPolicy = string | number | ((ss: SSH2, check: number, comment: string | undefined) => unknown);

const { LIBSSH2_KNOWNHOST_TYPE_PLAIN, LIBSSH2_KNOWNHOST_KEYENC_RAW, LIBSSH2_KNOWNHOST_KEY_SHIFT } = OTHER;
const MATCH = 0;
const NOTFOUND = 2;
const FAILURE = 3;
const STRICT = 1;
const ASK = 2;
const ADVISORY = 4;

export async function checkHostkey(
  ss: SSH2,
  policy: HostkeyPolicy = STRICT,
  path: string = defaultKnownHostsPath(),
  comment?: string,
): Promise<string | number | undefined> {
  const cb = typeof policy === 'function' ? policy : null;
  const p = cb ? 0 : parseConstant('HOSTKEY_POLICY', policy as string | number);
  if (p === undefined) return ss._set_error(LIBSSH2_ERROR.INVAL, `unknown host key policy ${String(policy)}`);
  const hostname = ss.hostname();
  const rk = ss.remote_hostkey();
  if (hostname === undefined || !rk) return ss._set_error(LIBSSH2_ERROR.SOCKET_NONE, 'not connected');
  const [key, type] = rk;
  const flags = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | ((type + 1) << LIBSSH2_KNOWNHOST_KEY_SHIFT);

  const kh = ss.known_hosts();
  let check: number;
  const n = await kh.readfile(path);
  // A missing file holds no keys: the host is "not found" (Net::SSH2 0.73 reports FAILURE).
  if (n === undefined && ss.error() !== LIBSSH2_ERROR.FILE) check = FAILURE;
  else check = kh.check(hostname, ss.port(), key, flags);
  if (check === MATCH) return '00';

  if (cb) {
    const ok = await cb(ss, check, comment);
    if (!ok) ss._set_error(LIBSSH2_ERROR.KNOWN_HOSTS, 'Host key verification failed');
    return ok ? (ok as string | number) : undefined;
  }
  if (p === ADVISORY) return check;
  if (check === NOTFOUND) {
    ss._set_error(LIBSSH2_ERROR.KNOWN_HOSTS, 'Unable to verify host key, host not found');
    if (p === STRICT) return undefined;
    if (p === ASK) {
      const fp = toHex(ss.hostkey_hash('sha1')!);
      const yes = await ss._ask_user(
        `The authenticity of host '${hostname}' can't be established.\nKey fingerprint is SHA1:${fp}.\nAre you sure you want to continue connecting (yes/no)? `,
        true,
      );
      if (!/^y(es)?$/i.test(yes ?? '')) return ss._set_error(LIBSSH2_ERROR.KNOWN_HOSTS, 'Host key verification failed: user did not accept the key');
    }
    // TOFU, or ASK answered yes: remember the key. As ssh does, a failure to save is not a verification failure.
    const name = hostPortName(hostname, ss.port() ?? 22);
    if (kh.add(name, '', key, comment ?? '(Net::SSH2)', flags)) await kh.writefile(path);
    return check;
  }
  return ss._set_error(
    LIBSSH2_ERROR.KNOWN_HOSTS,
    `Host key verification failed: ${check === FAILURE ? 'unable to perform the check' : 'the host key has changed'}`,
  );
}
