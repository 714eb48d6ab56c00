/**
 * Shared fixtures for the Net::SSH2 facade tests: one sshd both Net::SSH2 0.73 (libssh2
 * 1.10: no rsa-sha2, GCM, ChaCha or ETM) and puressh can talk to, an ed25519 user key, the
 * password test account, and a runner for Perl scripts that print JSON.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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

export async function startFixture(): Promise<Fixture> {
  const user = ensureTestUser();
  const sshd = await startSshd({ config: COMPAT_CONFIG, hostKeyTypes: ['ed25519'] });
  const work = join(sshd.dir, 'work');
  mkdirSync(work, { recursive: true });
  return { sshd, user, key: sshd.userKeys.ed25519.privatePath, pub: sshd.userKeys.ed25519.publicPath, work };
}

/**
 * Run a Perl script (strict, Net::SSH2 and JSON::PP loaded; `@ARGV` = args) and parse the
 * JSON it prints on stdout. Binary values should be hex-encoded by the script.
 */
export function runPerl(script: string, args: (string | number)[] = [], env: Record<string, string> = {}): Promise<unknown> {
  const prelude = 'use strict; use warnings; no warnings "deprecated"; use Net::SSH2 qw(:all); use JSON::PP; my $J = JSON::PP->new->canonical->allow_nonref; sub out { print $J->encode($_[0]) } \n';
  return new Promise((resolve, reject) => {
    execFile('perl', ['-e', prelude + script, ...args.map(String)], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`perl failed: ${err.message}\n${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`perl printed no JSON: ${stdout}\n${stderr}`));
        }
      }
    });
  });
}

export const hex = (b: Uint8Array | undefined): string | null => (b ? Buffer.from(b).toString('hex') : null);

export function writeLocal(path: string, content: string | Uint8Array, mode = 0o644): void {
  writeFileSync(path, content, { mode });
}
