/**
 * The demo (`npm run demo`): start a throwaway OpenSSH sshd on 127.0.0.1 with generated
 * keys, connect with puressh, verify the host key, authenticate with an ed25519 key, run
 * commands, and print the negotiated algorithms and timings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from '../src/node.js';
import { parsePrivateKey, parsePublicKeyLine } from '../src/crypto/keys/index.js';
import { fingerprintSHA256 } from '../src/crypto/fingerprint.js';
import { SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd } from '../test/support/sshd.js';

function ensureSshd(): void {
  if (existsSync(SSHD_PATH)) return;
  if (process.getuid?.() === 0) {
    console.log(`OpenSSH server not found; installing it: apt-get update && ${SSHD_INSTALL_COMMAND}`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return;
  }
  console.error(`The demo needs Debian's OpenSSH server: sudo ${SSHD_INSTALL_COMMAND}`);
  process.exit(1);
}

const dec = new TextDecoder();
const ms = (t: number) => `${(performance.now() - t).toFixed(1)} ms`;

ensureSshd();
console.log('Starting a throwaway OpenSSH sshd on 127.0.0.1 ...');
const sshd = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa256', 'rsa'], rsaBits: 2048 });
try {
  const known = parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key;
  const expected = fingerprintSHA256(known.blob);
  console.log(`sshd ${sshd.host}:${sshd.port}, its ed25519 host key is ${expected}\n`);

  const t0 = performance.now();
  const client = await connect({
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
    algorithms: { hostKey: ['ssh-ed25519'] },
    hostKeyVerifier: (info) => {
      const ok = info.fingerprint === expected;
      console.log(`host key offered: ${info.type} ${info.fingerprint} -> ${ok ? 'matches, trusted' : 'MISMATCH, refused'}`);
      return ok;
    },
  });
  console.log(`connected, key exchange done and authenticated (${client.authMethod}) in ${ms(t0)}`);
  console.log(`server: ${client.serverVersion}`);
  const a = client.algorithms;
  console.log('negotiated:');
  console.log(`  kex          ${a.kex}${client.strictKex ? ' (strict KEX)' : ''}`);
  console.log(`  host key     ${a.hostKey}`);
  console.log(`  cipher       ${a.cipherCS} / ${a.cipherSC}`);
  console.log(`  mac          ${a.macCS || '(implicit, AEAD)'} / ${a.macSC || '(implicit, AEAD)'}`);
  console.log(`  compression  ${a.compressionCS} / ${a.compressionSC}\n`);

  for (const cmd of ['uname -sr', 'echo "hello from $(whoami) on the far side"', 'echo to-stderr >&2; exit 3']) {
    const t = performance.now();
    const r = await client.run(cmd);
    console.log(`$ ${cmd}    [${ms(t)}]`);
    if (r.stdout.length) process.stdout.write(dec.decode(r.stdout));
    if (r.stderr.length) process.stdout.write(`(stderr) ${dec.decode(r.stderr)}`);
    console.log(`(exit status ${r.code})\n`);
  }

  const size = 64 * 1024 * 1024;
  const t = performance.now();
  const ch = await client.exec(`head -c ${size} /dev/zero`);
  let n = 0;
  for (let c = await ch.read(); c; c = await ch.read()) n += c.length;
  const secs = (performance.now() - t) / 1000;
  console.log(`streamed ${n} bytes in ${secs.toFixed(2)} s: ${(n / 1e6 / secs).toFixed(0)} MB/s`);

  await client.disconnect();
  console.log('disconnected cleanly');
} finally {
  await sshd.stop();
}
