/**
 * The page script of the Chromium test: loads the published universal bundle (the test's
 * build maps the import below to ./puressh.universal.js, served beside this script), connects
 * through the WebSocket bridge and runs the scenario. The outcome is left in
 * `window.puresshOutcome` (a Promise) for the test to read over the DevTools protocol, and
 * shown on the page for the screenshot.
 */
import * as puressh from '../../src/index.js';
import { runScenario, type ScenarioParams, type ScenarioResult } from './scenario.js';

interface PageParams {
  webSocketUrl: string;
  scenario: ScenarioParams;
  /** measure downloads of this many bytes per cipher instead of running the scenario (npm run bench, its browser section) */
  bench?: BenchParams;
}

/** What the bench's browser section asks the page to measure. */
interface BenchParams {
  bytes: number;
  ciphers: string[];
  /** the key exchange, the same as the Node side's (its connect time depends on it) */
  kex?: string;
  /** the exec channel's receive window, when not the library's default (a diagnostic) */
  window?: number;
}

/**
 * One download measurement, as the bench's Node child measures it (scripts/bench-child.ts):
 * connect-to-authenticated time, then `head -c bytes /dev/zero` over exec, from the first byte
 * to EOF.
 */
export interface BenchResult {
  cipher: string;
  connectMs: number;
  downloadMs: number;
  bytes: number;
  /** the download's first byte and EOF as wall-clock ms (performance.timeOrigin + now()), for the bench's CPU diagnostics */
  downloadEpochMs: [number, number];
  /** whether this page may compile WebAssembly (its CSP): the library's Poly1305 and UMAC then run its WebAssembly kernels */
  wasm: boolean;
}

export interface PageOutcome {
  ok: boolean;
  result?: ScenarioResult;
  bench?: BenchResult[];
  error?: string;
  /** whether the page's CSP stopped eval (it must: the library may not need it) */
  evalBlocked: boolean;
}

function show(text: string): void {
  const out = document.getElementById('out');
  if (out) out.textContent += text + '\n';
}

function evalBlocked(): boolean {
  try {
    // The CSP has no 'unsafe-eval': this must throw (an EvalError). The probe is the point.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('return 1')();
    return false;
  } catch {
    return true;
  }
}

/** The check the library's kernels make: a page's CSP without 'wasm-unsafe-eval' refuses to compile any module. */
function compilesWebAssembly(): boolean {
  try {
    // The smallest module: the magic number and version 1 (WebAssembly Core §5.5.16).
    new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    return true;
  } catch {
    return false;
  }
}

async function bench(params: PageParams, b: BenchParams): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const cipher of b.ciphers) {
    // The key is parsed before the clock starts, as the Node side does.
    const key = puressh.parsePrivateKey(params.scenario.privateKey);
    const t0 = performance.now();
    const client = await puressh.SshClient.connect(await puressh.webSocketStream(params.webSocketUrl), {
      username: params.scenario.user,
      privateKeys: [key],
      hostKeyVerifier: (info) => info.fingerprint === params.scenario.hostKeyFingerprint,
      algorithms: { cipher: [cipher], ...(b.kex ? { kex: [b.kex] } : {}) },
    });
    const t1 = performance.now();
    const session = await client.exec(`head -c ${b.bytes} /dev/zero`, b.window ? { window: b.window } : {});
    let bytes = 0;
    let first = 0;
    for (let chunk = await session.read(); chunk !== null; chunk = await session.read()) {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
    }
    const t2 = performance.now();
    await session.exit;
    await client.disconnect();
    if (bytes !== b.bytes) throw new Error(`${cipher}: got ${bytes} bytes, not ${b.bytes}`);
    results.push({
      cipher,
      connectMs: t1 - t0,
      downloadMs: t2 - first,
      bytes: b.bytes,
      downloadEpochMs: [performance.timeOrigin + first, performance.timeOrigin + t2],
      wasm: compilesWebAssembly(),
    });
    show(`${cipher}: connect ${(t1 - t0).toFixed(0)} ms, ${((b.bytes / (t2 - first)) * 1e-3).toFixed(1)} MB/s`);
  }
  return results;
}

async function main(): Promise<PageOutcome> {
  const blocked = evalBlocked();
  show(`eval blocked by CSP: ${blocked}`);
  try {
    const params = (await (await fetch('./params.json')).json()) as PageParams;
    show(`connecting through ${params.webSocketUrl}`);
    if (params.bench) return { ok: true, bench: await bench(params, params.bench), evalBlocked: blocked };
    const result = await runScenario(
      puressh,
      async (options) => puressh.SshClient.connect(await puressh.webSocketStream(params.webSocketUrl), options),
      params.scenario,
    );
    for (const [k, v] of Object.entries(result)) show(`${k}: ${String(v)}`);
    return { ok: true, result, evalBlocked: blocked };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    show(`failed: ${error}`);
    return { ok: false, error, evalBlocked: blocked };
  }
}

(globalThis as { puresshOutcome?: Promise<PageOutcome> }).puresshOutcome = main();
