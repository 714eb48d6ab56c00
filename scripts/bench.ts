/**
 * `npm run bench`: download throughput of `exec 'head -c N /dev/zero'` from a local OpenSSH
 * sshd, per cipher, puressh beside OpenSSH's own `ssh` in the same run (interleaved runs,
 * median of BENCH_RUNS), with peak RSS. Each client runs in its own process; puressh counts
 * and discards the bytes in-process, ssh writes them to a pipe this script drains.
 *
 * Environment: BENCH_BYTES (default 256M; K/M/G suffixes), BENCH_RUNS (default 3),
 * BENCH_PROVIDERS (default "node,pure": puressh with node:crypto, and with pure-JS noble).
 * Results are also written as JSON to bench/results/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd, type Sshd } from '../test/support/sshd.js';
import { spawnOpenSsh } from '../test/support/ssh-client.js';

interface Case {
  label: string;
  cipher: string;
  mac?: string;
}

const CASES: Case[] = [
  { label: 'chacha20-poly1305@openssh.com', cipher: 'chacha20-poly1305@openssh.com' },
  { label: 'aes128-gcm@openssh.com', cipher: 'aes128-gcm@openssh.com' },
  { label: 'aes256-gcm@openssh.com', cipher: 'aes256-gcm@openssh.com' },
  { label: 'aes128-ctr + hmac-sha2-256-etm', cipher: 'aes128-ctr', mac: 'hmac-sha2-256-etm@openssh.com' },
  { label: 'aes256-ctr + hmac-sha2-256', cipher: 'aes256-ctr', mac: 'hmac-sha2-256' },
];
const KEX = 'curve25519-sha256';

type Side = 'node' | 'pure' | 'openssh';

interface Sample {
  /** payload bytes received */
  bytes: number;
  /** first payload byte to end of stream */
  seconds: number;
  /** peak resident set size, KiB */
  rssKiB: number;
  /** RSS when the transfer started, KiB (puressh only: the runtime's own baseline) */
  startRssKiB?: number;
}

interface ChildJob {
  port: number;
  user: string;
  keyPath: string;
  fingerprint: string;
  cipher: string;
  mac?: string;
  crypto: 'node' | 'pure';
  bytes: number;
}

export function parseSize(text: string): number {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`BENCH_BYTES: cannot read "${text}" (e.g. 256M, 1G, 1048576)`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
}

// ---- the puressh side, in a child process ----

async function child(job: ChildJob): Promise<void> {
  const { connect } = await import('../src/node.js');
  const { parsePrivateKey } = await import('../src/crypto/keys/index.js');
  const algorithms: { kex: string[]; cipher: string[]; mac?: string[] } = { kex: [KEX], cipher: [job.cipher] };
  if (job.mac) algorithms.mac = [job.mac];
  const client = await connect({
    host: '127.0.0.1',
    port: job.port,
    username: job.user,
    privateKeys: [parsePrivateKey(readFileSync(job.keyPath, 'utf8'))],
    hostKeyVerifier: (info) => info.fingerprint === job.fingerprint,
    algorithms,
    crypto: job.crypto,
  });
  const negotiated = client.algorithms;
  const startRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const ch = await client.exec(`head -c ${job.bytes} /dev/zero`);
  let bytes = 0;
  let first = 0;
  for (let c = await ch.read(); c !== null; c = await ch.read()) {
    if (bytes === 0) first = performance.now();
    bytes += c.length;
  }
  const seconds = (performance.now() - first) / 1000;
  await ch.exit;
  await client.disconnect();
  const out = { bytes, seconds, rssKiB: process.resourceUsage().maxRSS, startRssKiB, cipher: negotiated.cipherSC, mac: negotiated.macSC };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runPuressh(sshd: Sshd, fingerprint: string, c: Case, crypto: 'node' | 'pure', bytes: number): Promise<Sample> {
  const job: ChildJob = { port: sshd.port, user: sshd.user, keyPath: sshd.userKeys.ed25519.privatePath, fingerprint, cipher: c.cipher, crypto, bytes };
  if (c.mac) job.mac = c.mac;
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`puressh (${crypto}) ${c.label} failed (${code}): ${err}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as Sample & { cipher: string; mac: string };
      if (r.cipher !== c.cipher) return reject(new Error(`negotiated ${r.cipher}, wanted ${c.cipher}`));
      resolve(r);
    });
  });
}

// ---- the OpenSSH side ----

function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function runOpenssh(sshd: Sshd, c: Case, bytes: number): Promise<Sample> {
  const options = [`Ciphers=${c.cipher}`, `KexAlgorithms=${KEX}`];
  if (c.mac) options.push(`MACs=${c.mac}`);
  return new Promise((resolve, reject) => {
    const p = spawnOpenSsh(sshd, `head -c ${bytes} /dev/zero`, { options }, { stdio: ['ignore', 'pipe', 'pipe'] });
    let got = 0;
    let first = 0;
    let last = 0;
    let rss = 0;
    let err = '';
    // VmHWM is the peak so far; sample it until the process is gone.
    const poll = setInterval(() => (rss = Math.max(rss, vmHwm(p.pid!))), 20);
    p.stdout!.on('data', (b: Buffer) => {
      if (got === 0) first = performance.now();
      got += b.length;
      last = performance.now();
    });
    p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      rss = Math.max(rss, vmHwm(p.pid!));
    });
    p.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`ssh ${c.label} failed (${code}): ${err}`));
      resolve({ bytes: got, seconds: (last - first) / 1000, rssKiB: rss });
    });
  });
}

// ---- driver ----

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mbps = (s: Sample): number => s.bytes / 1e6 / s.seconds;
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
/** "140 MiB (+12)": peak, and its growth over the RSS at the start of the transfer */
const rssCell = (peak: number, start: number | undefined): string => (start === undefined ? mib(peak) : `${mib(peak)} (+${Math.max(0, (peak - start) / 1024).toFixed(0)})`);

async function main(): Promise<number> {
  const bytes = parseSize(process.env.BENCH_BYTES ?? '256M');
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  const providers = (process.env.BENCH_PROVIDERS ?? 'node,pure').split(',').map((s) => s.trim()).filter((s): s is 'node' | 'pure' => s === 'node' || s === 'pure');
  const sides: Side[] = [...providers, 'openssh'];
  let sshd: Sshd;
  try {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
  } catch (e) {
    if ((e as Error).message === SSHD_INSTALL_COMMAND) {
      process.stderr.write(`${SSHD_PATH} is missing; install it with: sudo ${SSHD_INSTALL_COMMAND}\n`);
      return 1;
    }
    throw e;
  }
  const samples = new Map<string, Sample[]>();
  try {
    const { execFileSync } = await import('node:child_process');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    process.stderr.write(`bench: ${bytes} bytes per transfer, ${runs} runs, sides ${sides.join(', ')}, sshd on port ${sshd.port}\n`);
    for (let run = 1; run <= runs; run++) {
      for (const c of CASES) {
        for (const side of sides) {
          const s = side === 'openssh' ? await runOpenssh(sshd, c, bytes) : await runPuressh(sshd, fingerprint, c, side, bytes);
          if (s.bytes !== bytes) throw new Error(`${side} ${c.label}: received ${s.bytes} bytes, expected ${bytes}`);
          const key = `${c.label}|${side}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          process.stderr.write(`  run ${run} ${c.label.padEnd(32)} ${side.padEnd(8)} ${mbps(s).toFixed(1).padStart(7)} MB/s  ${rssCell(s.rssKiB, s.startRssKiB)}\n`);
        }
      }
    }
  } finally {
    await sshd.stop();
  }

  const head = ['cipher (+ MAC)'];
  if (providers.includes('node')) head.push('puressh MB/s');
  if (providers.includes('pure')) head.push('puressh pure-JS MB/s');
  head.push('OpenSSH MB/s');
  if (providers.includes('node')) head.push('ratio');
  if (providers.includes('pure')) head.push('ratio pure-JS');
  head.push(...providers.map((p) => (p === 'node' ? 'puressh peak RSS' : 'pure-JS peak RSS')), 'ssh peak RSS');
  const rows: string[][] = [];
  const results: Record<string, Record<string, { mbps: number; rssKiB: number; startRssKiB: number | undefined; runs: number[] }>> = {};
  for (const c of CASES) {
    const stat = (side: Side) => {
      const list = samples.get(`${c.label}|${side}`)!;
      const peak = list.reduce((a, b) => (b.rssKiB > a.rssKiB ? b : a));
      return { mbps: median(list.map(mbps)), rssKiB: peak.rssKiB, startRssKiB: peak.startRssKiB, runs: list.map(mbps) };
    };
    const per = Object.fromEntries(sides.map((s) => [s, stat(s)])) as Record<Side, ReturnType<typeof stat>>;
    results[c.label] = per;
    const row = [c.label];
    for (const p of providers) row.push(per[p].mbps.toFixed(1));
    row.push(per.openssh.mbps.toFixed(1));
    for (const p of providers) row.push((per[p].mbps / per.openssh.mbps).toFixed(2));
    for (const p of providers) row.push(rssCell(per[p].rssKiB, per[p].startRssKiB));
    row.push(mib(per.openssh.rssKiB));
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => '| ' + r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  const lines = [fmt(head), rule, ...rows.map(fmt)];
  process.stdout.write(
    `\nexec 'head -c ${bytes} /dev/zero' from OpenSSH sshd on 127.0.0.1, median of ${runs} (MB = 10^6 bytes, first byte to EOF), kex ${KEX};\n` +
      'peak RSS per process (puressh: +growth during the transfer over its start-up baseline)\n\n',
  );
  process.stdout.write(lines.join('\n') + '\n');

  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'results');
  try {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ bytes, runs, node: process.version, results }, null, 2) + '\n');
    process.stdout.write(`\n(saved ${file})\n`);
  } catch {
    /* results are a convenience */
  }
  return 0;
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3]!) as ChildJob).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
} else {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bench failed: ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
