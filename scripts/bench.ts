/**
 * `npm run bench`, in four sections (bench/README.md says how to read them):
 * - library: puressh (node:crypto provider and pure-JS provider) against OpenSSH's own
 *   `ssh`/`sftp` and the `ssh2` npm package (stock, given a socket with setNoDelay(true), and
 *   that without its C++ addon), all on one local OpenSSH sshd, same kex and cipher, ratios
 *   against the best peer in each row, CPU seconds per GiB and peak RSS. Every client runs in its
 *   own process; OpenSSH's is timed from outside (bench-process.ts), never through a pipe.
 * - cli: `node bin/puressh ssh|sftp|scp` against OpenSSH's, the same command lines, and a
 *   minimal script over ssh2 without its addon (ssh2-cli.ts), whole processes (bench-cli.ts).
 * - memory: peak RSS of the CLI and the library during a transfer, and at idle after connect.
 * - browser: the universal bundle in Chromium against Node's pure provider (bench-browser.ts).
 * Runs interleaved, medians with min–max. Writes the tables as Markdown and JSON under bench/results/.
 *
 * Environment: BENCH_BYTES (default 256M; K/M/G: SFTP and scp transfers), BENCH_EXEC_BYTES
 * (every exec download: library, CLI and memory; default 2 × BENCH_BYTES), BENCH_PURE_BYTES (pure-JS transfers,
 * default 64M: the rate is what counts), BENCH_BROWSER_BYTES (default 16M), BENCH_RUNS (default 3),
 * BENCH_HANDSHAKES (per run, default 20), BENCH_BROWSER_CPU (1: CPU per process during each browser
 * download; threads: also per thread of the renderer and network service), BENCH_BROWSER_WINDOW (a
 * diagnostic: the exec channel's receive window on every side of the browser rows), BENCH_ONLY (comma-separated row ids or sections:
 * library, cli, memory, browser; e.g. "gcm,cli"), BENCH_SIDES (library sides to run, e.g.
 * "puressh,openssh"), BENCH_CLI_SIDES (CLI sides: openssh, puressh, ssh2-js), BENCH_BASELINE (the root of another checkout with its dist/ built: its
 * puressh runs as a 'baseline' side beside ours, to compare builds).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd, type Sshd } from '../test/support/sshd.js';
import { createRequire } from 'node:module';
import { type Job, type NodeSide, type Result, type Target } from './bench-child.js';
import {
  checkFile,
  checkOutputLength,
  median,
  parseSize,
  requireTime,
  sha256File,
  timeProcess,
  TMPFS,
  transpileScript,
  type ProcessRun,
  withoutNodeCaBundle,
} from './bench-process.js';
import {
  CLI_ROWS,
  CLI_SIDES,
  cliIdleRssKiB,
  cliReport,
  GCM,
  KEX,
  memoryReport,
  sftpArgs,
  sshArgs,
  type CliContext,
  type CliSample,
  type MemoryFigures,
} from './bench-cli.js';
import { BROWSER_CIPHERS, BrowserBench, browserReport, type BrowserSample } from './bench-browser.js';
import { buildCliBundle } from './build-cli.js';
import { buildNodeBundle } from './build-node.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** 'baseline': puressh (node:crypto) built from another checkout, BENCH_BASELINE */
type Side = NodeSide | 'openssh' | 'baseline';
const SIDE_LABEL: Record<Side, string> = {
  puressh: 'puressh (node:crypto)',
  'puressh-pure': 'puressh (pure JS)',
  openssh: 'OpenSSH ssh/sftp',
  'ssh2-nodelay': 'ssh2 + TCP_NODELAY',
  'ssh2-js': 'ssh2 + TCP_NODELAY, no addon',
  ssh2: 'stock ssh2',
  baseline: 'puressh baseline (node:crypto)',
};
const ALL_SIDES: Side[] = ['puressh', 'puressh-pure', 'openssh', 'ssh2-nodelay', 'ssh2-js', 'ssh2'];
/** the checkout whose dist/ the 'baseline' side runs (BENCH_BASELINE), to compare two builds of puressh */
const BASELINE = process.env.BENCH_BASELINE;
const PEERS: Side[] = ['openssh', 'ssh2-nodelay', 'ssh2'];
/** the peers the library's targets compare with (againstSsh2) */
const TARGET_PEERS: Side[] = ['ssh2-nodelay', 'ssh2-js'];

/** One row of the table: a piece of work every listed side does. */
interface Row {
  id: string;
  label: string;
  /** rate rows report MB/s (higher is better); time rows report ms (lower is better) */
  unit: 'MB/s' | 'ms';
  sides: Side[];
  job: (side: Side, files: Files) => Job;
  /** the performance target for this row, checked against the measured medians */
  target?: (m: Medians) => { text: string; met: boolean };
}

type Medians = Partial<Record<Side, number>>;

interface Files {
  dir: string;
  remoteSource: string;
  localSource: string;
  bytes: number;
  /** the exec rows' download (library, CLI and memory alike) */
  execBytes: number;
  pureBytes: number;
  /** SHA-256 of the SFTP source files, to check what OpenSSH's sftp moved */
  sourceSha256: string;
}

interface Sample {
  value: number;
  cpuPerGiB?: number;
  cpuSeconds: number;
  rssKiB: number;
}

const best = (unit: Row['unit'], xs: number[]): number => (unit === 'MB/s' ? Math.max(...xs) : Math.min(...xs));
/** puressh's standing against a peer: rates as ours/theirs, times as ours/theirs too (≤ target). */
const ratio = (ours: number, theirs: number): number => ours / theirs;

function execRow(id: string, label: string, cipher: string, mac?: string): Row {
  return {
    id,
    label,
    unit: 'MB/s',
    sides: ALL_SIDES,
    job: (side, f) => ({ kind: 'exec', cipher, ...(mac ? { mac } : {}), bytes: side === 'puressh-pure' ? f.pureBytes : f.execBytes }),
  };
}

const bestPeer = (m: Medians, sides: Side[], unit: Row['unit']): number =>
  best(
    unit,
    sides.map((s) => m[s]).filter((v): v is number => v !== undefined),
  );

/**
 * Issue 21's library target, every row: puressh (node:crypto) against the better of ssh2 +
 * TCP_NODELAY with its C++ addon and ssh2 without it — rates at least theirs, times at most.
 * OpenSSH's column stays in the table ("node ÷ best peer") as a reference, not a target.
 */
function againstSsh2(unit: Row['unit']): (m: Medians) => { text: string; met: boolean } {
  return (m) => {
    const r = m.puressh! / bestPeer(m, TARGET_PEERS, unit);
    const text =
      unit === 'MB/s'
        ? `node ≥ 1.0 × best of ssh2+NODELAY, ssh2 no addon: ${r.toFixed(2)}`
        : `node ≤ 1.0 × best of ssh2+NODELAY, ssh2 no addon: ${r.toFixed(2)}`;
    return { text, met: unit === 'MB/s' ? r >= 1 : r <= 1 };
  };
}

const ROWS: Row[] = [
  {
    ...execRow('gcm', "exec 'head -c N /dev/zero', aes128-gcm@openssh.com", GCM),
    target: againstSsh2('MB/s'),
  },
  {
    ...execRow('chacha', 'same, chacha20-poly1305@openssh.com', 'chacha20-poly1305@openssh.com'),
    target: againstSsh2('MB/s'),
  },
  {
    ...execRow('ctr', 'same, aes128-ctr + hmac-sha2-256-etm@openssh.com', 'aes128-ctr', 'hmac-sha2-256-etm@openssh.com'),
    target: againstSsh2('MB/s'),
  },
  {
    id: 'sftp-get',
    label: 'SFTP download (sftp get / fastGet / get)',
    unit: 'MB/s',
    sides: ['puressh', 'openssh', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: (_side, f) => ({ kind: 'sftp-get', cipher: GCM, remote: f.remoteSource, local: join(f.dir, 'got.bin'), bytes: f.bytes }),
    target: againstSsh2('MB/s'),
  },
  {
    id: 'sftp-put',
    label: 'SFTP upload (sftp put / fastPut / put)',
    unit: 'MB/s',
    sides: ['puressh', 'openssh', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: (_side, f) => ({ kind: 'sftp-put', cipher: GCM, remote: join(f.dir, 'put.bin'), local: f.localSource, bytes: f.bytes }),
    target: againstSsh2('MB/s'),
  },
  {
    id: 'handshake',
    label: "connect + kex + publickey auth + exec 'true' + close (median per run)",
    unit: 'ms',
    sides: ALL_SIDES,
    job: () => ({ kind: 'handshake', cipher: GCM, count: Number(process.env.BENCH_HANDSHAKES ?? '20') }),
    target: againstSsh2('ms'),
  },
  {
    id: 'channels',
    label: "200 concurrent exec 'true' channels on one connection",
    unit: 'ms',
    sides: ['puressh', 'puressh-pure', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: () => ({ kind: 'channels', cipher: GCM, count: 200 }),
    target: againstSsh2('ms'),
  },
  {
    id: 'connections',
    label: "50 concurrent connections, each exec 'true'",
    unit: 'ms',
    sides: ALL_SIDES,
    job: () => ({ kind: 'connections', cipher: GCM, count: 50 }),
    target: againstSsh2('ms'),
  },
];

// ---------------------------------------------------------------- running one sample

/** Whether the ssh2 package's optional C++ crypto addon loads (it falls back to node:crypto). */
function ssh2Binding(): boolean {
  try {
    return Boolean((createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable);
  } catch {
    return false;
  }
}

let childPath = '';

function runNodeSide(side: NodeSide | 'baseline', target: Target, job: Job): Promise<Result> {
  const [childSide, root] = side === 'baseline' ? ['puressh', BASELINE!] : [side, ROOT];
  return new Promise((resolve, reject) => {
    // Node 20 and 21 have a global WebSocket only behind this flag (for a child that connects through the bridge).
    const flags = 'webSocketUrl' in job && typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
    const p = spawn(process.execPath, [...flags, childPath, childSide, JSON.stringify(target), JSON.stringify(job), root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${side} ${job.kind} failed (${code}): ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Result);
    });
  });
}

/**
 * OpenSSH's ssh and sftp as their users run them: a process timed from outside, output to
 * /dev/null or a file on tmpfs (bench-process.ts). For a rate, the wall time of the same command
 * line moving nothing (`head -c 0`, an empty batch) is taken off, so that the rate compares with
 * the library sides' transfer time: it is what start-up, kex, auth and teardown cost.
 */
async function runOpenssh(sshd: Sshd, job: Job, files: Files): Promise<Result> {
  const alg = { cipher: job.cipher, ...(job.mac ? { mac: job.mac } : {}) };
  const net = (full: ProcessRun, empty: ProcessRun) => Math.max(full.wallMs - empty.wallMs, 1) / 1000;
  switch (job.kind) {
    case 'exec': {
      const args = sshArgs(sshd, alg, `head -c ${job.bytes} /dev/zero`);
      const full = await timeProcess('ssh', args);
      const empty = await timeProcess('ssh', sshArgs(sshd, alg, 'head -c 0 /dev/zero'));
      await checkOutputLength('ssh', args, job.bytes);
      return { bytes: job.bytes, seconds: net(full, empty), cpuSeconds: full.cpuSeconds, rssKiB: full.rssKiB };
    }
    case 'sftp-get':
    case 'sftp-put': {
      const batch = join(files.dir, 'batch.txt');
      writeFileSync(batch, '');
      const empty = await timeProcess('sftp', sftpArgs(sshd, alg, batch), { tree: true });
      writeFileSync(batch, job.kind === 'sftp-get' ? `get ${job.remote} ${job.local}\n` : `put ${job.local} ${job.remote}\n`);
      const full = await timeProcess('sftp', sftpArgs(sshd, alg, batch), { tree: true });
      await checkFile(job.kind === 'sftp-get' ? job.local : job.remote, job.bytes, files.sourceSha256, `sftp ${job.kind}`);
      return { bytes: job.bytes, seconds: net(full, empty), cpuSeconds: full.cpuSeconds, rssKiB: full.rssKiB };
    }
    case 'handshake': {
      const samples: number[] = [];
      let cpuSeconds = 0;
      let rssKiB = 0;
      for (let i = 0; i < job.count; i++) {
        const r = await timeProcess('ssh', sshArgs(sshd, alg, 'true'));
        samples.push(r.wallMs);
        cpuSeconds += r.cpuSeconds;
        rssKiB = Math.max(rssKiB, r.rssKiB);
      }
      return { samples, cpuSeconds, rssKiB };
    }
    case 'connections': {
      const t0 = performance.now();
      const runs = await Promise.all(Array.from({ length: job.count }, () => timeProcess('ssh', sshArgs(sshd, alg, 'true'))));
      return {
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: runs.reduce((a, r) => a + r.cpuSeconds, 0),
        rssKiB: runs.reduce((a, r) => a + r.rssKiB, 0),
      };
    }
    case 'channels':
      throw new Error('OpenSSH has no 200-channel client mode');
  }
}

function toSample(row: Row, r: Result): Sample {
  if (row.id === 'handshake') return { value: median(r.samples!), cpuSeconds: r.cpuSeconds / r.samples!.length, rssKiB: r.rssKiB };
  if (row.unit === 'ms') return { value: r.seconds! * 1000, cpuSeconds: r.cpuSeconds, rssKiB: r.rssKiB };
  return { value: r.bytes! / 1e6 / r.seconds!, cpuSeconds: r.cpuSeconds, cpuPerGiB: r.cpuSeconds / (r.bytes! / 2 ** 30), rssKiB: r.rssKiB };
}

// ---------------------------------------------------------------- raw pure-JS ceilings

/** noble alone, no SSH framing: the most the pure provider could reach (MB/s, 32 KiB packets). */
function nobleCeilings(): { chacha: number; ctrEtm: number } {
  const size = 32 * 1024;
  const data = new Uint8Array(size).fill(7);
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(8);
  const rate = (fn: () => void): number => {
    const rates: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < 300) {
        fn();
        n++;
      }
      rates.push((n * size) / 1e6 / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  };
  const out = new Uint8Array(size);
  // chacha20-poly1305@openssh.com: poly key block, body keystream, Poly1305 over the packet.
  const chacha = rate(() => {
    const polyKey = chacha20orig(key, nonce, new Uint8Array(32));
    chacha20orig(key, nonce, data, out, 1);
    poly1305(out, polyKey);
  });
  const mac = hmac.create(sha256, key);
  const ctrEtm = rate(() => {
    ctr(key.subarray(0, 16), new Uint8Array(16)).encrypt(data);
    mac.clone().update(data).digest();
  });
  return { chacha, ctrEtm };
}

// ---------------------------------------------------------------- driver

function fmt(unit: Row['unit'], v: number): string {
  return unit === 'ms' ? v.toFixed(v < 100 ? 1 : 0) : v.toFixed(0);
}

/** BENCH_ONLY: row ids or section names (library, cli, memory, browser); all when unset. */
function selected(only: string[] | undefined, id: string, section: string): boolean {
  return !only || only.includes(id) || only.includes(section);
}

/** The CLI, memory and browser sections' samples, keyed by `row|side` (browser: `cipher|side`). */
interface SectionSamples {
  cli: Map<string, CliSample[]>;
  memory: MemoryFigures;
  browser: Map<string, BrowserSample[]>;
}

const push = <T>(map: Map<string, T[]>, key: string, value: T): void => void map.set(key, [...(map.get(key) ?? []), value]);

/** BENCH_CLI_SIDES: the CLI section's sides to run (default all) */
const CLI_ONLY_SIDES = process.env.BENCH_CLI_SIDES?.split(',').map((s) => s.trim());

/** One run of the CLI rows, the sides of a row back to back, in a rotating order. */
async function cliRun(run: number, rows: typeof CLI_ROWS, ctx: CliContext, out: SectionSamples): Promise<void> {
  for (const row of rows) {
    const sides = (row.sides ?? CLI_SIDES).filter((side) => !CLI_ONLY_SIDES || CLI_ONLY_SIDES.includes(side));
    for (const side of sides.map((_, i) => sides[(i + run - 1) % sides.length]!)) {
      const s = await row.run(side, ctx);
      push(out.cli, `${row.id}|${side}`, s);
      process.stderr.write(
        `  run ${run} ${row.id.padEnd(12)} ${side.padEnd(13)} ${(s.wallMs / 1000).toFixed(3).padStart(8)} s  cpu ${s.cpuSeconds.toFixed(2)} s  rss ${(s.rssKiB / 1024).toFixed(0)} MiB\n`,
      );
    }
  }
}

/** One run of the memory rows: the CLI at idle after connect (both sides), the library during an exec download. */
async function memoryRun(run: number, ctx: CliContext, target: Target, out: SectionSamples): Promise<void> {
  for (const side of ['openssh', 'puressh'] as const) {
    const kib = await cliIdleRssKiB(side, ctx);
    (out.memory.cliIdleKiB[side] ??= []).push(kib);
    process.stderr.write(`  run ${run} memory       ${side.padEnd(13)} CLI idle after connect ${(kib / 1024).toFixed(1)} MiB\n`);
  }
  // The library's exec download, with V8's defaults and with the application's young-generation setting.
  const download = async (smallYoungGeneration: boolean) => {
    const r = await runNodeSide('puressh', target, { kind: 'exec', cipher: GCM, bytes: ctx.execBytes, smallYoungGeneration });
    if (r.bytes !== ctx.execBytes) throw new Error(`library exec moved ${r.bytes} bytes, expected ${ctx.execBytes}`);
    return r;
  };
  const r = await download(false);
  out.memory.libraryPeakKiB.push(r.rssKiB);
  out.memory.libraryIdleKiB.push(r.idleRssKiB!);
  process.stderr.write(
    `  run ${run} memory       puressh       library after connect ${(r.idleRssKiB! / 1024).toFixed(1)} MiB, peak ${(r.rssKiB / 1024).toFixed(1)} MiB\n`,
  );
  const small = await download(true);
  out.memory.librarySmallYoungPeakKiB.push(small.rssKiB);
  process.stderr.write(`  run ${run} memory       puressh       library with keepYoungGenerationSmall, peak ${(small.rssKiB / 1024).toFixed(1)} MiB\n`);
}

/** BENCH_BROWSER_WINDOW: the exec channel's receive window on every side of the browser rows, when not the library's default (a diagnostic). */
function browserWindow(): { window?: number } {
  return process.env.BENCH_BROWSER_WINDOW ? { window: parseSize(process.env.BENCH_BROWSER_WINDOW) } : {};
}

/** One run of the browser rows: per cipher, a fresh page and a fresh Node process (pure provider), in alternating order. */
async function browserRun(run: number, browser: BrowserBench, bytes: number, target: Target, out: SectionSamples): Promise<void> {
  for (const cipher of BROWSER_CIPHERS) {
    const chromium = async () => {
      for (const side of ['chromium', 'chromium-strict'] as const) push(out.browser, `${cipher}|${side}`, await browser.visit(cipher, side));
    };
    const node = async () => {
      // Direct TCP (the target's comparison), then through the browser's bridge (a diagnostic: the same path but Chromium).
      for (const [side, webSocketUrl] of [
        ['node-pure', undefined],
        ['node-pure-bridge', browser.webSocketUrl],
      ] as const) {
        const r = await runNodeSide('puressh-pure', target, { kind: 'exec', cipher, bytes, ...(webSocketUrl ? { webSocketUrl } : {}), ...browserWindow() });
        if (r.bytes !== bytes || r.cipher !== cipher) throw new Error(`${side} ${cipher}: moved ${r.bytes} bytes with ${r.cipher}`);
        push(out.browser, `${cipher}|${side}`, {
          connectMs: r.connectMs!,
          downloadMs: r.seconds! * 1000,
          cpuMs: { 'node client': Math.round(r.cpuSeconds * 1000) },
        });
      }
    };
    for (const step of run % 2 ? [chromium, node] : [node, chromium]) await step();
  }
  for (const cipher of BROWSER_CIPHERS) {
    const [b, strict, n, nb] = (['chromium', 'chromium-strict', 'node-pure', 'node-pure-bridge'] as const).map((side) =>
      out.browser.get(`${cipher}|${side}`)!.at(-1)!,
    );
    process.stderr.write(
      `  run ${run} browser      ${cipher.padEnd(30)} Chromium ${(bytes / 1e3 / b!.downloadMs).toFixed(1)} MB/s (strict CSP, no Wasm: ${(bytes / 1e3 / strict!.downloadMs).toFixed(1)}), connect ${b!.connectMs.toFixed(0)} ms; Node pure ${(bytes / 1e3 / n!.downloadMs).toFixed(1)} MB/s, connect ${n!.connectMs.toFixed(0)} ms (through the bridge ${(bytes / 1e3 / nb!.downloadMs).toFixed(1)} MB/s, connect ${nb!.connectMs.toFixed(0)} ms)\n`,
    );
    // Diagnostics: which Poly1305 kernel each page ran, and (BENCH_BROWSER_CPU=1) CPU ms per process during each download.
    const cpu = (s: BrowserSample) =>
      s.cpuMs
        ? `; download CPU ms: ${Object.entries(s.cpuMs)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
        : '';
    process.stderr.write(`      Chromium: WebAssembly ${b!.wasm ? 'compiled' : 'refused'}${cpu(b!)}\n`);
    process.stderr.write(`      strict:   WebAssembly ${strict!.wasm ? 'compiled' : 'refused'}${cpu(strict!)}\n`);
    process.stderr.write(`      Node pure${cpu(n!).replace(/^;/, ':')}\n`);
    process.stderr.write(`      Node pure through the bridge${cpu(nb!).replace(/^;/, ':')}\n`);
  }
}

/** NODE_EXTRA_CA_CERTS as the bench found it (taken out of the measured processes' environment) */
const removedCaBundle = withoutNodeCaBundle();

async function main(): Promise<number> {
  const bytes = parseSize(process.env.BENCH_BYTES ?? '256M');
  const pureBytes = parseSize(process.env.BENCH_PURE_BYTES ?? '64M');
  const execBytes = parseSize(process.env.BENCH_EXEC_BYTES ?? String(2 * bytes));
  const browserBytes = parseSize(process.env.BENCH_BROWSER_BYTES ?? '16M');
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  const handshakes = Number(process.env.BENCH_HANDSHAKES ?? '20');
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const onlySides = process.env.BENCH_SIDES?.split(',').map((s) => s.trim());
  // BENCH_BASELINE: a 'baseline' side beside every puressh (node:crypto) side; BENCH_SIDES: only these sides.
  const rows = ROWS.filter((r) => selected(only, r.id, 'library')).map((r) => {
    const sides = r.sides.flatMap((s): Side[] => (s === 'puressh' && BASELINE ? ['puressh', 'baseline'] : [s]));
    return { ...r, sides: sides.filter((s) => !onlySides || s === 'baseline' || onlySides.includes(s)) };
  });
  const withMemory = selected(only, 'memory', 'memory');
  // The memory rows take the CLI's peak RSS from the CLI's aes128-gcm download.
  const cliRows = CLI_ROWS.filter((r) => selected(only, r.id, 'cli') || (withMemory && r.id === 'cli-gcm'));
  const withBrowser = selected(only, 'browser', 'browser');
  requireTime();

  process.stderr.write('bench: building dist/ (the compiled library and CLI are what gets measured)\n');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  // What `npm install` (prepare) leaves and users run: the library's package entry
  // (dist/bundle/node.js) and the CLI's bundle, which bin/puressh prefers when it is newer
  // than dist/cli (after tsc alone the CLI rows measured the ~250 separate modules instead).
  await Promise.all([buildNodeBundle(), buildCliBundle()]);

  let sshd: Sshd;
  try {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'], config: ['MaxSessions 256', 'MaxStartups 200'] });
  } catch (e) {
    if ((e as Error).message === SSHD_INSTALL_COMMAND) {
      process.stderr.write(`${SSHD_PATH} is missing; install it with: sudo ${SSHD_INSTALL_COMMAND}\n`);
      return 1;
    }
    throw e;
  }
  const dir = mkdtempSync(join(TMPFS, 'puressh-bench-'));
  // The measured Node processes run plain JavaScript, without the tsx loader.
  childPath = transpileScript('bench-child.ts', dir);
  const samples = new Map<string, Sample[]>();
  const sections: SectionSamples = {
    cli: new Map(),
    memory: { cliPeakKiB: {}, cliIdleKiB: {}, libraryPeakKiB: [], libraryIdleKiB: [], librarySmallYoungPeakKiB: [] },
    browser: new Map(),
  };
  let ceilings = { chacha: 0, ctrEtm: 0 };
  let browser: BrowserBench | undefined;
  const files: Files = {
    dir,
    remoteSource: join(dir, 'remote-src.bin'),
    localSource: join(dir, 'local-src.bin'),
    bytes,
    execBytes,
    pureBytes,
    sourceSha256: '',
  };
  const cli: CliContext = {
    sshd,
    dir,
    puressh: join(ROOT, 'bin', 'puressh'),
    ssh2Cli: transpileScript('ssh2-cli.ts', dir),
    root: ROOT,
    source: files.remoteSource,
    sourceSha256: files.sourceSha256,
    bytes,
    execBytes,
    handshakes,
  };
  try {
    if (rows.some((r) => r.id.startsWith('sftp')) || cliRows.some((r) => /sftp|scp/.test(r.id))) {
      const fd = openSync(files.remoteSource, 'w');
      execFileSync('head', ['-c', String(bytes), '/dev/urandom'], { stdio: ['ignore', fd, 'inherit'] });
      closeSync(fd);
      execFileSync('cp', [files.remoteSource, files.localSource]);
      files.sourceSha256 = cli.sourceSha256 = await sha256File(files.remoteSource);
    }
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    const target: Target = { port: sshd.port, user: sshd.user, keyPath: sshd.userKeys.ed25519.privatePath, fingerprint };
    process.stderr.write(
      `bench: exec downloads ${execBytes} bytes, SFTP and scp ${bytes} (pure JS ${pureBytes}, browser ${browserBytes}), ${runs} runs, sshd on port ${sshd.port}, ssh2 native addon: ${ssh2Binding() ? 'loaded' : 'absent'}\n`,
    );
    if (rows.some((r) => r.id === 'chacha' || r.id === 'ctr')) ceilings = nobleCeilings();
    if (withBrowser) browser = await BrowserBench.start(sshd, browserBytes);
    for (let run = 1; run <= runs; run++) {
      for (const row of rows) {
        // Interleaved: each run visits every side of a row, in a rotating order.
        const order = row.sides.map((_, i) => row.sides[(i + run - 1) % row.sides.length]!);
        for (const side of order) {
          const job = row.job(side, files);
          const r = side === 'openssh' ? await runOpenssh(sshd, job, files) : await runNodeSide(side, target, job);
          if (r.cipher !== undefined && r.cipher !== job.cipher) throw new Error(`${side}: negotiated ${r.cipher}, wanted ${job.cipher}`);
          if ('bytes' in job && r.bytes !== job.bytes) throw new Error(`${side} ${row.id}: moved ${r.bytes} bytes, expected ${job.bytes}`);
          for (const f of ['got.bin', 'put.bin']) rmSync(join(dir, f), { force: true });
          const s = toSample(row, r);
          push(samples, `${row.id}|${side}`, s);
          process.stderr.write(
            `  run ${run} ${row.id.padEnd(12)} ${side.padEnd(13)} ${fmt(row.unit, s.value).padStart(8)} ${row.unit}  cpu ${s.cpuSeconds.toFixed(2)} s  rss ${(s.rssKiB / 1024).toFixed(0)} MiB\n`,
          );
        }
      }
      await cliRun(run, cliRows, cli, sections);
      if (withMemory) await memoryRun(run, cli, target, sections);
      if (browser) await browserRun(run, browser, browserBytes, target, sections);
    }
  } finally {
    await browser?.close();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const side of CLI_SIDES) {
    const peaks = sections.cli.get(`cli-gcm|${side}`)?.map((s) => s.rssKiB);
    if (peaks) sections.memory.cliPeakKiB[side] = peaks;
  }
  report(rows, samples, sections, { bytes, pureBytes, execBytes, browserBytes, runs, ceilings, cliRows, withMemory }, cli);
  return 0;
}

function report(
  rows: Row[],
  samples: Map<string, Sample[]>,
  sections: SectionSamples,
  meta: {
    bytes: number;
    pureBytes: number;
    execBytes: number;
    browserBytes: number;
    runs: number;
    ceilings: { chacha: number; ctrEtm: number };
    cliRows: typeof CLI_ROWS;
    withMemory: boolean;
  },
  cli: CliContext,
): void {
  const cell = (row: Row, side: Side): string => {
    const list = samples.get(`${row.id}|${side}`);
    if (!list) return '—';
    const v = list.map((s) => s.value);
    return `${fmt(row.unit, median(v))} (${fmt(row.unit, Math.min(...v))}–${fmt(row.unit, Math.max(...v))})`;
  };
  const med = (row: Row): Medians => Object.fromEntries(row.sides.map((s) => [s, median(samples.get(`${row.id}|${s}`)!.map((x) => x.value))]));
  const lines: string[] = [];
  const shown = BASELINE ? [...ALL_SIDES, 'baseline' as const] : ALL_SIDES;
  const head = ['work', 'unit', ...shown.map((s) => SIDE_LABEL[s]), 'node ÷ best peer', 'node ÷ ssh2 no addon', 'target', 'met'];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  const json: Record<string, unknown> = {};
  for (const row of rows) {
    const m = med(row);
    const peer = bestPeer(
      m,
      PEERS.filter((p) => row.sides.includes(p)),
      row.unit,
    );
    // A target needs its peers: with BENCH_SIDES leaving one out, the row is not judged.
    const rowPeers = PEERS.filter((p) => row.sides.includes(p));
    const peersRan = rowPeers.length > 0 && [...rowPeers, ...TARGET_PEERS].every((p) => !row.sides.includes(p) || Number.isFinite(m[p]));
    let t: ReturnType<NonNullable<Row['target']>> | undefined;
    try {
      t = peersRan ? row.target?.(m) : undefined;
    } catch {
      t = undefined; // a target reading a side that did not run (e.g. the pure-JS one)
    }
    lines.push(
      `| ${row.label} | ${row.unit} | ${shown.map((s) => cell(row, s)).join(' | ')} | ${peersRan ? ratio(m.puressh!, peer).toFixed(2) : '—'} | ${m['ssh2-js'] ? ratio(m.puressh!, m['ssh2-js']).toFixed(2) : '—'} | ${t?.text ?? ''} | ${t ? (t.met ? 'yes' : 'no') : ''} |`,
    );
    json[row.id] = {
      label: row.label,
      unit: row.unit,
      medians: m,
      samples: Object.fromEntries(row.sides.map((s) => [s, samples.get(`${row.id}|${s}`)])),
      target: t,
    };
  }
  // CPU and memory: per GiB for transfers, per operation otherwise.
  const res: string[] = [];
  const rhead = ['work', ...shown.map((s) => SIDE_LABEL[s])];
  res.push(`| ${rhead.join(' | ')} |`, `|${rhead.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) {
    const c = shown.map((side) => {
      const list = samples.get(`${row.id}|${side}`);
      if (!list) return '—';
      const cpu = row.unit === 'MB/s' ? `${median(list.map((s) => s.cpuPerGiB!)).toFixed(2)} s/GiB` : `${median(list.map((s) => s.cpuSeconds)).toFixed(3)} s`;
      return `${cpu}, ${(Math.max(...list.map((s) => s.rssKiB)) / 1024).toFixed(0)} MiB`;
    });
    res.push(`| ${row.label} | ${c.join(' | ')} |`);
  }
  const c = meta.ceilings;
  const pureNotes: string[] = [];
  if (c.chacha && samples.has('chacha|puressh-pure')) {
    const m = median(samples.get('chacha|puressh-pure')!.map((s) => s.value));
    pureNotes.push(`chacha20-poly1305: ${m.toFixed(0)} MB/s = ${(m / c.chacha).toFixed(2)} × the raw noble ceiling ${c.chacha.toFixed(0)} MB/s (target ≥ 1.0)`);
  }
  if (c.ctrEtm && samples.has('ctr|puressh-pure')) {
    const m = median(samples.get('ctr|puressh-pure')!.map((s) => s.value));
    pureNotes.push(
      `aes128-ctr + hmac-sha2-256-etm: ${m.toFixed(0)} MB/s = ${(m / c.ctrEtm).toFixed(2)} × the raw noble ceiling ${c.ctrEtm.toFixed(0)} MB/s (target ≥ 0.8)`,
    );
  }
  const parts: string[] = [`# puressh bench, ${new Date().toISOString()}\n`];
  parts.push(
    `OpenSSH sshd on 127.0.0.1, kex ${KEX}, host key ed25519, user key ed25519; ${meta.runs} interleaved runs, median (min–max); MB = 10^6 bytes. ` +
      `Node ${process.version}; ssh2 native addon ${ssh2Binding() ? 'loaded' : 'absent'}` +
      (removedCaBundle ? `; NODE_EXTRA_CA_CERTS (${removedCaBundle}) removed from the measured processes' environment` : '') +
      '.\n',
  );
  if (rows.length) {
    parts.push(
      `## Library\n\nExec downloads ${meta.execBytes} bytes, SFTP transfers ${meta.bytes} (pure JS ${meta.pureBytes}). ` +
        'Rates: library sides exec from first byte to EOF, SFTP the whole get/put after the session is open; OpenSSH timed from outside (output to /dev/null or tmpfs), ' +
        'the wall time of its command minus that of the same command line moving nothing (`head -c 0`, an empty sftp batch). Times: wall clock, OpenSSH whole processes.\n' +
        '"node ÷ best peer": puressh (node:crypto) over the best of OpenSSH, ssh2+NODELAY and stock ssh2 in that row (rates: higher is better; times: lower is better). ' +
        '"node ÷ ssh2 no addon": over ssh2 + TCP_NODELAY with its C++ addon not loaded, so that its crypto runs on node:crypto as puressh\'s does (what a plain install without a compiler gets).\n\n' +
        lines.join('\n') +
        '\n\nCPU (user+system of the client process: per GiB moved, or per operation/batch) and peak RSS (OpenSSH sftp: sftp + its ssh):\n\n' +
        res.join('\n') +
        (pureNotes.length
          ? '\n\nPure-JS provider against noble alone (same machine, same run, 32 KiB packets):\n\n' + pureNotes.map((n) => `- ${n}`).join('\n')
          : '') +
        '\n',
    );
  }
  const out: Record<string, unknown> = { library: json };
  if (meta.cliRows.length) {
    const c = cliReport(meta.cliRows, cli, sections.cli);
    out.cli = c.json;
    parts.push(
      `## CLI\n\n\`node bin/puressh ssh|sftp|scp\` (compiled) and OpenSSH's \`ssh|sftp|scp\`, the same command lines; exec downloads ${meta.execBytes} bytes, ` +
        `sftp/scp ${meta.bytes}. Whole processes timed from outside: wall time spawn to exit, CPU user+system (/usr/bin/time), peak RSS (sftp, scp: the tree). ` +
        "Output to /dev/null (exec) or tmpfs (get); sizes and hashes checked outside the timing. Ratio: OpenSSH's median time ÷ ours (≥ 1 means no slower). " +
        "puressh's commands keep V8's compiled code in the user's cache directory from their first run on (src/cli/compile-cache.ts), as a user's repeated runs find it: each command's first run here writes it. " +
        'The same-constraint peer: `scripts/ssh2-cli.ts`, a minimal script over ssh2 without its C++ addon (its crypto on node:crypto, as ours; TCP_NODELAY), ' +
        'given the same port, key, known host key, kex and algorithms as JSON: exec to fd 1, sftp fastGet/fastPut with 64 × 32 KiB in flight, no scp; its ratio is its median time ÷ ours.\n\n' +
        c.md +
        '\n',
    );
  }
  if (meta.withMemory) {
    const m = memoryReport(sections.memory, meta.execBytes);
    out.memory = m.json;
    parts.push(`## Memory budget\n\nResident memory, median (min–max) over runs; target ≤ 64 MiB for puressh.\n\n${m.md}\n`);
  }
  if (sections.browser.size) {
    const b = browserReport(sections.browser, meta.browserBytes);
    out.browser = b.json;
    parts.push(
      `## Browser\n\nThe universal bundle in headless Chromium through the WebSocket bridge, against Node's pure-JS provider (compiled, its own process, direct TCP); ` +
        `exec download of ${meta.browserBytes} bytes, first byte to EOF, and connect-to-authenticated time. Target: the browser within 0.8× of Node (rate, and connect time as Node's ÷ the browser's).\n\n` +
        b.md +
        '\n',
    );
  }
  const md = parts.join('\n');
  process.stdout.write('\n' + md);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `bench-${stamp}.md`), md);
  writeFileSync(
    join(outDir, `bench-${stamp}.json`),
    JSON.stringify({ ...meta, cliRows: meta.cliRows.map((r) => r.id), node: process.version, ssh2Binding: ssh2Binding(), sections: out }, null, 2) + '\n',
  );
  process.stdout.write(`\n(saved bench/results/bench-${stamp}.md and .json)\n`);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
