/**
 * What the Chromium tests share: a local web server for a test page and its scripts, each
 * response under a strict Content-Security-Policy (scripts from the page's origin only, no
 * eval, connections only to the WebSocket bridge), and the wait for the page script's
 * `globalThis.puresshOutcome`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Chromium } from './chromium.js';

/** Files by URL path: [content type, body]. */
export type PageFiles = Record<string, [string, string | Buffer]>;

export interface PageServer {
  /** the listening port on 127.0.0.1 */
  readonly port: number;
  /** Serve `files` (404 for anything else), each under `csp`. */
  serve(files: PageFiles, csp: string): void;
  close(): Promise<void>;
}

/** Start an empty web server on 127.0.0.1 (any free port); give it its files with serve(). */
export async function startPageServer(): Promise<PageServer> {
  const web = createServer();
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  let files: PageFiles = {};
  let policy = "default-src 'none'";
  web.on('request', (req, res) => {
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'content-security-policy': policy, 'cache-control': 'no-store' }).end(file[1]);
  });
  return {
    port: (web.address() as AddressInfo).port,
    serve(f, csp) {
      files = f;
      policy = csp;
    },
    close: () => new Promise<void>((r) => web.close(() => r())),
  };
}

/** The policy of the test pages: own scripts only (no eval), connections only to the bridge on `bridgePort`. */
export function strictCsp(bridgePort: number): string {
  return `default-src 'none'; script-src 'self'; connect-src 'self' ws://127.0.0.1:${bridgePort}; style-src 'unsafe-inline'`;
}

/** A page that shows a title and the script's output, and loads `script` as a module. */
export function pageHtml(title: string, script: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font:14px monospace"><h3>${title}</h3><pre id="out" style="white-space:pre-wrap;word-break:break-all"></pre><script type="module" src="${script}"></script>`;
}

/**
 * Wait (generously: the machine may be busy) until the page script has set
 * `globalThis.puresshOutcome`, and return its value (a Promise there is awaited).
 */
export async function pageOutcome<T>(chromium: Chromium, session: string): Promise<T | undefined> {
  let outcome: T | undefined;
  for (let i = 0; i < 600 && outcome === undefined; i++) {
    outcome = (await chromium.evaluate(session, 'globalThis.puresshOutcome')) as T | undefined;
    if (outcome === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  return outcome;
}
