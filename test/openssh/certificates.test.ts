/**
 * User certificates against OpenSSH 9.2's sshd trusting only a CA (TrustedUserCAKeys, no
 * authorized_keys): certificates made by the real ssh-keygen log in through the library, the
 * CLI (-i KEY with KEY-cert.pub, CertificateFile) and the agent; wrong principal, expired,
 * not yet valid and source-address certificates are refused, as OpenSSH's ssh is.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../src/auth/agent/client.js';
import { nodeAgent } from '../../src/auth/agent/node.js';
import { Certificate, CertifiedPrivateKey, parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { AuthError } from '../../src/errors.js';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { startAgent, type TestAgent } from '../support/ssh-agent.js';
import { opensshArgs, runOpenSsh } from '../support/ssh-client.js';
import { generateKey, startSshd, type Sshd, type UserKeyType } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');

function pssh(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', entry, 'ssh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

describe('user certificates against OpenSSH sshd (TrustedUserCAKeys)', function () {
  this.timeout(120_000);
  let dir: string;
  let caPath: string;
  let sshd: Sshd;
  let n = 0;

  /** A copy of the sshd's user key of `type`, certified by the CA with `signArgs`; returns the private key path. */
  function certified(type: UserKeyType, signArgs: string[]): string {
    const path = join(dir, `id_${type}_${++n}`);
    copyFileSync(sshd.userKeys[type].privatePath, path);
    chmodSync(path, 0o600);
    copyFileSync(sshd.userKeys[type].publicPath, `${path}.pub`);
    execFileSync('ssh-keygen', ['-q', '-s', caPath, '-I', `test-${n}`, ...signArgs, `${path}.pub`], { stdio: 'pipe' });
    return path;
  }

  function options(extra: Partial<NodeConnectOptions>): NodeConnectOptions {
    const known = new Set(Object.values(sshd.hostKeys).map((h) => Buffer.from(parsePublicKeyLine(h!.publicLine).key.blob).toString('base64')));
    return {
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      hostKeyVerifier: (info) => known.has(Buffer.from(info.blob).toString('base64')),
      timeout: 20_000,
      ...extra,
    };
  }

  function keyWithCert(path: string): CertifiedPrivateKey {
    const cert = parsePublicKeyLine(readFileSync(`${path}-cert.pub`, 'utf8')).key;
    expect(cert).to.be.instanceOf(Certificate);
    return new CertifiedPrivateKey(parsePrivateKey(readFileSync(path, 'utf8')), cert as Certificate);
  }

  async function logsIn(key: CertifiedPrivateKey): Promise<string> {
    const c = await connect(options({ privateKeys: [key] }));
    try {
      expect(c.authMethod).to.equal('publickey');
      const r = await c.run('id -un');
      return new TextDecoder().decode(r.stdout).trim();
    } finally {
      await c.disconnect();
    }
  }

  async function refused(key: CertifiedPrivateKey): Promise<void> {
    const err = await connect(options({ privateKeys: [key] })).then(
      async (c) => {
        await c.disconnect();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AuthError);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-certs-'));
    caPath = join(dir, 'user_ca');
    await generateKey('ed25519', caPath, { comment: 'user CA' });
    sshd = await startSshd({
      config: ['AuthorizedKeysFile none', `TrustedUserCAKeys ${caPath}.pub`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no'],
      rsaBits: 2048,
    });
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the plain keys alone are refused (the sshd trusts only the CA)', async () => {
    const err = await connect(options({ privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))] })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AuthError);
  });

  for (const type of ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa'] as const) {
    it(`a ${type} user certificate made by ssh-keygen logs in`, async () => {
      const path = certified(type, ['-n', sshd.user, '-V', '-5m:+1h']);
      expect(await logsIn(keyWithCert(path))).to.equal(sshd.user);
    });
  }

  it('an rsa certificate logs in with rsa-sha2-256 when that is the only accepted algorithm', async () => {
    const path = certified('rsa', ['-n', sshd.user]);
    const c = await connect(options({ privateKeys: [keyWithCert(path)], algorithms: { publicKey: ['rsa-sha2-256-cert-v01@openssh.com'] } }));
    await c.disconnect();
    expect(sshd.logs()).to.include(`Accepted publickey for ${sshd.user} from 127.0.0.1`).and.match(new RegExp(`RSA-CERT SHA256:\\S+ ID test-${n} `));
  });

  const refusals: [string, () => string[], string][] = [
    ['for another principal', () => ['-n', 'somebody-else'], 'Certificate invalid: name is not a listed principal'],
    ['expired', () => ['-n', sshd.user, '-V', '20200101:20200102'], 'Certificate invalid: expired'],
    ['not yet valid', () => ['-n', sshd.user, '-V', '+1d:+2d'], 'Certificate invalid: not yet valid'],
    ['with a source-address that excludes us', () => ['-n', sshd.user, '-O', 'source-address=10.9.9.9/32'], 'not from a permitted source address (127.0.0.1)'],
  ];
  for (const [what, args, reason] of refusals) {
    it(`a certificate ${what} is refused`, async () => {
      const before = sshd.logs().length;
      await refused(keyWithCert(certified('ed25519', args())));
      // refused for this reason, with the certificate's signature good (sshd's own words)
      expect(sshd.logs().slice(before)).to.include(reason).and.include(`ID test-${n} (serial 0)`);
    });
  }

  it('CLI: -i KEY also offers KEY-cert.pub; the same as OpenSSH ssh', async () => {
    const path = certified('ecdsa256', ['-n', sshd.user]);
    const argv = opensshArgs(sshd, 'id -un', { key: path });
    const ours = await pssh(argv);
    const theirs = await runOpenSsh(sshd, 'id -un', { key: path });
    expect(theirs.code).to.equal(0);
    expect({ code: ours.code, stdout: ours.stdout }).to.deep.equal({ code: 0, stdout: `${sshd.user}\n` });
  });

  it('CLI: CertificateFile (with %-tokens) names a certificate for the -i key', async () => {
    const path = certified('ed25519', ['-n', sshd.user]);
    const renamed = join(dir, `cert-for-${sshd.user}.pub`);
    copyFileSync(`${path}-cert.pub`, renamed);
    rmSync(`${path}-cert.pub`);
    const options = [`CertificateFile=${join(dir, 'cert-for-%r.pub')}`];
    const ours = await pssh(opensshArgs(sshd, 'id -un', { key: path, options }));
    const theirs = await runOpenSsh(sshd, 'id -un', { key: path, options });
    expect(theirs.code).to.equal(0);
    expect({ code: ours.code, stdout: ours.stdout }).to.deep.equal({ code: 0, stdout: `${sshd.user}\n` });
    // without it, the plain key alone is refused
    const without = await pssh(opensshArgs(sshd, 'id -un', { key: path }));
    expect(without.code).to.equal(255);
  });

  it('CLI: PubkeyAcceptedAlgorithms without the certificate algorithm refuses, as OpenSSH ssh', async () => {
    const path = certified('ed25519', ['-n', sshd.user]);
    const options = ['PubkeyAcceptedAlgorithms=ssh-ed25519'];
    const ours = await pssh(opensshArgs(sshd, 'id -un', { key: path, options }));
    const theirs = await runOpenSsh(sshd, 'id -un', { key: path, options });
    expect([ours.code, theirs.code]).to.deep.equal([255, 255]);
    const accepted = await pssh(opensshArgs(sshd, 'id -un', { key: path, options: ['PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com'] }));
    expect(accepted.code).to.equal(0);
  });

  describe('certificates held by the agent', () => {
    let agent: TestAgent;
    before(async () => {
      agent = await startAgent();
    });
    after(async () => agent?.stop());

    for (const type of ['ed25519', 'rsa'] as const) {
      it(`a ${type} certificate added with ssh-add logs in through the agent`, async () => {
        const path = certified(type, ['-n', sshd.user]);
        await agent.sshAdd(['-D']);
        await agent.sshAdd([path]);
        const client: AgentClient = nodeAgent(agent.socket);
        const listed = await client.keys();
        expect(listed.map((k) => k.type)).to.include(`${parsePublicKeyLine(readFileSync(`${path}.pub`, 'utf8')).key.type}-cert-v01@openssh.com`);
        const c = await connect(options({ agent: client }));
        expect(c.authMethod).to.equal('publickey');
        await c.disconnect();
      });
    }
  });
});
