/**
 * Download throughput of the universal bundle in headless Chromium (through the WebSocket
 * bridge) against Node with the same pure-JavaScript crypto, per cipher, from a throwaway sshd:
 * connect-to-authenticated time and `head -c N /dev/zero` over exec. Needs Debian's chromium.
 *
 *   tsx scripts/bench-browser.ts [MiB=16] [runs=3]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, fingerprintSHA256, parsePrivateKey, parsePublicKeyLine, startWebSocketProxy } from '../src/node.js';
import { Chromium } from '../test/support/chromium.js';
import { compilePieces } from '../test/support/runtimes.js';
import { startSshd } from '../test/support/sshd.js';

const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com'];
const bytes = Number(process.argv[2] ?? 16) * 1024 * 1024;
const runs = Number(process.argv[3] ?? 3);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (ms: number): number => bytes / ms / 1e3;

const [pieces, sshd] = await Promise.all([compilePieces(), startSshd({ hostKeyTypes: ['ed25519'] })]);
const web = createServer();
const chromium = await Chromium.launch();
try {
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  const proxy = await startWebSocketProxy({ targets: { sshd: { host: sshd.host, port: sshd.port } }, allowedOrigins: [origin] });
  const privateKey = readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8');
  const hostKeyFingerprint = fingerprintSHA256(parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key.blob);
  const scenario = { user: sshd.user, privateKey, hostKeyFingerprint, remoteDir: sshd.dir, bytes: 0 };
  const ciphers = CIPHERS.flatMap((c) => Array<string>(runs).fill(c));
  const files: Record<string, [string, string | Buffer]> = {
    '/': ['text/html', '<!doctype html><pre id="out"></pre><script type="module" src="./browser-page.js"></script>'],
    '/browser-page.js': ['text/javascript', readFileSync(pieces.browserPage)],
    '/puressh.universal.js': ['text/javascript', readFileSync(pieces.universalBundle)],
    '/params.json': ['application/json', JSON.stringify({ webSocketUrl: `ws://127.0.0.1:${proxy.port}/`, scenario, bench: { bytes, ciphers } })],
  };
  web.on('request', (req, res) => {
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': file[0], 'content-security-policy': `default-src 'self'; connect-src 'self' ws://127.0.0.1:${proxy.port}` })
      .end(file[1]);
  });
  const session = await chromium.open(`${origin}/`);
  let outcome: { ok: boolean; error?: string; bench?: { cipher: string; connectMs: number; downloadMs: number }[] } | undefined;
  while (outcome === undefined) {
    outcome = (await chromium.evaluate(session, 'globalThis.puresshOutcome')) as typeof outcome;
    if (outcome === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  if (!outcome.ok || !outcome.bench) throw new Error(`browser run failed: ${outcome.error}\n${chromium.pageLog().join('\n')}`);

  console.log(`${bytes / 1024 / 1024} MiB download over exec, median of ${runs}; Chromium through the bridge vs Node (pure provider, direct TCP)\n`);
  console.log('| cipher | Chromium connect ms | Chromium MB/s | Node pure connect ms | Node pure MB/s | Chromium / Node |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const cipher of CIPHERS) {
    const browser = outcome.bench.filter((b) => b.cipher === cipher);
    const node: { connectMs: number; downloadMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const client = await connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        crypto: 'pure',
        privateKeys: [parsePrivateKey(privateKey)],
        hostKeyVerifier: (info) => info.fingerprint === hostKeyFingerprint,
        algorithms: { cipher: [cipher] },
      });
      const t1 = performance.now();
      const r = await client.run(`head -c ${bytes} /dev/zero`);
      const t2 = performance.now();
      await client.disconnect();
      if (r.stdout.length !== bytes) throw new Error('short download');
      node.push({ connectMs: t1 - t0, downloadMs: t2 - t1 });
    }
    const b = mbps(median(browser.map((x) => x.downloadMs)));
    const n = mbps(median(node.map((x) => x.downloadMs)));
    console.log(
      `| ${cipher} | ${median(browser.map((x) => x.connectMs)).toFixed(0)} | ${b.toFixed(1)} | ${median(node.map((x) => x.connectMs)).toFixed(0)} | ${n.toFixed(1)} | ${(b / n).toFixed(2)} |`,
    );
  }
  await proxy.close();
} finally {
  await chromium.close();
  web.close();
  await sshd.stop();
  await pieces.remove();
}
