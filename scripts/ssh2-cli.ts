/**
 * A minimal command-line client over the `ssh2` npm package, for the CLI section of
 * `npm run bench`: the same-constraint peer of the `puressh` command (JavaScript over
 * node:crypto: ssh2's optional C++ addon is not loaded unless the config asks for it), over a
 * socket with TCP_NODELAY. Not an
 * OpenSSH-compatible CLI: the bench gives it what the other clients get as options (port, user,
 * key, the known host key, kex, cipher, MAC) as JSON, and one action:
 *
 *   node ssh2-cli.mjs ROOT CONFIG exec COMMAND      channel data to fd 1 (piped: waits for it to drain), stderr to fd 2, exits with the command's status
 *   node ssh2-cli.mjs ROOT CONFIG get REMOTE LOCAL  sftp fastGet, 64 requests × 32 KiB in flight (OpenSSH sftp's default)
 *   node ssh2-cli.mjs ROOT CONFIG put LOCAL REMOTE  sftp fastPut, the same
 *
 * The bench transpiles this file and runs it under plain `node`, as a user's script runs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';

export interface Ssh2CliConfig {
  port: number;
  user: string;
  /** the user's private key (OpenSSH format) */
  keyPath: string;
  /** the server's host key as a known_hosts key ("ssh-ed25519 AAAA…"): any other is refused */
  hostKey: string;
  kex: string;
  cipher: string;
  mac?: string;
  /** true: let ssh2 load its C++ addon if it is built */
  addon?: boolean;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

const [root, configJson, action, ...rest] = process.argv.slice(2) as [string, string, string, ...string[]];
const config = JSON.parse(configJson) as Ssh2CliConfig;
const require = createRequire(`${root}/package.json`);

if (!config.addon) {
  // As a plain install without a compiler has it: loading the addon fails, ssh2 falls back to node:crypto.
  (require('node:module') as { _extensions: Record<string, () => never> })._extensions['.node'] = () => {
    throw new Error('native addons disabled for this client');
  };
}
const { Client } = require('ssh2') as { Client: new () => any };
const [hostKeyType, hostKeyBase64] = config.hostKey.split(/\s+/) as [string, string];
const knownHostKey = Buffer.from(hostKeyBase64, 'base64');

/** 64 × 32 KiB: what OpenSSH's sftp keeps in flight by default (ssh2's defaults too, stated here) */
const TRANSFER = { concurrency: 64, chunkSize: 32 * 1024 };

function fail(err: Error): void {
  process.stderr.write(`ssh2-cli: ${err.message}\n`);
  process.exitCode = 255;
}

const client = new Client();
client.on('error', (err: Error) => fail(err));
client.on('ready', () => {
  if (action === 'exec') {
    client.exec(rest.join(' '), (err: Error | undefined, stream: any) => {
      if (err) return fail(err);
      let status = 255;
      stream.pipe(process.stdout, { end: false });
      stream.stderr.pipe(process.stderr, { end: false });
      stream.on('exit', (code: number | null) => (status = code ?? 255));
      stream.on('close', () => {
        process.exitCode = status;
        client.end();
      });
      stream.end(); // stdin is /dev/null: EOF at once
    });
  } else if (action === 'get' || action === 'put') {
    client.sftp((err: Error | undefined, sftp: any) => {
      if (err) return fail(err);
      const [from, to] = rest as [string, string];
      const done = (e?: Error): void => {
        if (e) fail(e);
        client.end();
      };
      if (action === 'get') sftp.fastGet(from, to, TRANSFER, done);
      else sftp.fastPut(from, to, TRANSFER, done);
    });
  } else {
    fail(new Error(`unknown action "${action}" (exec, get, put)`));
    client.end();
  }
});
// TCP_NODELAY, as the library bench's ssh2 sides have it: without it Nagle's algorithm holds
// small packets ssh2 writes in pieces behind the server's delayed ACK (~40 ms per round trip).
const sock = connect(config.port, '127.0.0.1');
sock.setNoDelay(true);
client.connect({
  sock,
  username: config.user,
  privateKey: readFileSync(config.keyPath),
  hostVerifier: (key: Buffer) => key.equals(knownHostKey),
  algorithms: { kex: [config.kex], serverHostKey: [hostKeyType], cipher: [config.cipher], ...(config.mac ? { hmac: [config.mac] } : {}) },
});
