/**
 * The browser section of `npm run bench` (BENCH_ONLY=browser): the universal bundle in
 * headless Chromium (Debian's chromium), through the WebSocket bridge, against Node with the
 * same pure-JavaScript crypto (the bench's compiled child, its own process, direct TCP), both
 * on the bench's sshd: connect-to-authenticated time and an exec download of N bytes
 * (`head -c N /dev/zero`, first byte to EOF) per cipher. Target: the browser within 0.8× of Node.
 * Both sides use the same key exchange (KEX): left to its defaults, the page would negotiate
 * a post-quantum hybrid whose key generation alone costs more than the whole curve25519 connect.
 *
 * Beside them, as a diagnostic, Node through the same bridge (its WebSocket client, the
 * library's webSocketStream): the browser's path without Chromium, on the same cores.
 *
 * The bridge runs as users run it: `puressh websocket-proxy` (the compiled CLI), its own process.
 *
 * Two Chromium pages: one whose policy also has 'wasm-unsafe-eval' (it lets a page compile
 * WebAssembly, not evaluate JavaScript), so Poly1305 and UMAC run in the library's WebAssembly
 * kernels as they do in Node — the like-for-like comparison, which the target judges; and one
 * under the strict policy alone, where compiling WebAssembly is refused and the library falls
 * back to its JavaScript kernels.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprintSHA256, parsePublicKeyLine } from '../src/node.js';
import { Chromium } from '../test/support/chromium.js';
import { CHROMIUM, compilePieces, requireRuntime, type CompiledPieces } from '../test/support/runtimes.js';
import type { Sshd } from '../test/support/sshd.js';
import type { PageOutcome } from '../test/runtimes/browser-page.js';
import { KEX } from './bench-child.js';
import { CpuSampler } from './bench-cpu.js';
import { median, parseSize } from './bench-process.js';

export const BROWSER_CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com'];
/** 'chromium': WebAssembly allowed by the page's policy; 'chromium-strict': not */
export type BrowserSide = 'chromium' | 'chromium-strict';
/** the browser's connect time and download rate, each at least this fraction of Node's */
const TARGET = 0.8;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A running `puressh websocket-proxy` process. */
interface BridgeProcess {
  port: number;
  pid: number;
  close(): Promise<void>;
}

/**
 * `puressh websocket-proxy` from `root` (its built CLI) in its own process, bridging only to
 * `target` for pages from `origin`; resolves once it listens.
 */
export function startBridgeProcess(root: string, target: { host: string; port: number }, origin: string): Promise<BridgeProcess> {
  const p: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'puressh'), 'websocket-proxy', '--allow-origin', origin, '127.0.0.1:0', `${target.host}:${target.port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    const onExit = (code: number | null): void => reject(new Error(`websocket-proxy exited (${code}): ${err}`));
    p.once('exit', onExit);
    p.once('error', reject);
    p.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /listening on [^\n]*:(\d+)\n/.exec(err);
      if (!m) return;
      p.off('exit', onExit);
      resolve({
        port: Number(m[1]),
        pid: p.pid!,
        close: () =>
          new Promise<void>((done) => {
            if (p.exitCode !== null || p.signalCode !== null) return done();
            p.once('exit', () => done());
            p.kill('SIGTERM');
          }),
      });
    });
  });
}

/** One side's measurement of one cipher in one run. */
export interface BrowserSample {
  connectMs: number;
  /** first byte to EOF */
  downloadMs: number;
  /** a page: whether it compiled WebAssembly (so Poly1305 ran the WebAssembly kernel) */
  wasm?: boolean;
  /** BENCH_BROWSER_CPU=1: CPU ms per process during the download (first byte to EOF) */
  cpuMs?: Record<string, number>;
}

/**
 * Chromium with a page server and the bridge to the sshd. Each measurement is a fresh page
 * (one cipher, one connection), as each of Node's is a fresh process: neither side's first
 * connection warms up the code of the next.
 */
export class BrowserBench {
  /** the cipher the next page visit measures (its params.json) */
  private cipher = BROWSER_CIPHERS[0]!;
  /** the policy of the next page visit */
  private wasm = true;

  private constructor(
    private readonly chromium: Chromium,
    private readonly pieces: CompiledPieces,
    private readonly web: Server,
    private readonly proxy: { port: number; close(): Promise<void> },
    private readonly origin: string,
    private readonly bytes: number,
    private readonly cpu: CpuSampler | null,
  ) {}

  /** `bridgeRoot`: the checkout whose built `puressh websocket-proxy` runs the bridge (default this one) */
  static async start(sshd: Sshd, bytes: number, bridgeRoot = ROOT): Promise<BrowserBench> {
    let bench: BrowserBench | undefined;
    requireRuntime(CHROMIUM);
    const pieces = await compilePieces();
    const web = createServer();
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    let proxy: BridgeProcess;
    try {
      proxy = await startBridgeProcess(bridgeRoot, sshd, origin);
    } catch (e) {
      web.close();
      await pieces.remove();
      throw e;
    }
    const scenario = {
      user: sshd.user,
      privateKey: readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'),
      hostKeyFingerprint: fingerprintSHA256(parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key.blob),
      remoteDir: sshd.dir,
      bytes: 0,
    };
    const files: Record<string, [string, string | Buffer]> = {
      '/': ['text/html', '<!doctype html><pre id="out"></pre><script type="module" src="./browser-page.js"></script>'],
      '/browser-page.js': ['text/javascript', readFileSync(pieces.browserPage)],
      '/puressh.universal.js': ['text/javascript', readFileSync(pieces.universalBundle)],
    };
    const params = (): [string, string] => [
      'application/json',
      JSON.stringify({
        webSocketUrl: `ws://127.0.0.1:${proxy.port}/`,
        scenario,
        bench: {
          bytes,
          ciphers: [bench!.cipher],
          kex: KEX,
          ...(process.env.BENCH_BROWSER_WINDOW ? { window: parseSize(process.env.BENCH_BROWSER_WINDOW) } : {}),
        },
      }),
    ];
    web.on('request', (req, res) => {
      const file = req.url === '/params.json' ? params() : files[req.url ?? ''];
      if (!file) return void res.writeHead(404).end();
      res
        .writeHead(200, {
          'content-type': file[0],
          'content-security-policy': `default-src 'self'; script-src 'self'${bench!.wasm ? " 'wasm-unsafe-eval'" : ''}; connect-src 'self' ws://127.0.0.1:${proxy.port}`,
        })
        .end(file[1]);
    });
    let chromium: Chromium;
    try {
      chromium = await Chromium.launch();
    } catch (e) {
      await proxy.close();
      web.close();
      await pieces.remove();
      throw e;
    }
    const cpu = process.env.BENCH_BROWSER_CPU ? new CpuSampler(process.pid, proxy.pid, sshd.pid, process.env.BENCH_BROWSER_CPU === 'threads') : null;
    bench = new BrowserBench(chromium, pieces, web, proxy, origin, bytes, cpu);
    return bench;
  }

  /** One page visit: a download with `cipher` in the browser, the page's policy as `side` says. */
  async visit(cipher: string, side: BrowserSide): Promise<BrowserSample> {
    this.cipher = cipher;
    this.wasm = side === 'chromium';
    this.cpu?.start();
    const session = await this.chromium.open(`${this.origin}/`);
    let outcome: PageOutcome | undefined;
    // Until the page has loaded, the global is not there yet.
    while (outcome === undefined) {
      outcome = (await this.chromium.evaluate(session, 'globalThis.puresshOutcome')) as PageOutcome | undefined;
      if (outcome === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    this.cpu?.stop();
    if (!outcome.ok || !outcome.bench) throw new Error(`browser run failed: ${outcome.error}\n${this.chromium.pageLog().join('\n')}`);
    await this.chromium.send('Page.close', {}, session);
    const [b] = outcome.bench;
    if (outcome.bench.length !== 1 || b!.cipher !== cipher || b!.bytes !== this.bytes) {
      throw new Error(`browser: measured ${JSON.stringify(outcome.bench)}, expected ${this.bytes} bytes with ${cipher}`);
    }
    const cpuMs = this.cpu?.between(...b!.downloadEpochMs);
    return { connectMs: b!.connectMs, downloadMs: b!.downloadMs, wasm: b!.wasm, ...(cpuMs ? { cpuMs } : {}) };
  }

  /** The bridge's URL, for Node over the same path (the bench's same-path comparison). */
  get webSocketUrl(): string {
    return `ws://127.0.0.1:${this.proxy.port}/`;
  }

  async close(): Promise<void> {
    await this.chromium.close();
    await this.proxy.close();
    this.web.close();
    await this.pieces.remove();
  }
}

/**
 * The browser table: per cipher, connect time and download rate of Chromium (WebAssembly
 * allowed), Chromium under the strict policy and Node; browser ÷ Node judged on the first.
 */
export function browserReport(samples: Map<string, BrowserSample[]>, bytes: number): { md: string; json: Record<string, unknown> } {
  const range = (xs: number[], digits: number) =>
    xs.length ? `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : '—';
  const rate = (s: BrowserSample) => bytes / 1e3 / s.downloadMs;
  const head = [
    'cipher',
    'Chromium connect ms',
    'Node pure connect ms',
    'Chromium MB/s',
    'Chromium, strict CSP (no Wasm) MB/s',
    'Node pure MB/s',
    'Node pure through the bridge MB/s',
    'browser ÷ Node: rate, connect',
    'target',
    'met',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const json: Record<string, unknown> = {};
  for (const cipher of BROWSER_CIPHERS) {
    const b = samples.get(`${cipher}|chromium`) ?? [];
    const strict = samples.get(`${cipher}|chromium-strict`) ?? [];
    const n = samples.get(`${cipher}|node-pure`) ?? [];
    const nb = samples.get(`${cipher}|node-pure-bridge`) ?? [];
    if (!b.length || !n.length) continue;
    // Rates as browser ÷ Node; connect times as Node's ÷ the browser's: ≥ 0.8 either way.
    const rateRatio = median(b.map(rate)) / median(n.map(rate));
    const connectRatio = median(n.map((s) => s.connectMs)) / median(b.map((s) => s.connectMs));
    const met = rateRatio >= TARGET && connectRatio >= TARGET;
    const cells = [
      cipher,
      range(
        b.map((s) => s.connectMs),
        0,
      ),
      range(
        n.map((s) => s.connectMs),
        0,
      ),
      range(b.map(rate), 1),
      range(strict.map(rate), 1),
      range(n.map(rate), 1),
      range(nb.map(rate), 1),
      `${rateRatio.toFixed(2)}, ${connectRatio.toFixed(2)}`,
      `both ≥ ${TARGET}`,
      met ? 'yes' : 'no',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
    json[cipher] = { samples: { chromium: b, 'chromium-strict': strict, 'node-pure': n, 'node-pure-bridge': nb }, rateRatio, connectRatio, met };
  }
  return { md: lines.join('\n'), json };
}
