import { expect } from 'chai';
import fc from 'fast-check';
import { VersionParser } from '../../../src/transport/version.js';
import { decodeKexInit, encodeKexInit, guessIsWrong, negotiate, type KexInit } from '../../../src/transport/negotiate.js';
import { AlgorithmNegotiationError, ProtocolError, SshError } from '../../../src/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('version exchange (RFC 4253 §4.2)', () => {
  it('accepts lines before the version and returns the bytes after it', () => {
    const p = new VersionParser();
    expect(p.push(enc('hello there\r\nsecond line\n'))).to.equal(null);
    const v = p.push(enc('SSH-2.0-OpenSSH_9.2p1 Debian\r\n\x00\x00\x01'))!;
    expect(v.version).to.equal('SSH-2.0-OpenSSH_9.2p1 Debian');
    expect(v.preamble).to.deep.equal(['hello there', 'second line']);
    expect(Array.from(v.rest)).to.deep.equal([0, 0, 1]);
  });

  it('handles the version line split across chunks, byte by byte', () => {
    const p = new VersionParser();
    const bytes = enc('SSH-1.99-compat\r\nX');
    let v: ReturnType<VersionParser['push']> = null;
    for (const b of bytes) v = p.push(new Uint8Array([b])) ?? v;
    expect(v!.version).to.equal('SSH-1.99-compat');
  });

  it('rejects SSH-1 peers, over-long lines and endless banners', () => {
    expect(() => new VersionParser().push(enc('SSH-1.5-old\r\n'))).to.throw(ProtocolError, 'unsupported protocol version');
    expect(() => new VersionParser().push(enc('SSH-2.0-' + 'x'.repeat(300) + '\r\n'))).to.throw(ProtocolError, 'longer than 255');
    expect(() => new VersionParser().push(enc('x'.repeat(300)))).to.throw(ProtocolError, 'longer than 255');
    const p = new VersionParser();
    expect(() => p.push(enc('junk\n'.repeat(2000)))).to.throw(ProtocolError, 'does not look like an SSH server');
  });

  it('random input never throws anything but SshError (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }), (chunks) => {
        const p = new VersionParser();
        try {
          for (const c of chunks) if (p.push(c)) break;
        } catch (e) {
          expect(e).to.be.instanceOf(SshError);
        }
      }),
    );
  });
});

function kexinit(over: Partial<KexInit> = {}): KexInit {
  return {
    cookie: new Uint8Array(16).fill(7),
    kex: ['curve25519-sha256', 'ecdh-sha2-nistp256'],
    hostKey: ['ssh-ed25519', 'rsa-sha2-512'],
    cipherCS: ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
    cipherSC: ['aes128-ctr'],
    macCS: ['hmac-sha2-256'],
    macSC: ['hmac-sha2-256'],
    compressionCS: ['none'],
    compressionSC: ['none', 'zlib@openssh.com'],
    languagesCS: [],
    languagesSC: [],
    firstKexPacketFollows: false,
    ...over,
  };
}

describe('KEXINIT and negotiation (RFC 4253 §7.1)', () => {
  it('encodes and decodes KEXINIT', () => {
    const k = kexinit({ firstKexPacketFollows: true });
    const back = decodeKexInit(encodeKexInit(k));
    expect(back).to.deep.equal(k);
  });

  it('picks the first client algorithm the server supports, skipping MACs for AEAD', () => {
    const client = kexinit({ kex: ['curve25519-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com'] });
    const server = kexinit({
      kex: ['ecdh-sha2-nistp256', 'curve25519-sha256', 'kex-strict-s-v00@openssh.com'],
      cipherCS: ['aes128-ctr', 'chacha20-poly1305@openssh.com'],
    });
    const n = negotiate(client, server, (c) => c.startsWith('chacha20'));
    expect(n).to.deep.equal({
      kex: 'curve25519-sha256',
      hostKey: 'ssh-ed25519',
      cipherCS: 'chacha20-poly1305@openssh.com',
      cipherSC: 'aes128-ctr',
      macCS: '',
      macSC: 'hmac-sha2-256',
      compressionCS: 'none',
      compressionSC: 'none',
    });
    expect(guessIsWrong(server, client)).to.equal(true);
    expect(guessIsWrong(client, server)).to.equal(true);
    expect(guessIsWrong(client, kexinit({ kex: ['curve25519-sha256', 'ext-info-s'] }))).to.equal(false);
  });

  it("a guess is wrong when the first choices differ, even if negotiation lands on the guesser's first (RFC 4253 §7.1)", () => {
    // The client prefers X, which the server lacks; the server's first is what gets negotiated.
    const client = kexinit({ kex: ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256'] });
    const server = kexinit({ kex: ['curve25519-sha256'] });
    expect(negotiate(client, server, () => false).kex).to.equal('curve25519-sha256');
    expect(guessIsWrong(server, client)).to.equal(true);
    // same kex, different first host key algorithm
    expect(guessIsWrong(kexinit({ hostKey: ['rsa-sha2-512', 'ssh-ed25519'] }), kexinit())).to.equal(true);
    expect(guessIsWrong(kexinit(), kexinit())).to.equal(false);
  });

  it('names the category and both lists when nothing matches', () => {
    try {
      negotiate(kexinit(), kexinit({ macSC: ['hmac-md5'] }), () => false);
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(AlgorithmNegotiationError);
      const err = e as AlgorithmNegotiationError;
      expect(err.kind).to.equal('mac_sc');
      expect(err.code).to.equal('KEX_FAILURE');
      expect(err.message).to.equal("no matching mac_sc algorithm: ours [hmac-sha2-256], server's [hmac-md5]");
    }
  });

  it('mutated KEXINIT payloads raise only SshError (fast-check)', () => {
    const good = encodeKexInit(kexinit());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length }), fc.uint8Array({ maxLength: 8 }), (cut, junk) => {
        const bad = new Uint8Array([...good.subarray(0, cut), ...junk]);
        try {
          decodeKexInit(bad);
        } catch (e) {
          expect(e).to.be.instanceOf(SshError);
        }
      }),
    );
  });
});
