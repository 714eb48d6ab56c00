/**
 * `npm run demo:browser`: puressh in a web page. Starts a throwaway OpenSSH sshd (temp dir,
 * 127.0.0.1, a fresh host key and user key, running as the current user), the WebSocket bridge
 * pointed only at it, and a static HTTP server on 127.0.0.1 that serves examples/browser/ under a
 * strict Content-Security-Policy. Prints the page's URL and the host key's fingerprint (from
 * `ssh-keygen -l`, to compare with what the page shows) and runs until Ctrl-C, then stops
 * everything and removes the temp dir. PORT=8080 picks the page's port (default: any free one).
 *
 * The page logs in with the throwaway user key, which this server hands it at a same-origin URL:
 * fine for a demo whose server and account live for minutes on 127.0.0.1, never for real keys.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebSocketProxy, type WebSocketProxy } from '../src/node.js';
import { SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd, type Sshd } from '../test/support/sshd.js';
import { buildUniversalBundle, UNIVERSAL_BUNDLE } from './build-universal.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE_DIR = join(ROOT, 'examples/browser');
const XTERM_INSTALL = 'npm ci (devDependency @xterm/xterm)';
/** Where index.html's script tag carries the nonce that the policy's style-src names. */
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

export interface BrowserDemo {
  /** the page, http://127.0.0.1:PORT/ */
  url: string;
  /** the host key's "SHA256:…" fingerprint as `ssh-keygen -l` prints it */
  hostKeyFingerprint: string;
  /** the directory the page lists over SFTP (inside the sshd's temp dir) */
  directory: string;
  sshd: Sshd;
  bridge: WebSocketProxy;
  /** the Content-Security-Policy of every response; NONCE stands for the per-response nonce */
  csp: string;
  stop(): Promise<void>;
}

export interface BrowserDemoOptions {
  /** port of the page's HTTP server (default 0: any free port) */
  port?: number;
  /** one line per bridged connection and refusal */
  log?: (line: string) => void;
}

/** The newest modification time under `dir`, in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** dist/puressh.universal.js, built first when it is missing or older than src/. */
async function universalBundle(): Promise<string> {
  if (!existsSync(UNIVERSAL_BUNDLE) || statSync(UNIVERSAL_BUNDLE).mtimeMs < newestMtime(join(ROOT, 'src'))) await buildUniversalBundle(UNIVERSAL_BUNDLE);
  return UNIVERSAL_BUNDLE;
}

/** @xterm/xterm's package directory, or an Error naming the install command. */
function xtermDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('@xterm/xterm/package.json'));
  } catch (e) {
    throw new Error(`@xterm/xterm is missing; install it with: ${XTERM_INSTALL}`, { cause: e });
  }
}

/** `ssh-keygen -l -E sha256 -f key.pub` → "SHA256:…" */
function keygenFingerprint(publicKeyPath: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath], { encoding: 'utf8' });
  const fingerprint = out.split(/\s+/)[1];
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -l output: ${out}`);
  return fingerprint;
}

/**
 * The policy of every response. Scripts only from this origin and never eval; styles from this
 * origin, plus the <style> elements xterm.js creates, which carry the nonce; connections to this
 * origin and the bridge only; nothing else.
 */
function contentSecurityPolicy(bridgePort: number, nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    `connect-src 'self' ws://127.0.0.1:${bridgePort}`,
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Start the sshd, the bridge and the page's server; resolves once all three listen. */
export async function startBrowserDemo(options: BrowserDemoOptions = {}): Promise<BrowserDemo> {
  const bundle = await universalBundle();
  const xterm = xtermDir();
  const sshd = await startSshd({ hostKeyTypes: ['ed25519'], rsaBits: 2048 });
  let bridge: WebSocketProxy | undefined;
  let web: Server | undefined;
  const stop = async (): Promise<void> => {
    web?.closeAllConnections();
    await new Promise((resolve) => (web ? web.close(resolve) : resolve(undefined)));
    await bridge?.close();
    await sshd.stop();
  };
  try {
    const directory = join(sshd.dir, 'files');
    mkdirSync(directory);
    writeFileSync(join(directory, 'hello.txt'), 'Hello from the throwaway sshd of `npm run demo:browser`.\n');
    // The login shell reads $HOME/.profile (HOME is the temp dir): start it where the page lists files.
    writeFileSync(join(sshd.dir, '.profile'), 'cd "$HOME/files"\n');
    const hostKeyFingerprint = keygenFingerprint(`${sshd.hostKeys.ed25519!.path}.pub`);

    web = createServer();
    await new Promise<void>((resolve, reject) => {
      web!.once('error', reject);
      web!.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const origin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    bridge = await startWebSocketProxy({ targets: { sshd: { host: sshd.host, port: sshd.port } }, allowedOrigins: [origin], log: options.log });
    const config = {
      webSocketUrl: `ws://127.0.0.1:${bridge.port}/?token=sshd`,
      target: `${sshd.host}:${sshd.port}`,
      username: sshd.user,
      directory,
      keyUrl: 'demo-key',
    };
    const files: Record<string, [type: string, path: string]> = {
      '/app.js': ['text/javascript', join(PAGE_DIR, 'app.js')],
      '/style.css': ['text/css', join(PAGE_DIR, 'style.css')],
      '/puressh.universal.js': ['text/javascript', bundle],
      '/puressh.universal.js.map': ['application/json', `${bundle}.map`],
      '/xterm.mjs': ['text/javascript', join(xterm, 'lib/xterm.mjs')],
      '/xterm.css': ['text/css', join(xterm, 'css/xterm.css')],
    };
    const bridgePort = bridge.port;
    web.on('request', (req, res) => {
      const nonce = randomBytes(18).toString('base64');
      const headers = {
        'content-security-policy': contentSecurityPolicy(bridgePort, nonce),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      };
      const path = new URL(req.url ?? '/', origin).pathname;
      const send = (type: string, body: string | Buffer): void => void res.writeHead(200, { ...headers, 'content-type': type }).end(body);
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, headers).end();
      if (path === '/' || path === '/index.html')
        return send('text/html; charset=utf-8', readFileSync(join(PAGE_DIR, 'index.html'), 'utf8').replace(NONCE_PLACEHOLDER, nonce));
      if (path === '/demo.json') return send('application/json', JSON.stringify(config));
      // Throwaway demo only (see the top of this file).
      if (path === '/demo-key') return send('text/plain; charset=utf-8', readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'));
      const file = Object.hasOwn(files, path) ? files[path] : undefined;
      if (!file) return void res.writeHead(path === '/favicon.ico' ? 204 : 404, headers).end();
      send(file[0], readFileSync(file[1]));
    });
    return {
      url: `${origin}/`,
      hostKeyFingerprint,
      directory,
      sshd,
      bridge,
      csp: contentSecurityPolicy(bridgePort, 'NONCE'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function main(): Promise<number> {
  if (!existsSync(SSHD_PATH)) {
    console.error(`OpenSSH's sshd (${SSHD_PATH}) is not installed; install it with: ${SSHD_INSTALL_COMMAND}`);
    return 1;
  }
  const demo = await startBrowserDemo({ port: Number(process.env.PORT ?? 0), log: (line) => console.log(`bridge: ${line}`) });
  console.log('puressh browser demo');
  console.log();
  console.log(`  page        ${demo.url}`);
  console.log(`  sshd        ${demo.sshd.host}:${demo.sshd.port} as ${demo.sshd.user} (temp dir ${demo.sshd.dir})`);
  console.log(`  bridge      ws://127.0.0.1:${demo.bridge.port}/ (to that sshd only, from that page only)`);
  console.log(`  host key    ED25519 ${demo.hostKeyFingerprint}  (ssh-keygen -l; the page must show the same)`);
  console.log(`  files       ${demo.directory}`);
  console.log(`  policy      ${demo.csp}`);
  console.log();
  console.log('The page logs in with a throwaway key that this server hands it: for this demo only.');
  console.log('Open the page in a browser; Ctrl-C stops the demo.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await demo.stop();
  console.log(`\nstopped; ${demo.sshd.dir} removed`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`demo:browser failed: ${(e as Error)?.stack ?? String(e)}`);
      process.exit(1);
    },
  );
}
