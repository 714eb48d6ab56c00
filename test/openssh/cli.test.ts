/**
 * `puressh ssh` end to end against a real OpenSSH sshd, beside OpenSSH's own ssh run with
 * the very same command line: output, exit status and failures must agree.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCliBundle, CLI_BUNDLE_DIR } from '../../scripts/build-cli.js';
import { SUPPORTED_CIPHERS } from '../../src/transport/cipher/index.js';
import { SUPPORTED_KEX } from '../../src/kex/index.js';
import { closedPort } from '../support/bad-servers.js';
import { opensshArgs, runOpenSsh } from '../support/ssh-client.js';
import { startSshd, USER_KEY_TYPES, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function puressh(argv: string[], opts: { input?: Uint8Array | string; env?: NodeJS.ProcessEnv; bin?: boolean } = {}): Promise<Result> {
  const [cmd, args] = opts.bin ? [join(root, 'bin/puressh'), argv] : [process.execPath, ['--import', 'tsx', entry, ...argv]];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

/** `puressh ssh <ssh's argv>` */
const pssh = (argv: string[], opts?: Parameters<typeof puressh>[1]) => puressh(['ssh', ...argv], opts);

describe('puressh ssh CLI against OpenSSH sshd', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  it('gives the same stdout, stderr and exit status as ssh for the same command line', async () => {
    for (const command of ['echo hi', 'echo out; echo err >&2; exit 42', 'printf "%s|" "$0" a\\ b']) {
      const argv = opensshArgs(sshd, command);
      const [ours, theirs] = [await pssh(argv), await runOpenSsh(sshd, command)];
      expect(ours.stderr, command).to.equal(theirs.stderr);
      expect(ours.stdout.toString(), command).to.equal(theirs.stdout.toString());
      expect(ours.code, command).to.equal(theirs.code);
    }
  });

  it('streams stdin to the command and its output back (4 MiB each way)', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const r = await pssh(opensshArgs(sshd, 'cat'), { input: data });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.equals(data)).to.equal(true);
    const h = await pssh(opensshArgs(sshd, 'sha256sum'), { input: data });
    expect(h.stdout.toString().split(' ')[0]).to.equal(createHash('sha256').update(data).digest('hex'));
  });

  it('runs the login shell on stdin when no command is given, and -n closes stdin', async () => {
    const r = await pssh(opensshArgs(sshd, null), { input: 'echo via-shell\nexit 5\n' });
    expect(r.stdout.toString()).to.equal('via-shell\n');
    expect(r.code).to.equal(5);
    const n = await pssh(['-n', ...opensshArgs(sshd, 'cat; echo done')], { input: 'ignored' });
    expect(n.stdout.toString()).to.equal('done\n');
  });

  it('authenticates with every user key type', async () => {
    for (const key of USER_KEY_TYPES) {
      const r = await pssh(opensshArgs(sshd, 'echo ok', { key }));
      expect(r.code, `${key}: ${r.stderr}`).to.equal(0);
    }
  });

  it('applies -c, -m, -C and the algorithm -o options (seen in the -v trace)', async () => {
    const cases: [string[], RegExp[]][] = [
      [
        ['-c', 'aes256-ctr', '-m', 'hmac-sha2-512'],
        [/cipher=aes256-ctr/, /mac=hmac-sha2-512\b/],
      ],
      [
        ['-o', 'KexAlgorithms=ecdh-sha2-nistp384', '-o', 'HostKeyAlgorithms=ecdsa-sha2-nistp256'],
        [/kex=ecdh-sha2-nistp384/, /hostkey=ecdsa-sha2-nistp256/],
      ],
      [
        ['-o', 'Ciphers=^aes128-ctr', '-o', 'MACs=-hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com'],
        [/cipher=aes128-ctr/, /mac=umac-64-etm@openssh.com/],
      ],
      [['-c', 'aes128-ctr', '-m', 'umac-64@openssh.com'], [/mac=umac-64@openssh\.com\b/]],
      [
        [
          '-o',
          'Ciphers=^aes128-ctr',
          '-o',
          'MACs=-umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com',
        ],
        [/cipher=aes128-ctr/, /mac=hmac-sha1-etm@openssh.com/],
      ],
      [
        ['-C', '-o', 'HostKeyAlgorithms=rsa-sha2-256'],
        [/compression=zlib@openssh.com/, /hostkey=rsa-sha2-256/],
      ],
    ];
    for (const [flags, want] of cases) {
      const r = await pssh(['-v', ...flags, ...opensshArgs(sshd, 'echo ok')]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.toString()).to.equal('ok\n');
      for (const re of want) expect(r.stderr, `${flags.join(' ')}: ${re}`).to.match(re);
      expect(r.stderr).to.match(/^debug1: /m);
    }
  });

  it('fails like ssh, with status 255 and one reason line', async () => {
    const closed = await closedPort();
    const badKh = join(sshd.dir, 'kh-bad');
    writeFileSync(badKh, `[127.0.0.1]:${sshd.port} ${sshd.userKeys.ed25519.publicLine}\n`);
    const cases: [string, string[], RegExp][] = [
      [
        'closed port',
        ['-p', String(closed.port), '-o', 'BatchMode=yes', '127.0.0.1', 'true'],
        new RegExp(`^puressh: connect to host 127\\.0\\.0\\.1 port ${closed.port}: Connection refused\\n$`),
      ],
      [
        'unknown host key',
        opensshArgs(sshd, 'true', { options: ['UserKnownHostsFile=/dev/null'] }),
        /^No ED25519 host key is known for \[127\.0\.0\.1\]:\d+ and you have requested strict checking\.\nHost key verification failed\.\n$/,
      ],
      [
        'ask in batch mode',
        opensshArgs(sshd, 'true', { options: ['UserKnownHostsFile=/dev/null', 'StrictHostKeyChecking=ask'] }),
        /^Host key verification failed\.\n$/,
      ],
      [
        'changed host key',
        opensshArgs(sshd, 'true', { options: [`UserKnownHostsFile=${badKh}`] }),
        /REMOTE HOST IDENTIFICATION HAS CHANGED.*kh-bad:1\nHost key verification failed\.\n$/,
      ],
      // as root, /dev/null (0666) is a key file of ours that others can read: refused as ssh refuses it
      [
        'wrong key',
        opensshArgs(sshd, 'true', { key: '/dev/null', options: ['PasswordAuthentication=no'] }),
        new RegExp(
          `^(?:[^]*\\nLoad key "/dev/null": bad permissions\\n)?${sshd.user}@127\\.0\\.0\\.1: Permission denied \\(publickey,password,keyboard-interactive\\)\\.\\n$`,
        ),
      ],
      [
        'no common cipher',
        opensshArgs(sshd, 'true', { options: ['Ciphers=aes128-cbc', 'LogLevel=INFO'] }),
        /^Unable to negotiate with 127\.0\.0\.1 port \d+: no matching cipher found\. Their offer: chacha20-poly1305@openssh\.com,/,
      ],
      ['bad spec', opensshArgs(sshd, 'true', { options: ['Ciphers=nonsense'] }), /^puressh: Bad SSH2 cipher spec 'nonsense'\.\n$/],
    ];
    for (const [name, argv, re] of cases) {
      const r = await pssh(argv);
      expect(r.code, name).to.equal(255);
      expect(r.stdout.length, name).to.equal(0);
      expect(r.stderr, name).to.match(re);
      if (name !== 'bad spec' && name !== 'wrong key') {
        // OpenSSH agrees that it fails (its -i /dev/null is an error of its own)
        const theirs = await runOpenSsh({ ...sshd, port: name === 'closed port' ? closed.port : sshd.port }, 'true', {
          options: argv.filter((_, i) => argv[i - 1] === '-o'),
        });
        expect(theirs.code, `ssh: ${name}`).to.equal(255);
      }
    }
    expect(sshd.logs()).to.not.match(/Failed publickey for .* ED25519 SHA256/); // refused host keys never reached auth
  });

  it('accept-new adds a known_hosts line that ssh accepts; HashKnownHosts hashes it', async () => {
    for (const hash of ['no', 'yes']) {
      const kh = join(sshd.dir, `kh-new-${hash}`);
      const r = await pssh(
        opensshArgs(sshd, 'echo first', {
          options: [`UserKnownHostsFile=${kh}`, 'StrictHostKeyChecking=accept-new', `HashKnownHosts=${hash}`, 'LogLevel=INFO'],
        }),
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/^Warning: Permanently added '\[127\.0\.0\.1\]:\d+' \((ED25519|ECDSA|RSA)\) to the list of known hosts\.\n$/);
      const line = readFileSync(kh, 'utf8');
      expect(line.startsWith('|1|')).to.equal(hash === 'yes');
      const again = await pssh(opensshArgs(sshd, 'echo again', { options: [`UserKnownHostsFile=${kh}`] }));
      expect(again.stdout.toString()).to.equal('again\n');
      const theirs = await runOpenSsh({ ...sshd, knownHostsPath: kh }, 'echo theirs');
      expect(theirs.code, theirs.stderr).to.equal(0);
    }
  });

  it("UpdateHostKeys=yes learns the server's other host keys, proven, into known_hosts (as ssh does)", async () => {
    const lines = Object.values(sshd.hostKeys).map((hk) => hk.publicLine.split(' ').slice(0, 2).join(' '));
    const kh = join(sshd.dir, 'kh-update');
    // Only the ed25519 key is known to start with.
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${lines.find((l) => l.startsWith('ssh-ed25519'))}\n`);
    const opts = [`UserKnownHostsFile=${kh}`, 'StrictHostKeyChecking=yes', 'HostKeyAlgorithms=ssh-ed25519'];
    const off = await pssh(opensshArgs(sshd, 'true', { options: opts }));
    expect(off.code, off.stderr).to.equal(0);
    expect(readFileSync(kh, 'utf8').trim().split('\n')).to.have.length(1);
    const r = await pssh(['-v', ...opensshArgs(sshd, 'true', { options: [...opts, 'UpdateHostKeys=yes'] })]);
    expect(r.code, r.stderr).to.equal(0);
    const after = readFileSync(kh, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1, 3).join(' '));
    expect(after.sort()).to.deep.equal([...lines].sort());
    expect(r.stderr).to.match(/Learned new hostkey: RSA SHA256:/);
    // OpenSSH's own ssh now trusts each learned key.
    for (const alg of ['ecdsa-sha2-nistp256', 'rsa-sha2-512']) {
      const theirs = await runOpenSsh({ ...sshd, knownHostsPath: kh }, 'echo ok', { options: [`HostKeyAlgorithms=${alg}`, 'StrictHostKeyChecking=yes'] });
      expect(theirs.stdout.toString(), theirs.stderr).to.equal('ok\n');
    }
  });

  it('asks SSH_ASKPASS for passwords, NumberOfPasswordPrompts times', async () => {
    const log = join(sshd.dir, 'askpass.log');
    const askpass = join(sshd.dir, 'askpass.sh');
    writeFileSync(askpass, `#!/bin/sh\necho "$1" >> ${log}\necho not-the-password\n`);
    chmodSync(askpass, 0o755);
    const env = { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
    const r = await pssh(opensshArgs(sshd, 'true', { options: ['BatchMode=no', 'PreferredAuthentications=password', 'NumberOfPasswordPrompts=2'] }), { env });
    expect(r.code).to.equal(255);
    expect(r.stderr).to.equal(`Permission denied, please try again.\n${sshd.user}@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).\n`);
    expect(readFileSync(log, 'utf8')).to.equal(`${sshd.user}@127.0.0.1's password: \n`.repeat(2));
  });

  it('exits 255 when the command dies of a signal, and when the reader of its output goes away', async () => {
    const sig = await pssh(opensshArgs(sshd, 'kill -TERM $$'));
    expect(sig.code).to.equal(255);
    const theirs = await runOpenSsh(sshd, 'kill -TERM $$');
    expect(theirs.code).to.equal(255);

    const p = spawn(process.execPath, ['--import', 'tsx', entry, 'ssh', ...opensshArgs(sshd, 'cat /dev/zero')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    p.stdout.on('data', (b: Buffer) => {
      n += b.length;
      if (n > 1_000_000) p.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
    expect(code).to.equal(255);
  });

  it('answers -Q, -V and usage errors', async () => {
    const q = await pssh(['-Q', 'cipher']);
    expect(q.stdout.toString()).to.equal(SUPPORTED_CIPHERS.join('\n') + '\n');
    expect((await pssh(['-Q', 'kex'])).stdout.toString()).to.equal(SUPPORTED_KEX.join('\n') + '\n');
    const bad = await pssh(['-Q', 'nonsense']);
    expect(bad.code).to.equal(255);
    const v = await pssh(['-V']);
    expect(v.code).to.equal(0);
    expect(v.stderr).to.match(/^puressh \d+\.\d+\.\d+/);
    const u = await pssh(['-Z', 'host']);
    expect(u.code).to.equal(255);
    expect(u.stderr).to.match(/^puressh: unknown option -- Z\nusage: puressh ssh/);
  });

  it('bin/puressh runs the built CLI (the bundle that npm run build makes)', async () => {
    if (!existsSync(join(root, 'dist/cli/main.js'))) {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
    }
    if (!existsSync(join(CLI_BUNDLE_DIR, 'main.cjs'))) await buildCliBundle();
    const r = await puressh(['ssh', ...opensshArgs(sshd, 'echo from-bin')], { bin: true });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.toString()).to.equal('from-bin\n');
    expect((await puressh(['--version'], { bin: true })).stdout.toString()).to.match(/^puressh \d/);
    // What the bundle evaluates only at first use (scripts/build-cli.ts): noble's AES (UMAC's
    // AES), its NIST curves and X25519.
    const paths = [
      opensshArgs(sshd, 'echo nist', {
        key: 'ecdsa384',
        options: ['KexAlgorithms=ecdh-sha2-nistp256', 'HostKeyAlgorithms=ecdsa-sha2-nistp521', 'Ciphers=aes128-ctr', 'MACs=umac-64-etm@openssh.com'],
      }),
      opensshArgs(sshd, 'echo x25519', { options: ['KexAlgorithms=sntrup761x25519-sha512@openssh.com', 'HostKeyAlgorithms=ssh-ed25519'] }),
    ];
    for (const args of paths) {
      const p = await puressh(['ssh', ...args], { bin: true });
      expect(p.code, p.stderr).to.equal(0);
      expect(p.stdout.toString()).to.equal(`${args.at(-1)!.split(' ')[1]}\n`);
    }
  });
});
