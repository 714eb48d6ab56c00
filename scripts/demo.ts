/**
 * `npm run demo`: a throwaway OpenSSH sshd on 127.0.0.1 (temp dir, generated keys), and
 * puressh talking to it: host key check against known_hosts, publickey auth with a fresh
 * ed25519 key, a few commands, the negotiated algorithms and how long each step took.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { checkKnownHost, knownHostName } from '../src/cli/known-hosts.js';
import { keyLabel } from '../src/cli/host-key.js';
import type { HostKeyInfo, SshClient } from '../src/client.js';
import { parsePrivateKey } from '../src/crypto/keys/index.js';
import { connectTcp, NODE_PREFERRED_CIPHERS, nodeProvider, socketStream, SshClient as Client } from '../src/node.js';
import { SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd, type Sshd } from '../test/support/sshd.js';

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const green = paint('32');
const red = paint('31');
const dim = paint('2');
const ms = (t: number): string => `${t.toFixed(1)} ms`;
const say = (s = ''): void => void process.stdout.write(s + '\n');

/** Debian's openssh-server: installed here when we are root, else the command is printed. */
function ensureSshd(): boolean {
  if (existsSync(SSHD_PATH)) return true;
  if (process.getuid?.() === 0) {
    say(`OpenSSH server not found; installing it: apt-get update && ${SSHD_INSTALL_COMMAND}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server', 'openssh-client'], { stdio: 'inherit', env });
    return existsSync(SSHD_PATH);
  }
  say(red(`OpenSSH server (${SSHD_PATH}) is not installed. Install it with:`));
  say(`  sudo ${SSHD_INSTALL_COMMAND}`);
  say('then run `npm run demo` again.');
  return false;
}

async function main(): Promise<number> {
  say(bold('puressh demo: a pure-TypeScript SSH client against a real OpenSSH server'));
  say();
  if (!ensureSshd()) return 1;
  const sshd = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa256', 'rsa'], rsaBits: 2048 });
  try {
    return await demo(sshd);
  } finally {
    await sshd.stop();
    say(dim(`sshd stopped, ${sshd.dir} removed`));
  }
}

async function demo(sshd: Sshd): Promise<number> {
  say(`${bold('sshd')}         ${opensshVersion()} on ${sshd.host}:${sshd.port} (temp dir ${sshd.dir})`);
  say(`${bold('user')}         ${sshd.user}, key ${sshd.userKeys.ed25519.privatePath} (ed25519, generated just now)`);
  say();

  const hostName = knownHostName(sshd.host, sshd.port);
  let seen: { info: HostKeyInfo; line: number; file: string } | null = null;
  let kexDone = 0;
  const debug = (line: string): void => {
    if (!kexDone && /key exchange 1 complete/.test(line)) kexDone = performance.now();
  };

  const t0 = performance.now();
  const socket = await connectTcp(sshd.host, sshd.port, 5000);
  const tTcp = performance.now();
  let tVerified = 0;
  const client: SshClient = await Client.connect(socketStream(socket), {
    username: sshd.user,
    privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
    // what connect() from src/node.ts does, split here to time the TCP connect on its own
    crypto: nodeProvider,
    algorithms: { cipher: [...NODE_PREFERRED_CIPHERS] },
    debug,
    timeout: 15_000,
    hostKeyVerifier: (info) => {
      tVerified = performance.now();
      const r = checkKnownHost([sshd.knownHostsPath], hostName, info);
      if (r.status !== 'match') return false;
      seen = { info, line: r.entry.line, file: r.entry.file };
      return true;
    },
  });
  const tAuth = performance.now();
  const kexEnd = kexDone || tVerified;

  const hk = seen as { info: HostKeyInfo; line: number; file: string } | null;
  if (!hk) throw new Error('host key was not checked');
  const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', sshd.hostKeys[hostKeyTypeName(hk.info.type)]!.path + '.pub'], { encoding: 'utf8' });
  say(bold('host key'));
  say(`  ${keyLabel(hk.info.type)} ${hk.info.fingerprint}  (signature ${hk.info.algorithm})`);
  say(`  ${green('✓')} matches ${hostName} in ${hk.file}:${hk.line}`);
  say(`  ${keygen.includes(hk.info.fingerprint) ? green('✓') : red('✗')} ssh-keygen -l agrees: ${keygen.trim().split(' ').slice(0, 2).join(' ')}`);
  say(`  ${green('✓')} authenticated with ${client.authMethod} (ed25519)`);
  say();

  const a = client.algorithms;
  say(bold('negotiated'));
  const rows: [string, string][] = [
    ['server', client.serverVersion],
    ['kex', a.kex + (client.strictKex ? ' (strict kex)' : '')],
    ['host key', a.hostKey],
    ['cipher', a.cipherCS === a.cipherSC ? a.cipherCS : `${a.cipherCS} / ${a.cipherSC}`],
    ['mac', macLabel(a.macCS, a.cipherCS) + (a.macCS === a.macSC ? '' : ` / ${macLabel(a.macSC, a.cipherSC)}`)],
    ['compression', a.compressionCS === a.compressionSC ? a.compressionCS : `${a.compressionCS} / ${a.compressionSC}`],
  ];
  for (const [k, v] of rows) say(`  ${k.padEnd(12)}${v}`);
  say();

  say(bold('commands'));
  const execTimes: [string, number][] = [];
  const run = async (command: string, input?: string): Promise<void> => {
    const t = performance.now();
    const r = await client.run(command, input === undefined ? undefined : new TextEncoder().encode(input));
    execTimes.push([command, performance.now() - t]);
    say(`  ${dim('$')} ${command}${input === undefined ? '' : dim(`   (stdin: ${JSON.stringify(input)})`)}`);
    for (const l of text(r.stdout)) say(`    ${l}`);
    for (const l of text(r.stderr)) say(`    ${red('stderr:')} ${l}`);
    const status = r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
    say(`    ${r.code === 0 ? green(status) : red(status)}  ${dim(ms(performance.now() - t))}`);
  };
  await run('uname -a');
  await run('echo "hello from $(whoami) on $(hostname), HOME=$HOME"');
  await run('tr a-z A-Z', 'streamed through stdin');
  await run('echo "this goes to stderr" >&2; exit 3');

  // a quick throughput sample
  const size = 64 * 1024 * 1024;
  const tBulk = performance.now();
  const ch = await client.exec(`head -c ${size} /dev/zero`);
  let got = 0;
  for (let c = await ch.read(); c !== null; c = await ch.read()) got += c.length;
  await ch.exit;
  const bulkMs = performance.now() - tBulk;
  say(
    `  ${dim('$')} head -c ${size} /dev/zero    ${got === size ? green('✓') : red('✗')} ${got} bytes in ${ms(bulkMs)} (${(got / 1e6 / (bulkMs / 1000)).toFixed(0)} MB/s)`,
  );
  say();

  await client.disconnect();
  say(bold('timings'));
  say(`  ${'tcp connect'.padEnd(33)}${ms(tTcp - t0)}`);
  say(`  ${'version + kex'.padEnd(33)}${ms(kexEnd - tTcp)}`);
  say(`  ${'auth'.padEnd(33)}${ms(tAuth - kexEnd)}`);
  for (const [c, t] of execTimes) say(`  exec ${(c.length > 26 ? c.slice(0, 25) + '…' : c).padEnd(28)}${ms(t)}`);
  say(`  ${'connect total'.padEnd(33)}${ms(tAuth - t0)}`);
  say();
  return 0;
}

function text(b: Uint8Array): string[] {
  const s = new TextDecoder().decode(b).replace(/\n$/, '');
  return s === '' ? [] : s.split('\n');
}

function macLabel(mac: string, cipher: string): string {
  return mac === '' || mac === '<implicit>' || /gcm|poly1305/.test(cipher) ? `(implicit in ${cipher})` : mac;
}

function hostKeyTypeName(type: string): 'ed25519' | 'ecdsa256' | 'rsa' {
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa')) return 'ecdsa256';
  return 'rsa';
}

/** "OpenSSH_9.2p1 Debian-2+deb12u10" (sshd -V prints it on stderr). */
function opensshVersion(): string {
  const r = spawnSync(SSHD_PATH, ['-V'], { encoding: 'utf8' });
  return (r.stderr || r.stdout || 'OpenSSH').trim().split(',')[0]!;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`demo failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
