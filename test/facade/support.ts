/**
 * Shared fixtures for the Net::SSH2 facade tests: one sshd both Net::SSH2 0.73 (libssh2
 * 1.10: no rsa-sha2, GCM, ChaCha or ETM) and puressh can talk to, an ed25519 user key, the
 * password test account, and a runner for Perl scripts that print JSON.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';

/** Algorithms libssh2 1.10 shares with OpenSSH 9.x. */
export const COMPAT_CONFIG = [
  'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group14-sha256',
  'Ciphers aes128-ctr,aes256-ctr',
  'MACs hmac-sha2-256,hmac-sha1',
  'HostKeyAlgorithms ssh-ed25519',
  'PubkeyAcceptedAlgorithms ssh-ed25519',
  'UsePAM yes',
  'PasswordAuthentication yes',
  'KbdInteractiveAuthentication yes',
  'AcceptEnv PURESSH_*',
  'AllowTcpForwarding yes',
  'GatewayPorts no',
];

export interface Fixture {
  sshd: Sshd;
  user: TestUser;
  /** the ed25519 user key (authorised for root, sshd.user) */
  key: string;
  pub: string;
  /** a scratch directory on the server side (same machine) */
  work: string;
}

/**
 * A tiny RFC 4819 publickey subsystem (OpenSSH has none) so PublicKey can be tested: version,
 * add, remove and list over an in-memory store, one store per session.
 */
const PUBLICKEY_SUBSYSTEM = String.raw`
import struct, sys
i, o = sys.stdin.buffer, sys.stdout.buffer
def rd(n):
    b = i.read(n)
    if len(b) < n: sys.exit(0)
    return b
def s(b, p):
    n = struct.unpack('>I', b[p:p+4])[0]; return b[p+4:p+4+n], p+4+n
def st(x): x = x if isinstance(x, bytes) else x.encode(); return struct.pack('>I', len(x)) + x
def send(body): o.write(struct.pack('>I', len(body)) + body); o.flush()
keys = []
while True:
    n = struct.unpack('>I', rd(4))[0]; b = rd(n); req, p = s(b, 0)
    if req == b'version': send(st('version') + struct.pack('>I', 2)); continue
    if req == b'list':
        for (kn, kb, ka) in keys:
            send(st('publickey') + st(kn) + st(kb) + struct.pack('>I', len(ka)) + b''.join(st(a) + st(v) for a, v in ka))
        send(st('status') + struct.pack('>I', 0) + st('ok') + st('')); continue
    name, p = s(b, p); blob, p = s(b, p)
    if req == b'add':
        over = b[p]; cnt = struct.unpack('>I', b[p+1:p+5])[0]; p += 5; attrs = []
        for _ in range(cnt):
            an, p = s(b, p); av, p = s(b, p); p += 1; attrs.append((an, av))
        exists = any(k[1] == blob for k in keys)
        if exists and not over: send(st('status') + struct.pack('>I', 4) + st('exists') + st('')); continue
        keys[:] = [k for k in keys if k[1] != blob] + [(name, blob, attrs)]
        send(st('status') + struct.pack('>I', 0) + st('ok') + st(''))
    elif req == b'remove':
        before = len(keys); keys[:] = [k for k in keys if k[1] != blob]
        send(st('status') + struct.pack('>I', 0 if len(keys) < before else 2) + st('done') + st(''))
`;

export async function startFixture(): Promise<Fixture> {
  const user = ensureTestUser();
  const scriptDir = mkdtempSync(join(tmpdir(), 'puressh-pk-'));
  const script = join(scriptDir, 'publickey.py');
  writeFileSync(script, PUBLICKEY_SUBSYSTEM);
  const sshd = await startSshd({ config: [...COMPAT_CONFIG, `Subsystem publickey /usr/bin/python3 ${script}`], hostKeyTypes: ['ed25519'] });
  const work = join(sshd.dir, 'work');
  mkdirSync(work, { recursive: true });
  return { sshd, user, key: sshd.userKeys.ed25519.privatePath, pub: sshd.userKeys.ed25519.publicPath, work };
}

/**
 * Run a Perl script (strict, Net::SSH2 and JSON::PP loaded; `@ARGV` = args) and parse the
 * JSON it prints on stdout. Binary values should be hex-encoded by the script.
 */
export function runPerl(script: string, args: (string | number)[] = [], env: Record<string, string> = {}): Promise<unknown> {
  const prelude =
    'use strict; use warnings; no warnings "deprecated"; use Net::SSH2 qw(:all); use JSON::PP; my $J = JSON::PP->new->canonical->allow_nonref; sub out { print $J->encode($_[0]) } \n';
  return new Promise((resolve, reject) => {
    execFile(
      'perl',
      ['-e', prelude + script, ...args.map(String)],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`perl failed: ${err.message}\n${stderr}`));
        else {
          try {
            resolve(JSON.parse(stdout));
          } catch {
            reject(new Error(`perl printed no JSON: ${stdout}\n${stderr}`));
          }
        }
      },
    );
  });
}

export const hex = (b: Uint8Array | undefined): string | null => (b ? Buffer.from(b).toString('hex') : null);

export function writeLocal(path: string, content: string | Uint8Array, mode = 0o644): void {
  writeFileSync(path, content, { mode });
}
