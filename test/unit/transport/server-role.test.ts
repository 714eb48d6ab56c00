/**
 * The transport in both roles, client ↔ server over an in-memory pipe: every kex, cipher,
 * MAC, host-key and compression algorithm of the registry (varying one, the others at a
 * default), packets both ways after the handshake, rekeys started by either side while
 * packets flow, strict KEX enforced by the server, and the identification rules of RFC 4253 §4.2.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrivateKey } from '../../../src/crypto/keys/index.js';
import type { PrivateKey } from '../../../src/crypto/keys/types.js';
import { SUPPORTED_HOSTKEY_ALGORITHMS } from '../../../src/crypto/keys/registry.js';
import { SUPPORTED_KEX } from '../../../src/kex/index.js';
import { clientTransport, serverHostKey, serverTransport } from '../../../src/lifecycle.js';
import { SUPPORTED_CIPHERS } from '../../../src/transport/cipher/index.js';
import { SUPPORTED_COMPRESSIONS } from '../../../src/transport/compression.js';
import { SUPPORTED_MACS } from '../../../src/transport/mac/index.js';
import { PacketEncoder } from '../../../src/transport/codec.js';
import { encodeKexInit, type KexInitLists } from '../../../src/transport/negotiate.js';
import type { ByteStream } from '../../../src/transport/stream.js';
import type { Transport } from '../../../src/transport/transport.js';
import { MSG } from '../../../src/wire/constants.js';
import { memPipe } from '../../support/fake-server.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Host keys made by ssh-keygen (fast RSA, and DSA, which puressh does not generate). */
const KEY_TYPES: [string, string[]][] = [
  ['ed25519', []],
  ['ecdsa', ['-b', '256']],
  ['ecdsa', ['-b', '384']],
  ['ecdsa', ['-b', '521']],
  ['rsa', ['-b', '2048']],
  ['dsa', []],
];
let hostKeys: PrivateKey[] = [];

function lists(over: Partial<KexInitLists> = {}): KexInitLists {
  return {
    kex: ['curve25519-sha256'],
    hostKey: ['ssh-ed25519'],
    cipherCS: ['aes128-ctr'],
    cipherSC: ['aes128-ctr'],
    macCS: ['hmac-sha2-256'],
    macSC: ['hmac-sha2-256'],
    compressionCS: ['none'],
    compressionSC: ['none'],
    languagesCS: [],
    languagesSC: [],
    ...over,
  };
}

interface Pair {
  client: Transport;
  server: Transport;
}

/** A started client and server transport with the given lists on both sides. */
async function pair(
  over: Partial<KexInitLists> = {},
  extra: {
    server?: Partial<Parameters<typeof serverTransport>[1]>;
    client?: Partial<Parameters<typeof clientTransport>[1]>;
    streams?: [ByteStream, ByteStream];
  } = {},
): Promise<Pair> {
  const [a, b] = extra.streams ?? memPipe();
  const seen: string[] = [];
  const client = clientTransport(a, {
    algorithms: lists(over),
    checkHostKey: (_blob, alg) => {
      seen.push(alg);
      return Promise.resolve();
    },
    ...extra.client,
  });
  const server = serverTransport(b, {
    algorithms: lists(over),
    hostKeys: hostKeys.map((k) => serverHostKey(k)),
    serverSigAlgs: ['ssh-ed25519', 'rsa-sha2-256'],
    ...extra.server,
  });
  await Promise.all([client.start(), server.start()]);
  return { client, server };
}

/** Payloads of upper-layer messages (type 100-127: passed up untouched), both ways; compares hashes. */
async function exchange(p: Pair, count = 20, size = 5000): Promise<void> {
  for (const [from, to] of [
    [p.client, p.server],
    [p.server, p.client],
  ] as const) {
    const sent = createHash('sha256');
    const got = createHash('sha256');
    const sends: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const payload = rng(1 + ((i * 997) % size));
      payload[0] = 100 + (i % 20);
      sent.update(payload);
      sends.push(from.send(payload));
    }
    for (let i = 0; i < count; i++) got.update(await to.receive());
    await Promise.all(sends);
    expect(got.digest('hex')).to.equal(sent.digest('hex'));
  }
}

async function close(p: Pair): Promise<void> {
  await p.client.disconnect();
  await p.server.closed;
}

describe('transport: server role, client ↔ server in memory', function () {
  this.timeout(120000);
  let dir = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-server-role-'));
    hostKeys = KEY_TYPES.map(([type, args], i) => {
      const path = join(dir, `key${i}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...args, '-N', '', '-f', path]);
      return parsePrivateKey(readFileSync(path));
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('agree on a session id, host key and algorithms; the server sends server-sig-algs', async () => {
    const p = await pair();
    expect(p.client.sessionId).to.deep.equal(p.server.sessionId);
    expect(p.client.hostKeyBlob).to.deep.equal(p.server.hostKeyBlob);
    expect(p.client.hostKeyBlob).to.deep.equal(hostKeys[0]!.publicKey.blob);
    expect(p.client.negotiated).to.deep.equal(p.server.negotiated);
    expect(p.client.strictKex).to.equal(true);
    expect(p.server.strictKex).to.equal(true);
    expect(p.server.clientVersion).to.equal(p.client.clientVersion);
    expect(p.client.serverVersion).to.equal(p.server.serverVersion);
    expect(p.client.serverSigAlgs).to.deep.equal(['ssh-ed25519', 'rsa-sha2-256']);
    await exchange(p);
    await close(p);
  });

  for (const kex of SUPPORTED_KEX) {
    it(`kex ${kex}`, async () => {
      const p = await pair({ kex: [kex] });
      expect(p.server.negotiated!.kex).to.equal(kex);
      await exchange(p, 4);
      await close(p);
    });
  }

  for (const hostKey of SUPPORTED_HOSTKEY_ALGORITHMS) {
    it(`host key ${hostKey}`, async () => {
      const p = await pair({ hostKey: [hostKey] });
      expect(p.client.negotiated!.hostKey).to.equal(hostKey);
      await exchange(p, 4);
      await close(p);
    });
  }

  for (const cipher of SUPPORTED_CIPHERS) {
    it(`cipher ${cipher}`, async () => {
      const p = await pair({ cipherCS: [cipher], cipherSC: [cipher] });
      expect(p.server.negotiated!.cipherCS).to.equal(cipher);
      await exchange(p);
      await close(p);
    });
  }

  for (const mac of SUPPORTED_MACS) {
    it(`mac ${mac}`, async () => {
      const p = await pair({ macCS: [mac], macSC: [mac] });
      expect(p.server.negotiated!.macSC).to.equal(mac);
      await exchange(p);
      await close(p);
    });
  }

  for (const compression of SUPPORTED_COMPRESSIONS) {
    it(`compression ${compression}`, async () => {
      const p = await pair({ compressionCS: [compression], compressionSC: [compression] });
      if (compression === 'zlib@openssh.com') {
        // Delayed: starts in both directions once userauth succeeded (the server marks it after sending SUCCESS).
        await p.server.send(new Uint8Array([MSG.USERAUTH_SUCCESS]));
        p.server.markAuthenticated();
        expect(await p.client.receive()).to.deep.equal(new Uint8Array([MSG.USERAUTH_SUCCESS]));
        p.client.markAuthenticated();
      }
      await exchange(p);
      await close(p);
    });
  }

  it('rekeys started by the client and by the server while packets flow both ways', async () => {
    const p = await pair({
      kex: ['curve25519-sha256', 'ecdh-sha2-nistp256'],
      cipherCS: ['chacha20-poly1305@openssh.com'],
      cipherSC: ['aes256-gcm@openssh.com'],
    });
    const id = p.client.sessionId;
    const flowing = exchange(p, 200, 30000);
    await Promise.all([p.client.rekey(), p.server.rekey()]);
    await p.server.rekey();
    await flowing;
    await exchange(p, 50);
    expect(p.client.kexCount).to.be.greaterThanOrEqual(3);
    expect(p.server.kexCount).to.equal(p.client.kexCount);
    expect(p.server.sessionId).to.deep.equal(id);
    await close(p);
  });

  it('rekey by volume on the server (RekeyLimit-style byte limit)', async () => {
    const p = await pair({}, { server: { rekeyBytes: 64 * 1024 } });
    await exchange(p, 100, 4000);
    expect(p.server.kexCount).to.be.greaterThan(1);
    expect(p.client.kexCount).to.equal(p.server.kexCount);
    await close(p);
  });

  it('rekey by time follows the injected clock', async () => {
    let now = 1_000_000;
    const p = await pair({}, { server: { clock: () => now, rekeySeconds: 60 } });
    await exchange(p, 2);
    expect(p.server.kexCount).to.equal(1);
    now += 61_000;
    await exchange(p, 2);
    // The send that noticed the age started the rekey; the next exchange runs after it.
    await exchange(p, 2);
    expect(p.server.kexCount).to.equal(2);
    await close(p);
  });

  it('upper layers may not send key-exchange messages', async () => {
    const p = await pair();
    for (const type of [MSG.KEXINIT, MSG.NEWKEYS, 30, 49]) {
      let err: unknown;
      try {
        await p.client.send(new Uint8Array([type, 0]));
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code, `type ${type}`).to.equal('BAD_USE');
    }
    await exchange(p, 2);
    await close(p);
  });

  it('a server refuses a client line before its identification with sshd’s plain-text answer', async () => {
    const [a, b] = memPipe();
    const server = serverTransport(b, { algorithms: lists(), hostKeys: [serverHostKey(hostKeys[0]!)] });
    const started = server.start().catch((e: unknown) => e);
    void a.write(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    const chunks: string[] = [];
    for (let c = await a.read(); c; c = await a.read()) chunks.push(Buffer.from(c).toString('latin1'));
    const err = (await started) as Error;
    expect(err.message).to.match(/client sent invalid protocol identifier/);
    expect(chunks.join('')).to.contain('Invalid SSH identification string.\r\n');
    expect(chunks.join('')).to.match(/^SSH-2\.0-puressh_0\.1\r\n/);
  });

  it('a server sends its version line first and its KEXINIT once the client has spoken, even to a client that waits for it', async () => {
    const [a, b] = memPipe();
    const server = serverTransport(b, { algorithms: lists(), hostKeys: [serverHostKey(hostKeys[0]!)] });
    const started = server.start().catch((e: unknown) => e);
    const first = await a.read();
    expect(Buffer.from(first!).toString('latin1')).to.equal('SSH-2.0-puressh_0.1\r\n');
    // Only the version line: a client that sends its KEXINIT only after the server's still gets one.
    void a.write(new TextEncoder().encode('SSH-2.0-test\r\n'));
    const next = (await a.read())!;
    expect(next[5]).to.equal(MSG.KEXINIT);
    a.close();
    expect(await started).to.be.instanceOf(Error);
  });

  /** A raw client's identification then `order` of unencrypted packets; the server's start() error. */
  async function strictKexServerError(order: ('ignore' | 'kexinit')[]): Promise<Error> {
    const [a, b] = memPipe();
    const server = serverTransport(b, { algorithms: lists(), hostKeys: [serverHostKey(hostKeys[0]!)] });
    const started = server.start().catch((e: unknown) => e);
    const enc = new PacketEncoder(rng);
    const kexinit = encodeKexInit({ ...lists({ kex: ['curve25519-sha256', 'kex-strict-c-v00@openssh.com'] }), cookie: rng(16), firstKexPacketFollows: false });
    void a.write(new TextEncoder().encode('SSH-2.0-test\r\n'));
    for (const what of order) void a.write(enc.encode(what === 'kexinit' ? kexinit : new Uint8Array([MSG.IGNORE, 0, 0, 0, 0])));
    return (await started) as Error;
  }

  it('strict KEX on the server: a client packet other than KEXINIT first is fatal', async () => {
    const err = await strictKexServerError(['ignore', 'kexinit']);
    expect(err.message).to.equal('strict KEX: KEXINIT was not the first packet');
  });

  it('strict KEX on the server: an IGNORE during the initial key exchange is fatal', async () => {
    const err = await strictKexServerError(['kexinit', 'ignore']);
    expect(err.message).to.equal('strict KEX: unexpected IGNORE during the initial key exchange');
  });

  it('a server without a key for any offered host-key algorithm fails the negotiation', async () => {
    const [a, b] = memPipe();
    const client = clientTransport(a, { algorithms: lists({ hostKey: ['ssh-ed25519'] }), checkHostKey: () => Promise.resolve() });
    const server = serverTransport(b, { algorithms: lists({ hostKey: ['ssh-ed25519', 'rsa-sha2-256'] }), hostKeys: [serverHostKey(hostKeys[4]!)] });
    const [c, s] = await Promise.all([client.start().catch((e: unknown) => e), server.start().catch((e: unknown) => e)]);
    expect((s as Error).message).to.match(/host ?key/i);
    expect(c).to.be.instanceOf(Error);
  });
});
