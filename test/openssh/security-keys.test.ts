/**
 * FIDO security keys (PROTOCOL.u2f) against Debian's OpenSSH 9.2: a software authenticator
 * logs in to sshd with sk-ssh-ed25519 and sk-ecdsa-sha2-nistp256 keys (and a certificate of
 * one); sshd refuses a signature without the user-presence flag unless the authorized_keys
 * line says no-touch-required, one without user verification under verify-required, and one
 * made for another application. Key files built from the specification are read by the real
 * ssh-keygen (-y, -l).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect } from '../../src/node.js';
import { CertifiedPrivateKey, fingerprintSHA256, parsePrivateKey, parsePublicKeyLine, type Certificate, type PrivateKey } from '../../src/index.js';
import { AuthError } from '../../src/errors.js';
import { sshdClientOptions } from '../support/connect.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { SimulatedWebAuthn } from '../support/simulated-webauthn.js';
import { registerWebAuthnKey } from '../../src/auth/webauthn.js';
import { opensshArgs } from '../support/ssh-client.js';
import { SSH_KEYGEN_PATH, startSshd, type Sshd } from '../support/sshd.js';

const root = new URL('../..', import.meta.url).pathname;

/** `puressh ssh …` from source, with extra environment. */
function pssh(argv: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/puressh-cli.ts'), 'ssh', ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ALGS = [
  ['ed25519', 'sk-ssh-ed25519@openssh.com', 'ED25519-SK'],
  ['ecdsa-p256', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ECDSA-SK'],
] as const;

describe('security keys against OpenSSH sshd', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'], config: ['LogLevel DEBUG1'] });
    dir = mkdtempSync(join(tmpdir(), 'puressh-sk-'));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const authorize = (...lines: string[]): void => writeFileSync(sshd.authorizedKeysPath, lines.join('\n') + '\n', { mode: 0o600 });

  async function login(key: PrivateKey): Promise<string> {
    const c = await connect(sshdClientOptions(sshd, { privateKeys: [key], timeout: 20_000 }));
    try {
      const r = await c.run('echo signed-in-with-a-security-key');
      expect(r.code).to.equal(0);
      return new TextDecoder().decode(r.stdout);
    } finally {
      await c.disconnect();
    }
  }

  async function refused(key: PrivateKey): Promise<void> {
    let err: unknown;
    try {
      await login(key);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AuthError);
  }

  for (const [alg, type, label] of ALGS) {
    describe(type, () => {
      it('logs in; sshd logs the signature counter', async () => {
        const auth = new SoftwareAuthenticator();
        auth.counter = 41;
        const { key, publicLine } = auth.enroll(alg);
        authorize(publicLine);
        expect(await login(key)).to.equal('signed-in-with-a-security-key\n');
        expect(auth.requests).to.have.length(1);
        expect(sshd.logs()).to.include(`Accepted publickey for ${sshd.user} from 127.0.0.1`);
        expect(sshd.logs()).to.include('sk_counter = 42, sk_flags = 0x01');
      });

      it('a signature without user presence is refused, unless no-touch-required', async () => {
        const auth = new SoftwareAuthenticator();
        auth.userPresence = false;
        const { key, publicLine } = auth.enroll(alg);
        authorize(publicLine);
        await refused(key);
        const fp = fingerprintSHA256(key.publicKey.blob);
        expect(sshd.logs()).to.include(`public key ${label} ${fp} signature for ${sshd.user} from 127.0.0.1 port`);
        expect(sshd.logs()).to.include('rejected: user presence (authenticator touch) requirement not met');
        authorize(`no-touch-required ${publicLine}`);
        expect(await login(key)).to.equal('signed-in-with-a-security-key\n');
      });

      it('verify-required needs the user-verification flag', async () => {
        const auth = new SoftwareAuthenticator();
        const { key, publicLine } = auth.enroll(alg);
        authorize(`verify-required ${publicLine}`);
        await refused(key);
        expect(sshd.logs()).to.include('rejected: user verification requirement not met');
        auth.userVerification = true;
        expect(await login(key)).to.equal('signed-in-with-a-security-key\n');
      });

      it('a signature made for another application is refused', async () => {
        const auth = new SoftwareAuthenticator();
        auth.applicationOverride = 'ssh:elsewhere';
        const { key, publicLine } = auth.enroll(alg);
        authorize(publicLine);
        await refused(key);
      });

      it('key files built from the spec: ssh-keygen -y prints the public key, -l the same fingerprint', () => {
        const auth = new SoftwareAuthenticator();
        for (const passphrase of ['', 'sk pass']) {
          const { key, privateKeyText, publicLine } = auth.enroll(alg, { comment: 'me@sk', ...(passphrase ? { passphrase } : {}) });
          const path = join(dir, `id_${alg}_sk${passphrase ? '_enc' : ''}`);
          writeFileSync(path, privateKeyText, { mode: 0o600 });
          const y = execFileSync(SSH_KEYGEN_PATH, ['-y', '-P', passphrase, '-f', path], { encoding: 'utf8' });
          expect(y).to.equal(`${publicLine}\n`);
          // without a .pub beside it, ssh-keygen reads an encrypted file's clear public part, which has no comment
          const l = execFileSync(SSH_KEYGEN_PATH, ['-l', '-f', path], { encoding: 'utf8' });
          expect(l).to.equal(`256 ${fingerprintSHA256(key.publicKey.blob)} ${passphrase ? 'no comment' : 'me@sk'} (${label})\n`);
          // and puressh reads it back
          const back = parsePrivateKey(readFileSync(path, 'utf8'), passphrase || undefined);
          expect(back.publicKey.blob).to.deep.equal(key.publicKey.blob);
        }
      });

      it('a certificate from ssh-keygen -s logs in through cert-authority', async () => {
        const auth = new SoftwareAuthenticator();
        const { key, publicLine } = auth.enroll(alg);
        const ca = join(dir, `ca_${alg}`);
        execFileSync(SSH_KEYGEN_PATH, ['-q', '-t', 'ed25519', '-N', '', '-C', 'ca', '-f', ca]);
        const pub = join(dir, `cert_${alg}.pub`);
        writeFileSync(pub, publicLine + '\n');
        execFileSync(SSH_KEYGEN_PATH, ['-q', '-s', ca, '-I', 'sk-user', '-n', sshd.user, pub]);
        const cert = parsePublicKeyLine(readFileSync(join(dir, `cert_${alg}-cert.pub`), 'utf8')).key as Certificate;
        expect(cert.type).to.equal(type.replace('@openssh.com', '-cert-v01@openssh.com'));
        authorize(`cert-authority ${readFileSync(`${ca}.pub`, 'utf8').trim()}`);
        expect(await login(new CertifiedPrivateKey(key, cert))).to.equal('signed-in-with-a-security-key\n');
      });
    });
  }

  describe('webauthn-sk-ecdsa-sha2-nistp256@openssh.com (simulated navigator.credentials)', () => {
    it('a key registered through WebAuthn logs in with a WebAuthn signature', async () => {
      const browser = new SimulatedWebAuthn('https://ssh.example.com');
      const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice' });
      authorize(reg.publicKeyLine);
      expect(await login(reg.key)).to.equal('signed-in-with-a-security-key\n');
      expect(sshd.logs()).to.include('sk_counter = 1, sk_flags = 0x01');
    });

    it('without a touch it is refused unless no-touch-required', async () => {
      const browser = new SimulatedWebAuthn('https://ssh.example.com');
      browser.userPresence = false;
      const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice' });
      authorize(reg.publicKeyLine);
      await refused(reg.key);
      authorize(`no-touch-required ${reg.publicKeyLine}`);
      expect(await login(reg.key)).to.equal('signed-in-with-a-security-key\n');
    });
  });

  describe('puressh ssh -i with a security key file', () => {
    it('signs through the $PURESSH_SK_SIGNER module', async () => {
      const auth = new SoftwareAuthenticator();
      const { privateKeyText, publicLine } = auth.enroll('ed25519');
      const path = join(dir, 'cli_sk');
      writeFileSync(path, privateKeyText, { mode: 0o600 });
      authorize(publicLine);
      const r = await pssh(opensshArgs(sshd, 'echo via-cli', { key: path }), {
        PURESSH_SK_SIGNER: join(root, 'test/support/sk-signer-module.ts'),
        PURESSH_TEST_AUTHENTICATOR: auth.toJson(),
      });
      // (sshd at LogLevel DEBUG1 sends its debug lines to the client's stderr)
      expect([r.code, r.stdout]).to.deep.equal([0, 'via-cli\n']);
      expect(r.stderr).not.to.include('sign_and_send_pubkey');
    });

    it('without an agent or a signer: says what to do, and fails as ssh does', async () => {
      const auth = new SoftwareAuthenticator();
      const { privateKeyText, publicLine } = auth.enroll('ecdsa-p256');
      const path = join(dir, 'cli_sk_none');
      writeFileSync(path, privateKeyText, { mode: 0o600 });
      authorize(publicLine);
      const r = await pssh(opensshArgs(sshd, 'echo via-cli', { key: path }), { PURESSH_SK_SIGNER: '' });
      expect(r.code).to.equal(255);
      expect(r.stderr).to.equal(
        `sign_and_send_pubkey: signing failed for ECDSA-SK "${path}": security key needed (no ssh-agent); ` +
          `puressh cannot load a SecurityKeyProvider library: add the key to ssh-agent (ssh-add ${path}) ` +
          `or set PURESSH_SK_SIGNER to a JavaScript module exporting a SecurityKeySigner\n` +
          `${sshd.user}@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).\n`,
      );
    });
  });
});
