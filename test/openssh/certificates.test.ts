/**
 * User certificates against OpenSSH 9.2's sshd trusting only a CA (TrustedUserCAKeys, no
 * authorized_keys): certificates made by the real ssh-keygen log in through the library, the
 * CLI (-i KEY with KEY-cert.pub, CertificateFile) and the agent; wrong principal, expired,
 * not yet valid and source-address certificates are refused, as OpenSSH's ssh is.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../src/auth/agent/client.js';
import { nodeAgent } from '../../src/auth/agent/node.js';
import { Certificate, CertifiedPrivateKey, parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import type { HostKeyInfo } from '../../src/client.js';
import { AuthError, HostKeyError } from '../../src/errors.js';
import { hostKeyVerifier, KnownHosts } from '../../src/knownhosts/index.js';
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
    const known = new Set(Object.values(sshd.hostKeys).map((h) => Buffer.from(parsePublicKeyLine(h.publicLine).key.blob).toString('base64')));
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
    const accepted = new RegExp(`Accepted publickey for ${sshd.user} from 127\\.0\\.0\\.1 .* RSA-CERT SHA256:\\S+ ID test-${n} `);
    for (let i = 0; i < 100 && !accepted.test(sshd.logs()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sshd.logs()).to.match(accepted);
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
      // refused for this reason, with the certificate's signature good (sshd's own words);
      // sshd's log reaches us through a pipe, maybe after the refusal did
      const id = `ID test-${n} (serial 0)`;
      for (let i = 0; i < 100 && !sshd.logs().slice(before).includes(id); i++) await new Promise((r) => setTimeout(r, 50));
      expect(sshd.logs().slice(before)).to.include(reason).and.include(id);
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

describe('host certificates against OpenSSH sshd (HostCertificate, @cert-authority)', function () {
  this.timeout(120_000);
  let dir: string;
  let caPath: string;
  let sshd: Sshd;
  let knownHosts: string;
  let revokedKnownHosts: string;

  /** A host key of `type` certified by the CA with `signArgs`, for sshd's HostKey + HostCertificate. */
  async function hostKey(type: 'ed25519' | 'ecdsa256' | 'ecdsa384' | 'ecdsa521', signArgs: string[]): Promise<string[]> {
    const path = join(dir, `host_${type}`);
    await generateKey(type, path);
    execFileSync('ssh-keygen', ['-q', '-s', caPath, '-h', '-I', `host-${type}`, ...signArgs, `${path}.pub`], { stdio: 'pipe' });
    return [`HostKey ${path}`, `HostCertificate ${path}-cert.pub`];
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-hostcerts-'));
    caPath = join(dir, 'host_ca');
    await generateKey('ed25519', caPath, { comment: 'host CA' });
    const config = [
      ...(await hostKey('ed25519', ['-n', '127.0.0.1,localhost'])),
      ...(await hostKey('ecdsa256', ['-n', 'other.example'])),
      ...(await hostKey('ecdsa384', ['-n', '127.0.0.1', '-V', '20200101:20200102'])),
    ];
    // a user certificate served as a host certificate
    const userPath = join(dir, 'host_ecdsa521');
    await generateKey('ecdsa521', userPath);
    execFileSync('ssh-keygen', ['-q', '-s', caPath, '-I', 'user-type', '-n', '127.0.0.1', `${userPath}.pub`], { stdio: 'pipe' });
    config.push(`HostKey ${userPath}`, `HostCertificate ${userPath}-cert.pub`);
    sshd = await startSshd({ config, hostKeyTypes: ['rsa'], rsaBits: 2048 });
    const ca = readFileSync(`${caPath}.pub`, 'utf8').trim();
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority [127.0.0.1]:${sshd.port} ${ca}\n`);
    revokedKnownHosts = join(dir, 'known_hosts_revoked');
    writeFileSync(revokedKnownHosts, `@cert-authority [127.0.0.1]:${sshd.port} ${ca}\n@revoked * ${ca}\n`);
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** puressh ssh and OpenSSH ssh with the same command line; both results, and what sshd logged meanwhile. */
  async function both(options: string[]) {
    const all = [...options, 'LogLevel=INFO'];
    const before = sshd.logs().length;
    const ours = await pssh(opensshArgs(sshd, 'echo ok', { options: all }));
    const theirs = await runOpenSsh(sshd, 'echo ok', { options: all });
    // ssh ends its log lines with \r\n
    return { ours, theirs: { code: theirs.code, stdout: theirs.stdout.toString(), stderr: theirs.stderr.replace(/\r/g, '') }, logs: sshd.logs().slice(before) };
  }

  it("a valid host certificate from the CA in @cert-authority is accepted (ssh's default order asks for it)", async () => {
    const r = await both([`UserKnownHostsFile=${knownHosts}`]);
    expect(r.theirs.code).to.equal(0);
    expect({ code: r.ours.code, stdout: r.ours.stdout }).to.deep.equal({ code: 0, stdout: 'ok\n' });
    expect(r.logs).to.not.include('Failed publickey');
  });

  const refusals: [string, string, string][] = [
    ['for another name', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'Certificate invalid: name is not a listed principal'],
    ['expired', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'Certificate invalid: expired'],
    ['of user type', 'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'Certificate invalid: not a host certificate'],
  ];
  for (const [what, alg, reason] of refusals) {
    it(`a host certificate ${what} is refused before any credential is sent, in ssh's words`, async () => {
      const r = await both([`UserKnownHostsFile=${knownHosts}`, `HostKeyAlgorithms=${alg}`, 'StrictHostKeyChecking=yes']);
      expect(r.theirs.code).to.equal(255);
      expect(r.theirs.stderr).to.include(reason);
      expect(r.ours.code).to.equal(255);
      expect(r.ours.stdout).to.equal('');
      expect(r.ours.stderr.trim().split('\n')).to.deep.equal(r.theirs.stderr.trim().split('\n'));
      expect(r.logs).to.not.match(/publickey for|Accepted/);
    });
  }

  it("a host certificate from a @revoked CA is refused, in ssh's words", async () => {
    const r = await both([`UserKnownHostsFile=${revokedKnownHosts}`, 'StrictHostKeyChecking=yes']);
    expect(r.theirs.code).to.equal(255);
    expect(r.theirs.stderr).to.include('WARNING: REVOKED HOST KEY DETECTED!');
    expect(r.ours.code).to.equal(255);
    expect(r.ours.stderr.trim().split('\n')).to.deep.equal(r.theirs.stderr.trim().split('\n'));
    expect(r.logs).to.not.match(/publickey for|Accepted/);
  });

  describe('library: knownhosts hostKeyVerifier and HostKeyInfo.certificate', () => {
    const connectWith = (alg: string, verifier: NodeConnectOptions['hostKeyVerifier']) =>
      connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
        algorithms: { hostKey: [alg] },
        hostKeyVerifier: verifier,
        timeout: 20_000,
      });
    const policy = (file: string) => hostKeyVerifier({ knownHosts: KnownHosts.parse(readFileSync(file, 'utf8')), host: '127.0.0.1', port: sshd.port });

    it('a valid host certificate is accepted through @cert-authority', async () => {
      const c = await connectWith('ssh-ed25519-cert-v01@openssh.com', policy(knownHosts));
      expect(c.hostKey.certificate?.keyId).to.equal('host-ed25519');
      expect(c.hostKey.certificateProblem).to.equal(null);
      await c.disconnect();
    });

    for (const [alg, kind, problem] of [
      ['ecdsa-sha2-nistp256-cert-v01@openssh.com', 'unknown', null],
      ['ecdsa-sha2-nistp384-cert-v01@openssh.com', 'unknown', 'Certificate invalid: expired'],
      ['ecdsa-sha2-nistp521-cert-v01@openssh.com', 'unknown', 'Certificate invalid: not a host certificate'],
    ] as const) {
      it(`${alg}: refused (${kind}); the verifier sees the certificate and its problem`, async () => {
        let seen: HostKeyInfo | undefined;
        const err = await connectWith(alg, (info) => {
          seen = info;
          return policy(knownHosts)(info);
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(HostKeyError).with.property('kind', kind);
        expect(seen?.certificate?.type).to.equal(alg);
        expect(seen?.certificateProblem).to.equal(problem);
      });
    }

    it('a host certificate whose CA is @revoked is refused as revoked', async () => {
      const err = await connectWith('ssh-ed25519-cert-v01@openssh.com', policy(revokedKnownHosts)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(HostKeyError).with.property('kind', 'revoked');
    });
  });

  it("RevokedHostKeys: a KRL (ssh-keygen -k) revoking the host certificate refuses it, in ssh's words", async () => {
    const spec = join(dir, 'krl.spec');
    writeFileSync(spec, 'id: host-ed25519\n');
    const krl = join(dir, 'host.krl');
    execFileSync('ssh-keygen', ['-q', '-k', '-f', krl, '-s', `${caPath}.pub`, spec], { stdio: 'pipe' });
    const r = await both([`UserKnownHostsFile=${knownHosts}`, `RevokedHostKeys=${krl}`]);
    expect(r.theirs.code).to.equal(255);
    expect(r.theirs.stderr).to.match(/^Host key ED25519-CERT SHA256:\S+ revoked by file /);
    expect(r.ours.code).to.equal(255);
    expect(r.ours.stderr.trim().split('\n')).to.deep.equal(r.theirs.stderr.trim().split('\n'));
    // a KRL that revokes something else lets the certificate through
    writeFileSync(spec, 'id: someone-else\n');
    execFileSync('ssh-keygen', ['-q', '-k', '-f', krl, '-s', `${caPath}.pub`, spec], { stdio: 'pipe' });
    const ok = await both([`UserKnownHostsFile=${knownHosts}`, `RevokedHostKeys=${krl}`]);
    expect([ok.ours.code, ok.theirs.code]).to.deep.equal([0, 0]);
  });

  it('without a @cert-authority line, plain host keys are asked for and checked as before', async () => {
    const r = await both([]);
    expect(r.theirs.code).to.equal(0);
    expect({ code: r.ours.code, stdout: r.ours.stdout }).to.deep.equal({ code: 0, stdout: 'ok\n' });
  });
});
