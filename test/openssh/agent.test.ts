/**
 * The ssh-agent client against OpenSSH's real ssh-agent: list, sign (rsa-sha2-256/512
 * flags), add/remove, lock/unlock, cross-checked with ssh-add; publickey auth with agent
 * keys against sshd; agent forwarding so that a remote `ssh-add -l` lists our keys.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { AgentClient, AgentError } from '../../src/auth/agent/index.js';
import { nodeAgent, unixSocketAgent } from '../../src/auth/agent/node.js';
import { parsePublicKeyLine, verifySignature, parsePrivateKey } from '../../src/crypto/keys/index.js';
import { fingerprintSHA256 } from '../../src/crypto/fingerprint.js';
import { AuthError } from '../../src/errors.js';
import { startAgent, type TestAgent } from '../support/ssh-agent.js';
import { startSshd, USER_KEY_TYPES, type Sshd } from '../support/sshd.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('ssh-agent client against OpenSSH ssh-agent', function () {
  this.timeout(120_000);
  let agent: TestAgent;
  let sshd: Sshd;
  let client: AgentClient;

  before(async () => {
    [agent, sshd] = await Promise.all([startAgent(), startSshd({ rsaBits: 2048 })]);
    client = nodeAgent(agent.socket);
  });
  after(async () => {
    client?.close();
    await Promise.all([agent?.stop(), sshd?.stop()]);
  });

  function options(extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
    const known = new Set(Object.values(sshd.hostKeys).map((h) => Buffer.from(parsePublicKeyLine(h.publicLine).key.blob).toString('base64')));
    return {
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      hostKeyVerifier: (i) => known.has(Buffer.from(i.blob).toString('base64')),
      timeout: 20_000,
      ...extra,
    };
  }

  it('lists exactly the keys ssh-add added (blobs and comments as ssh-add -L shows)', async () => {
    for (const t of USER_KEY_TYPES) await agent.sshAdd([sshd.userKeys[t].privatePath]);
    const ids = await client.identities();
    const listed = (await agent.sshAdd(['-L'])).stdout.trim().split('\n');
    expect(ids.map((i) => `${i.type} ${Buffer.from(i.blob).toString('base64')} ${i.comment}`)).to.deep.equal(listed);
    expect(ids.map((i) => i.comment)).to.deep.equal(USER_KEY_TYPES.map((t) => `user-${t}`));
  });

  it('signs with every key type; RSA with rsa-sha2-512, rsa-sha2-256 and ssh-rsa; signatures verify', async () => {
    const data = new TextEncoder().encode('data to sign');
    const keys = await client.keys();
    expect(keys.map((k) => k.type)).to.deep.equal(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);
    let n = 0;
    for (const k of keys) {
      for (const alg of k.signatureAlgorithms) {
        const sig = await k.sign(alg, data);
        expect(verifySignature(k.publicKey.blob, alg, data, sig), `${k.type} ${alg}`).to.equal(true);
        expect(verifySignature(k.publicKey.blob, alg, new TextEncoder().encode('other'), sig)).to.equal(false);
        n++;
      }
    }
    expect(n).to.equal(7);
  });

  it('publickey auth with agent keys only', async () => {
    const lines: string[] = [];
    const c = await connect(options({ agent: client, debug: (l) => lines.push(l) }));
    expect(c.authMethod).to.equal('publickey');
    expect(lines).to.include('agent offers 5 key(s)');
    const r = await c.run('echo agent-ok');
    expect(text(r.stdout)).to.equal('agent-ok\n');
    await c.disconnect();
  });

  it("agent forwarding: a remote ssh-add -l lists our agent's keys", async () => {
    const c = await connect(options({ agent: client, forwardAgent: true }));
    const r = await c.run('ssh-add -l');
    const remote = text(r.stdout).trim().split('\n');
    const local = (await agent.sshAdd(['-l'])).stdout.trim().split('\n');
    expect(r.code).to.equal(0);
    expect(remote).to.deep.equal(local);
    expect(remote).to.have.length(5);
    // and the forwarded agent can sign: ssh from the remote side into the same sshd with it
    const hop = await c.run(
      `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=no -p ${sshd.port} ${sshd.user}@127.0.0.1 echo hop-ok`,
    );
    expect(text(hop.stdout)).to.equal('hop-ok\n');
    await c.disconnect();
  });

  it('without forwarding the remote side has no agent', async () => {
    const c = await connect(options({ agent: client }));
    const r = await c.run('ssh-add -l');
    expect(r.code).to.equal(2); // "Could not open a connection to your authentication agent."
    await c.disconnect();
  });

  it('remove one identity, remove all: ssh-add -l agrees', async () => {
    const ed = parsePublicKeyLine(sshd.userKeys.ed25519.publicLine).key;
    await client.removeIdentity(ed.blob);
    const after1 = (await agent.sshAdd(['-l'])).stdout;
    expect(after1).to.not.include(fingerprintSHA256(ed.blob));
    expect(after1.trim().split('\n')).to.have.length(4);
    await client.removeAllIdentities();
    const none = await agent.sshAdd(['-l'], { allowFailure: true });
    expect(none.stdout.trim()).to.equal('The agent has no identities.');
    expect(await client.identities()).to.deep.equal([]);
    const e = await client.removeIdentity(ed.blob).catch((x) => x);
    expect(e).to.be.instanceOf(AgentError);
  });

  it('add identities ourselves (every type, with lifetime and comment): ssh-add -l lists them, auth works', async () => {
    for (const t of USER_KEY_TYPES) {
      await client.addIdentity(readFileSync(sshd.userKeys[t].privatePath, 'utf8'), t === 'rsa' ? { lifetime: 600, comment: 'rsa-with-lifetime' } : {});
    }
    const listed = (await agent.sshAdd(['-l'])).stdout;
    for (const t of USER_KEY_TYPES) {
      const { key } = parsePublicKeyLine(sshd.userKeys[t].publicLine);
      expect(listed).to.include(fingerprintSHA256(key.blob));
    }
    expect(listed).to.include('rsa-with-lifetime');
    const c = await connect(options({ agent: client, authMethods: ['agent'] }));
    expect(c.authMethod).to.equal('publickey');
    await c.disconnect();
  });

  it('lock and unlock: a locked agent lists nothing, refuses to sign; a wrong passphrase does not unlock', async () => {
    const before = await client.identities();
    expect(before.length).to.equal(5);
    await client.lock('lock-pass');
    expect(await client.identities()).to.deep.equal([]);
    const sign = await client.sign(before[0]!.blob, before[0]!.type, new Uint8Array(4)).catch((x) => x);
    expect(sign).to.be.instanceOf(AgentError);
    expect(await client.unlock('wrong').catch((x) => x)).to.be.instanceOf(AgentError);
    // agent auth with a locked agent simply offers nothing
    const e = await connect(options({ agent: client, authMethods: ['agent'] })).catch((x) => x);
    expect(e).to.be.instanceOf(AuthError);
    await client.unlock('lock-pass');
    expect((await client.identities()).length).to.equal(5);
  });

  it('an unreachable agent is an AgentError; agent auth then falls through to other methods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puressh-noagent-'));
    try {
      const dead = new AgentClient(unixSocketAgent(join(dir, 'nothing.sock')));
      const e = await dead.identities().catch((x) => x);
      expect(e).to.be.instanceOf(AgentError);
      expect(e.code).to.equal('AGENT_PROTOCOL');
      const key = parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'));
      const c = await connect(options({ agent: dead, privateKeys: [key] }));
      expect(c.authMethod).to.equal('publickey');
      await c.disconnect();
      const unset = await unixSocketAgent('')().catch((x) => x);
      expect(unset).to.be.instanceOf(AgentError);
      expect(unset.message).to.include('SSH_AUTH_SOCK is not set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
