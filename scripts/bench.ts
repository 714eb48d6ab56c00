/**
 * `npm run bench`: puressh (node:crypto provider and pure-JS provider) against OpenSSH's own
 * `ssh`/`sftp` and the `ssh2` npm package (stock, and given a socket with setNoDelay(true)),
 * all on one local OpenSSH sshd, same kex and cipher, runs interleaved, medians with min–max,
 * ratios against the best peer in each row, CPU seconds per GiB and peak RSS. Every client
 * runs in its own process. Writes the tables as Markdown and JSON under bench/results/.
 * See bench/README.md for how to read it.
 *
 * Environment: BENCH_BYTES (default 256M; K/M/G), BENCH_PURE_BYTES (pure-JS transfers,
 * default 64M: the rate is what counts), BENCH_RUNS (default 3), BENCH_HANDSHAKES (per run,
 * default 20), BENCH_ONLY (comma-separated row ids to run, e.g. "gcm,handshake"), BENCH_SIDES
 * (comma-separated sides to run, e.g. "puressh,openssh"), BENCH_BASELINE (the root of another
 * checkout with its dist/ built: its puressh runs as a 'baseline' side beside ours, to compare builds).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { descendants, SSHD_INSTALL_COMMAND, SSHD_PATH, startSshd, type Sshd } from '../test/support/sshd.js';
import { opensshArgs } from '../test/support/ssh-client.js';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { vmHwmKiB, type Job, type NodeSide, type Result, type Target } from './bench-child.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEX = 'curve25519-sha256';
const GCM = 'aes128-gcm@openssh.com';

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
  pureBytes: number;
}

interface Sample {
  value: number;
  cpuPerGiB?: number;
  cpuSeconds: number;
  rssKiB: number;
}

export function parseSize(text: string): number {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`cannot read size "${text}" (e.g. 256M, 1G, 1048576)`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const best = (unit: Row['unit'], xs: number[]): number => (unit === 'MB/s' ? Math.max(...xs) : Math.min(...xs));
/** puressh's standing against a peer: rates as ours/theirs, times as ours/theirs too (≤ target). */
const ratio = (ours: number, theirs: number): number => ours / theirs;

function execRow(id: string, label: string, cipher: string, mac?: string): Row {
  return {
    id,
    label,
    unit: 'MB/s',
    sides: ALL_SIDES,
    job: (side, f) => ({ kind: 'exec', cipher, ...(mac ? { mac } : {}), bytes: side === 'puressh-pure' ? f.pureBytes : f.bytes }),
  };
}

const bestPeer = (m: Medians, sides: Side[], unit: Row['unit']): number =>
  best(
    unit,
    sides.map((s) => m[s]).filter((v): v is number => v !== undefined),
  );

const ROWS: Row[] = [
  {
    ...execRow('gcm', "exec 'head -c N /dev/zero', aes128-gcm@openssh.com", GCM),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['openssh', 'ssh2-nodelay'], 'MB/s');
      return { text: `node ≥ 1.0 × best of OpenSSH, ssh2+NODELAY: ${r.toFixed(2)}`, met: r >= 1 };
    },
  },
  {
    ...execRow('chacha', 'same, chacha20-poly1305@openssh.com', 'chacha20-poly1305@openssh.com'),
    target: (m) => {
      const r = m.puressh! / m.openssh!;
      const pure = m['puressh-pure']!;
      return { text: `node ≥ 0.8 × OpenSSH: ${r.toFixed(2)}; pure ≥ 100 MB/s: ${pure.toFixed(0)}`, met: r >= 0.8 && pure >= 100 };
    },
  },
  {
    ...execRow('ctr', 'same, aes128-ctr + hmac-sha2-256-etm@openssh.com', 'aes128-ctr', 'hmac-sha2-256-etm@openssh.com'),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['openssh', 'ssh2-nodelay'], 'MB/s');
      const pure = m['puressh-pure']!;
      return { text: `node ≥ 1.0 × best of OpenSSH, ssh2+NODELAY: ${r.toFixed(2)}; pure ≥ 50 MB/s: ${pure.toFixed(0)}`, met: r >= 1 && pure >= 50 };
    },
  },
  {
    id: 'sftp-get',
    label: 'SFTP download (sftp get / fastGet / get)',
    unit: 'MB/s',
    sides: ['puressh', 'openssh', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: (_side, f) => ({ kind: 'sftp-get', cipher: GCM, remote: f.remoteSource, local: join(f.dir, 'got.bin'), bytes: f.bytes }),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['openssh', 'ssh2-nodelay'], 'MB/s');
      return { text: `node ≥ 1.0 × best of OpenSSH, ssh2+NODELAY: ${r.toFixed(2)}`, met: r >= 1 };
    },
  },
  {
    id: 'sftp-put',
    label: 'SFTP upload (sftp put / fastPut / put)',
    unit: 'MB/s',
    sides: ['puressh', 'openssh', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: (_side, f) => ({ kind: 'sftp-put', cipher: GCM, remote: join(f.dir, 'put.bin'), local: f.localSource, bytes: f.bytes }),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['openssh', 'ssh2-nodelay'], 'MB/s');
      return { text: `node ≥ 1.0 × best of OpenSSH, ssh2+NODELAY: ${r.toFixed(2)}`, met: r >= 1 };
    },
  },
  {
    id: 'handshake',
    label: "connect + kex + publickey auth + exec 'true' + close (median per run)",
    unit: 'ms',
    sides: ALL_SIDES,
    job: () => ({ kind: 'handshake', cipher: GCM, count: Number(process.env.BENCH_HANDSHAKES ?? '20') }),
    target: (m) => {
      const r = m.puressh! / m['ssh2-nodelay']!;
      return { text: `node ≤ 0.9 × ssh2+NODELAY: ${r.toFixed(2)}`, met: r <= 0.9 };
    },
  },
  {
    id: 'channels',
    label: "200 concurrent exec 'true' channels on one connection",
    unit: 'ms',
    sides: ['puressh', 'puressh-pure', 'ssh2-nodelay', 'ssh2-js', 'ssh2'],
    job: () => ({ kind: 'channels', cipher: GCM, count: 200 }),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['ssh2-nodelay', 'ssh2'], 'ms');
      return { text: `node ≤ 1.0 × ssh2: ${r.toFixed(2)}`, met: r <= 1 };
    },
  },
  {
    id: 'connections',
    label: "50 concurrent connections, each exec 'true'",
    unit: 'ms',
    sides: ALL_SIDES,
    job: () => ({ kind: 'connections', cipher: GCM, count: 50 }),
    target: (m) => {
      const r = m.puressh! / bestPeer(m, ['ssh2-nodelay', 'ssh2'], 'ms');
      return { text: `node ≤ 1.0 × ssh2: ${r.toFixed(2)}`, met: r <= 1 };
    },
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

/** bench-child.ts as plain JS in a temp dir: the measured processes run without the tsx loader. */
function compileChild(dir: string): string {
  const source = readFileSync(join(ROOT, 'scripts', 'bench-child.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const path = join(dir, 'bench-child.mjs');
  writeFileSync(path, js);
  return path;
}

let childPath = '';

function runNodeSide(side: NodeSide | 'baseline', target: Target, job: Job): Promise<Result> {
  const [childSide, root] = side === 'baseline' ? ['puressh', BASELINE!] : [side, ROOT];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [childPath, childSide, JSON.stringify(target), JSON.stringify(job), root], { stdio: ['ignore', 'pipe', 'pipe'] });
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

const HAVE_TIME = existsSync('/usr/bin/time');

interface ProcessRun {
  /** wall time from spawn to exit, ms */
  wallMs: number;
  /** first stdout byte, ms after spawn (0 if none) */
  firstMs: number;
  lastMs: number;
  stdoutBytes: number;
  /** user + system CPU of the process and the children it waited for (from /usr/bin/time) */
  cpuSeconds: number;
  /** sum over the process tree of each process's peak RSS, KiB */
  rssKiB: number;
}

/** Run an OpenSSH client program, counting stdout, sampling the tree's peak RSS, timing it. */
function runProcess(program: string, args: string[], stdin: string | null, watch?: () => void): Promise<ProcessRun> {
  const dir = mkdtempSync('/tmp/puressh-bench-time-');
  const timeFile = join(dir, 'time');
  const argv = HAVE_TIME ? ['-f', '%U %S', '-o', timeFile, program, ...args] : args;
  const t0 = performance.now();
  const p = spawn(HAVE_TIME ? '/usr/bin/time' : program, argv, { stdio: [stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== null) p.stdin!.end(stdin);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let first = 0;
    let last = 0;
    let err = '';
    const peaks = new Map<number, number>();
    const sample = (): void => {
      for (const pid of [p.pid!, ...descendants(p.pid!)]) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, vmHwmKiB(pid)));
      watch?.();
    };
    const poll = setInterval(sample, 10);
    p.stdout!.on('data', (b: Buffer) => {
      if (bytes === 0) first = performance.now() - t0;
      bytes += b.length;
      last = performance.now() - t0;
    });
    p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(poll);
      const wallMs = performance.now() - t0;
      let cpuSeconds = NaN;
      try {
        const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpuSeconds = u! + s!;
      } catch {
        /* no /usr/bin/time */
      }
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`${program} failed (${code}): ${err.slice(-2000)}`));
      // The tree minus /usr/bin/time itself.
      const rssKiB = [...peaks].filter(([pid]) => !HAVE_TIME || pid !== p.pid).reduce((a, [, v]) => a + v, 0);
      resolve({ wallMs, firstMs: first, lastMs: last, stdoutBytes: bytes, cpuSeconds, rssKiB });
    });
  });
}

function opensshOptions(job: { cipher: string; mac?: string }): string[] {
  const o = [`Ciphers=${job.cipher}`, `KexAlgorithms=${KEX}`];
  if (job.mac) o.push(`MACs=${job.mac}`);
  return o;
}

/** `sftp` takes ssh's options, but -P for the port and the destination as user@host. */
function sftpArgs(sshd: Sshd, job: { cipher: string }): string[] {
  const a = opensshArgs(sshd, null, { options: opensshOptions(job) });
  const out: string[] = ['-b', '-'];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-p') out.push('-P', a[++i]!);
    else if (a[i] === '-l') i++;
    else if (i === a.length - 1) out.push(`${sshd.user}@${a[i]}`);
    else out.push(a[i]!);
  }
  return out;
}

async function runOpenssh(sshd: Sshd, job: Job): Promise<Result> {
  switch (job.kind) {
    case 'exec': {
      const r = await runProcess('ssh', opensshArgs(sshd, `head -c ${job.bytes} /dev/zero`, { options: opensshOptions(job) }), null);
      return { bytes: r.stdoutBytes, seconds: (r.lastMs - r.firstMs) / 1000, cpuSeconds: r.cpuSeconds, rssKiB: r.rssKiB };
    }
    case 'sftp-get':
    case 'sftp-put': {
      // The transfer runs from the first byte at the destination to the process exit.
      const dest = job.kind === 'sftp-get' ? job.local : job.remote;
      let firstMs = 0;
      const t0 = performance.now();
      const watch = () => {
        if (firstMs) return;
        try {
          if (statSync(dest).size > 0) firstMs = performance.now() - t0;
        } catch {
          /* not there yet */
        }
      };
      const cmd = job.kind === 'sftp-get' ? `get ${job.remote} ${job.local}\n` : `put ${job.local} ${job.remote}\n`;
      const r = await runProcess('sftp', sftpArgs(sshd, job), cmd, watch);
      if (statSync(dest).size !== job.bytes) throw new Error(`sftp ${job.kind}: wrong size`);
      return { bytes: job.bytes, seconds: (r.wallMs - firstMs) / 1000, cpuSeconds: r.cpuSeconds, rssKiB: r.rssKiB };
    }
    case 'handshake': {
      const samples: number[] = [];
      let cpuSeconds = 0;
      let rssKiB = 0;
      for (let i = 0; i < job.count; i++) {
        const r = await runProcess('ssh', opensshArgs(sshd, 'true', { options: opensshOptions(job) }), null);
        samples.push(r.wallMs);
        cpuSeconds += r.cpuSeconds;
        rssKiB = Math.max(rssKiB, r.rssKiB);
      }
      return { samples, cpuSeconds, rssKiB };
    }
    case 'connections': {
      const t0 = performance.now();
      const runs = await Promise.all(
        Array.from({ length: job.count }, () => runProcess('ssh', opensshArgs(sshd, 'true', { options: opensshOptions(job) }), null)),
      );
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

async function main(): Promise<number> {
  const bytes = parseSize(process.env.BENCH_BYTES ?? '256M');
  const pureBytes = parseSize(process.env.BENCH_PURE_BYTES ?? '64M');
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const onlySides = process.env.BENCH_SIDES?.split(',').map((s) => s.trim());
  // BENCH_BASELINE: a 'baseline' side beside every puressh (node:crypto) side; BENCH_SIDES: only these sides.
  const rows = ROWS.filter((r) => !only || only.includes(r.id)).map((r) => {
    const sides = r.sides.flatMap((s): Side[] => (s === 'puressh' && BASELINE ? ['puressh', 'baseline'] : [s]));
    return { ...r, sides: sides.filter((s) => !onlySides || s === 'baseline' || onlySides.includes(s)) };
  });

  process.stderr.write('bench: building dist/ (the compiled library is what gets measured)\n');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });

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
  const dir = mkdtempSync(existsSync('/dev/shm') ? '/dev/shm/puressh-bench-' : '/tmp/puressh-bench-');
  childPath = compileChild(dir);
  const samples = new Map<string, Sample[]>();
  let ceilings = { chacha: 0, ctrEtm: 0 };
  try {
    const files: Files = { dir, remoteSource: join(dir, 'remote-src.bin'), localSource: join(dir, 'local-src.bin'), bytes, pureBytes };
    if (rows.some((r) => r.id.startsWith('sftp'))) {
      const fd = openSync(files.remoteSource, 'w');
      execFileSync('head', ['-c', String(bytes), '/dev/urandom'], { stdio: ['ignore', fd, 'inherit'] });
      closeSync(fd);
      execFileSync('cp', [files.remoteSource, files.localSource]);
    }
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    const target: Target = { port: sshd.port, user: sshd.user, keyPath: sshd.userKeys.ed25519.privatePath, fingerprint };
    process.stderr.write(
      `bench: ${bytes} bytes per transfer (pure JS ${pureBytes}), ${runs} runs, sshd on port ${sshd.port}, ssh2 native addon: ${ssh2Binding() ? 'loaded' : 'absent'}\n`,
    );
    if (rows.some((r) => r.id === 'chacha' || r.id === 'ctr')) ceilings = nobleCeilings();
    for (let run = 1; run <= runs; run++) {
      for (const row of rows) {
        // Interleaved: each run visits every side of a row, in a rotating order.
        const order = row.sides.map((_, i) => row.sides[(i + run - 1) % row.sides.length]!);
        for (const side of order) {
          const job = row.job(side, files);
          const r = side === 'openssh' ? await runOpenssh(sshd, job) : await runNodeSide(side, target, job);
          if (r.cipher !== undefined && r.cipher !== job.cipher) throw new Error(`${side}: negotiated ${r.cipher}, wanted ${job.cipher}`);
          if ('bytes' in job && r.bytes !== job.bytes) throw new Error(`${side} ${row.id}: moved ${r.bytes} bytes, expected ${job.bytes}`);
          for (const f of ['got.bin', 'put.bin']) rmSync(join(dir, f), { force: true });
          const s = toSample(row, r);
          const key = `${row.id}|${side}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          process.stderr.write(
            `  run ${run} ${row.id.padEnd(12)} ${side.padEnd(13)} ${fmt(row.unit, s.value).padStart(8)} ${row.unit}  cpu ${s.cpuSeconds.toFixed(2)} s  rss ${(s.rssKiB / 1024).toFixed(0)} MiB\n`,
          );
        }
      }
    }
  } finally {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rows, samples, { bytes, pureBytes, runs, ceilings });
  return 0;
}

function report(
  rows: Row[],
  samples: Map<string, Sample[]>,
  meta: { bytes: number; pureBytes: number; runs: number; ceilings: { chacha: number; ctrEtm: number } },
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
    const peersRan = PEERS.filter((p) => row.sides.includes(p)).every((p) => Number.isFinite(m[p]));
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
    pureNotes.push(`chacha20-poly1305: ${m.toFixed(0)} MB/s = ${(m / c.chacha).toFixed(2)} × the raw noble ceiling ${c.chacha.toFixed(0)} MB/s (target ≥ 0.8)`);
  }
  if (c.ctrEtm && samples.has('ctr|puressh-pure')) {
    const m = median(samples.get('ctr|puressh-pure')!.map((s) => s.value));
    pureNotes.push(
      `aes128-ctr + hmac-sha2-256-etm: ${m.toFixed(0)} MB/s = ${(m / c.ctrEtm).toFixed(2)} × the raw noble ceiling ${c.ctrEtm.toFixed(0)} MB/s (target ≥ 0.8)`,
    );
  }
  const md =
    `# puressh bench, ${new Date().toISOString()}\n\n` +
    `OpenSSH sshd on 127.0.0.1, kex ${KEX}, host key ed25519, user key ed25519; transfers ${meta.bytes} bytes (pure JS ${meta.pureBytes}); ` +
    `${meta.runs} interleaved runs, median (min–max); MB = 10^6 bytes. Node ${process.version}; ssh2 native addon ${ssh2Binding() ? 'loaded' : 'absent'}.\n` +
    'Rates: exec from first byte to EOF; SFTP the whole transfer (OpenSSH: first byte at the destination to exit). Times: wall clock, OpenSSH including process start.\n' +
    '"node ÷ best peer": puressh (node:crypto) over the best of OpenSSH, ssh2+NODELAY and stock ssh2 in that row (rates: higher is better; times: lower is better). ' +
    '"node ÷ ssh2 no addon": over ssh2 + TCP_NODELAY with its C++ addon not loaded, so that its crypto runs on node:crypto as puressh\'s does (what a plain install without a compiler gets).\n\n' +
    lines.join('\n') +
    '\n\nCPU (user+system of the client process: per GiB moved, or per operation/batch) and peak RSS (OpenSSH sftp: sftp + its ssh):\n\n' +
    res.join('\n') +
    (pureNotes.length
      ? '\n\nPure-JS provider against noble alone (same machine, same run, 32 KiB packets):\n\n' + pureNotes.map((n) => `- ${n}`).join('\n')
      : '') +
    '\n';
  process.stdout.write('\n' + md);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `bench-${stamp}.md`), md);
  writeFileSync(
    join(outDir, `bench-${stamp}.json`),
    JSON.stringify({ ...meta, node: process.version, ssh2Binding: ssh2Binding(), rows: json }, null, 2) + '\n',
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
