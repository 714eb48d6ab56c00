/**
 * Legacy algorithms are never offered unless named: capture the KEXINIT our client
 * actually sends, over an in-memory stream whose "server" only sends a version line.
 */
import { expect } from 'chai';
import { SshClient, algorithmLists, type AlgorithmPreferences } from '../../../src/client.js';
import { SshError } from '../../../src/errors.js';
import { decodeKexInit, type KexInit } from '../../../src/transport/negotiate.js';
import type { ByteStream } from '../../../src/transport/stream.js';
import { concat } from './helpers.js';

const LEGACY_CIPHERS = ['3des-cbc', 'blowfish-cbc', 'cast128-cbc', 'arcfour', 'arcfour128', 'arcfour256', 'rijndael-cbc@lysator.liu.se'];
const LEGACY_MACS = ['hmac-ripemd160', 'hmac-ripemd160@openssh.com', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com', 'hmac-md5-96-etm@openssh.com'];

/** The first binary packet after our version line, decoded as KEXINIT. */
function firstKexInit(sent: Uint8Array): KexInit | null {
  const crlf = Buffer.from(sent).indexOf('\r\n');
  if (crlf < 0) return null;
  const rest = sent.subarray(crlf + 2);
  if (rest.length < 4) return null;
  const len = new DataView(rest.buffer, rest.byteOffset).getUint32(0);
  if (rest.length < 4 + len) return null;
  const pad = rest[4]!;
  return decodeKexInit(rest.subarray(5, 4 + len - pad));
}

/** Connect to a fake server that sends its version and then hangs up once our KEXINIT is in. */
async function captureKexInit(algorithms?: AlgorithmPreferences, debug?: (line: string) => void): Promise<KexInit> {
  const written: Uint8Array[] = [];
  let kexinit: KexInit | null = null;
  let release: () => void = () => undefined;
  const done = new Promise<void>((r) => (release = r));
  let versionSent = false;
  const stream: ByteStream = {
    async read() {
      if (!versionSent) {
        versionSent = true;
        return new TextEncoder().encode('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
      }
      await done;
      return null;
    },
    write(data: Uint8Array) {
      written.push(data.slice());
      kexinit ??= firstKexInit(concat(...written));
      if (kexinit) release();
    },
    close() {
      release();
    },
  };
  const err = await SshClient.connect(stream, { username: 'u', hostKeyVerifier: () => false, algorithms, debug, timeout: 10_000 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the fake server hangs up: connect must fail').to.be.instanceOf(SshError);
  if (!kexinit) throw new Error('no KEXINIT was sent');
  return kexinit;
}

describe('transport: legacy algorithms in our KEXINIT', () => {
  it('with the defaults, none of them is offered (nor ssh-dss, nor the SHA-1 groups, nor none)', async () => {
    const lines: string[] = [];
    const k = await captureKexInit(undefined, (l) => lines.push(l));
    for (const list of [k.cipherCS, k.cipherSC]) {
      for (const name of [...LEGACY_CIPHERS, 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'none']) expect(list, 'cipher').to.not.include(name);
    }
    for (const list of [k.macCS, k.macSC]) {
      for (const name of [...LEGACY_MACS, 'hmac-md5', 'hmac-md5-96', 'hmac-sha1-96', 'none']) expect(list, 'MAC').to.not.include(name);
    }
    expect(k.hostKey).to.not.include('ssh-dss');
    for (const kex of ['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1']) expect(k.kex).to.not.include(kex);
    expect(k.cipherCS).to.include('aes128-ctr'); // and it is a real KEXINIT
    expect(lines.some((l) => /WARNING/.test(l))).to.equal(false);
  });

  it('enabled by name, each is offered exactly as asked, in both directions', async () => {
    const k = await captureKexInit({
      kex: ['diffie-hellman-group1-sha1'],
      hostKey: ['ssh-dss'],
      cipher: LEGACY_CIPHERS,
      mac: LEGACY_MACS,
    });
    expect(k.cipherCS).to.deep.equal(LEGACY_CIPHERS);
    expect(k.cipherSC).to.deep.equal(LEGACY_CIPHERS);
    expect(k.macCS).to.deep.equal(LEGACY_MACS);
    expect(k.macSC).to.deep.equal(LEGACY_MACS);
    expect(k.hostKey).to.deep.equal(['ssh-dss']);
    expect(k.kex[0]).to.equal('diffie-hellman-group1-sha1');
    // only extension markers (ext-info-c, kex-strict-c-…) may follow the one method asked for
    expect(k.kex.slice(1).every((n) => n === 'ext-info-c' || n.startsWith('kex-strict-c'))).to.equal(true);
  });

  it('one legacy cipher added to the defaults (OpenSSH "Ciphers +3des-cbc"): offered last', async () => {
    const k = await captureKexInit({ cipher: [...algorithmLists().cipherCS, '3des-cbc'] });
    expect(k.cipherCS.at(-1)).to.equal('3des-cbc');
    expect(k.cipherCS.filter((n) => LEGACY_CIPHERS.includes(n))).to.deep.equal(['3des-cbc']);
  });

  it('none is offered only when named, with a warning through the debug hook', async () => {
    const lines: string[] = [];
    const k = await captureKexInit({ cipher: ['aes128-ctr', 'none'], mac: ['hmac-sha2-256', 'none'] }, (l) => lines.push(l));
    expect(k.cipherCS).to.deep.equal(['aes128-ctr', 'none']);
    expect(k.macSC).to.deep.equal(['hmac-sha2-256', 'none']);
    expect(lines.filter((l) => /^WARNING: cipher "none"/.test(l))).to.have.length(1);
    expect(lines.filter((l) => /^WARNING: MAC "none"/.test(l))).to.have.length(1);
  });

  it('algorithmLists: names we do not implement are refused before connecting', () => {
    for (const pref of [{ cipher: ['des-cbc'] }, { cipher: ['arcfour512'] }, { mac: ['hmac-ripemd160-etm@openssh.com'] }, { cipher: ['None'] }]) {
      expect(() => algorithmLists(pref), JSON.stringify(pref))
        .to.throw(SshError)
        .with.property('code', 'METHOD_NOT_SUPPORTED');
    }
    const lines: string[] = [];
    expect(algorithmLists({ cipher: ['none'] }, (l) => lines.push(l)).cipherCS).to.deep.equal(['none']);
    expect(lines).to.have.length(1);
  });
});
