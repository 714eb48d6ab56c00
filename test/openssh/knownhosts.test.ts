/**
 * known_hosts against real sshd and the real ssh client: our policies accept/refuse the
 * server as OpenSSH would, and a file our `tofu`/`ask` wrote (plain or hashed, into a file full
 * of other lines) is accepted by `ssh -o StrictHostKeyChecking=yes`, with the other lines intact.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { fileHostKeyVerifier } from '../../src/knownhosts/file.js';
import { HostKeyError } from '../../src/errors.js';
import type { HostKeyPolicyOptions } from '../../src/knownhosts/policy.js';
import { startSshd, type Sshd } from '../support/sshd.js';

function ssh(sshd: Sshd, knownHosts: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'HostKeyAlgorithms=ssh-ed25519',
    '-i',
    sshd.userKeys.ed25519.privatePath,
    '-p',
    String(sshd.port),
    `${sshd.user}@127.0.0.1`,
    'echo via-openssh',
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const OTHER_LINES =
  '# my hosts\n\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG/XJa2MolDRi1r2XRWMch+T9DtwiuPgVlimU69yjCjE   old comment \n@revoked * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7Xs9PV7iiz6u8/xwrl4MwTjl8qsfh7adDeqbcZBUkn\n';

describe('known_hosts with sshd and ssh', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
    dir = mkdtempSync(join(tmpdir(), 'puressh-khssh-'));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function options(path: string, policy: HostKeyPolicyOptions['policy'], extra: Partial<HostKeyPolicyOptions> = {}): NodeConnectOptions {
    return {
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
      hostKeyVerifier: fileHostKeyVerifier(path, { host: sshd.host, port: sshd.port, policy, ...extra }),
      algorithms: { hostKey: ['ssh-ed25519'] },
      timeout: 20_000,
    };
  }

  for (const hashed of [false, true]) {
    it(`tofu writes a ${hashed ? 'hashed' : 'plain'} entry ssh accepts; other lines untouched; second connect matches`, async () => {
      const path = join(dir, `kh-tofu-${hashed}`);
      writeFileSync(path, OTHER_LINES);
      expect((await ssh(sshd, path)).code).to.equal(255); // unknown to ssh before
      const c = await connect(options(path, 'tofu', { add: { hashed, comment: 'added by puressh' } }));
      await c.disconnect();
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith(OTHER_LINES)).to.equal(true);
      const added = text.slice(OTHER_LINES.length);
      expect(added.split('\n')).to.have.length(2);
      if (hashed) expect(added).to.match(/^\|1\|\S+ ssh-ed25519 \S+ added by puressh\n$/);
      else expect(added).to.match(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 \\S+ added by puressh\\n$`));
      const r = await ssh(sshd, path);
      expect(r.stdout, r.stderr).to.equal('via-openssh\n');
      const c2 = await connect(options(path, 'strict'));
      await c2.disconnect();
      expect(readFileSync(path, 'utf8')).to.equal(text);
    });
  }

  it('strict refuses an unknown host before authenticating; the file stays as it was', async () => {
    const path = join(dir, 'kh-strict');
    writeFileSync(path, OTHER_LINES);
    const e = await connect(options(path, 'strict')).catch((x) => x);
    expect(e).to.be.instanceOf(HostKeyError);
    expect(e.kind).to.equal('unknown');
    expect(readFileSync(path, 'utf8')).to.equal(OTHER_LINES);
  });

  it('a changed key (the file ssh also refuses) is a mismatch under every policy but advisory', async () => {
    const path = join(dir, 'kh-changed');
    writeFileSync(path, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG/XJa2MolDRi1r2XRWMch+T9DtwiuPgVlimU69yjCjE\n`);
    const r = await ssh(sshd, path);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('REMOTE HOST IDENTIFICATION HAS CHANGED');
    for (const policy of ['strict', 'tofu', 'ask'] as const) {
      const e = await connect(options(path, policy, { ask: () => true })).catch((x) => x);
      expect(e, policy).to.be.instanceOf(HostKeyError);
      expect(e.kind).to.equal('mismatch');
      expect(e.message).to.include('REMOTE HOST IDENTIFICATION HAS CHANGED');
    }
    const c = await connect(options(path, 'advisory'));
    await c.disconnect();
  });

  it('@revoked for the server key is refused, as ssh does', async () => {
    const path = join(dir, 'kh-revoked');
    const hostLine = parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key;
    const b64 = Buffer.from(hostLine.blob).toString('base64');
    writeFileSync(path, `@revoked * ssh-ed25519 ${b64}\n[127.0.0.1]:${sshd.port} ssh-ed25519 ${b64}\n`);
    const r = await ssh(sshd, path);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/revoked/i);
    const e = await connect(options(path, 'strict')).catch((x) => x);
    expect(e).to.be.instanceOf(HostKeyError);
    expect(e.kind).to.equal('revoked');
  });

  it('ask: the answer decides; yes is written and then ssh accepts the file', async () => {
    const path = join(dir, 'kh-ask');
    const no = await connect(options(path, 'ask', { ask: () => false })).catch((x) => x);
    expect(no).to.be.instanceOf(HostKeyError);
    const c = await connect(options(path, 'ask', { ask: (info) => info.type === 'ssh-ed25519' }));
    await c.disconnect();
    expect((await ssh(sshd, path)).stdout).to.equal('via-openssh\n');
  });
});
