/**
 * The session every runtime test runs (browser, Deno, Bun; universal bundle or Node entry):
 * host key checked, publickey login, a 1 MiB exec round trip, an SFTP put and get. It imports
 * nothing at run time: the runner passes in the puressh module it loaded and a connect
 * function, so the same code runs against the published bundle and the Node entry. Hashes
 * are SHA-256 by WebCrypto, which every one of these runtimes has.
 */
import type { ClientOptions, PrivateKey, SshClient } from '../../src/index.js';

export interface ScenarioParams {
  user: string;
  /** OpenSSH private key file text */
  privateKey: string;
  /** the server's host key fingerprint the client must see ("SHA256:...") */
  hostKeyFingerprint: string;
  /** a directory on the server: the test wrote get.bin there, the scenario writes put.bin */
  remoteDir: string;
  /** size of the exec and SFTP payloads */
  bytes: number;
  /** cipher to ask for (default: the library's order) */
  cipher?: string;
}

export interface ScenarioResult {
  hostKeyFingerprint: string;
  cipher: string;
  /** SHA-256 of the bytes sent to `cat` and of those read back */
  execSentSha256: string;
  execEchoSha256: string;
  /** the server's `sha256sum` of what it received, first word */
  remoteSha256: string;
  /** SHA-256 of what SFTP get read from get.bin */
  getSha256: string;
  /** SHA-256 of what SFTP put wrote to put.bin (the test hashes the file on disk) */
  putSha256: string;
  connectMs: number;
}

/** What the scenario needs from the puressh module it is given. */
export interface ScenarioApi {
  parsePrivateKey(text: string): PrivateKey;
}

/** Deterministic test bytes: xorshift32 from `seed`, so the test knows what to expect. */
export function testBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const EXEC_SEED = 1;
export const PUT_SEED = 2;
export const GET_SEED = 3;

async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function runScenario(api: ScenarioApi, connect: (options: ClientOptions) => Promise<SshClient>, params: ScenarioParams): Promise<ScenarioResult> {
  let seen = '';
  const started = Date.now();
  const client = await connect({
    username: params.user,
    privateKeys: [api.parsePrivateKey(params.privateKey)],
    hostKeyVerifier: (info) => {
      seen = info.fingerprint;
      return info.fingerprint === params.hostKeyFingerprint;
    },
    ...(params.cipher ? { algorithms: { cipher: [params.cipher] } } : {}),
  });
  const connectMs = Date.now() - started;
  try {
    const sent = testBytes(params.bytes, EXEC_SEED);
    const echo = await client.run('cat', sent);
    const remote = await client.run('sha256sum', sent);
    const sftp = await client.sftp();
    const got = await sftp.readFile(`${params.remoteDir}/get.bin`);
    const put = testBytes(params.bytes, PUT_SEED);
    await sftp.writeFile(`${params.remoteDir}/put.bin`, put);
    await sftp.end();
    return {
      hostKeyFingerprint: seen,
      cipher: client.algorithms.cipherCS,
      execSentSha256: await sha256(sent),
      execEchoSha256: await sha256(echo.stdout),
      remoteSha256: new TextDecoder().decode(remote.stdout).split(/\s/)[0] ?? '',
      getSha256: await sha256(got),
      putSha256: await sha256(put),
      connectMs,
    };
  } finally {
    await client.disconnect();
  }
}
