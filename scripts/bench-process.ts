/**
 * Timing a program from outside, as its users run it: the benches' shared helpers. The
 * program's stdout goes to /dev/null or to a file (never a pipe into the bench process, whose
 * reading would set the program's rate); wall time from spawn to exit; CPU time from
 * /usr/bin/time (`%U %S`: the process and the children it waited for); peak RSS from /proc.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { descendants } from '../test/support/sshd.js';
import { vmHwmKiB } from './bench-child.js';

/** tmpfs for transferred files, so the disk does not set the rate */
export const TMPFS = existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
const TIME = '/usr/bin/time';
const TIME_INSTALL_COMMAND = 'apt-get install -y time';

/**
 * Take NODE_EXTRA_CA_CERTS out of the environment every measured process inherits: Node reads
 * the named CA bundle at every start (~40 ms here for Debian's full bundle), TLS is never
 * used by SSH, and a user's shell does not normally set it. Returns what was removed, for
 * the report's header.
 */
export function withoutNodeCaBundle(): string | undefined {
  const removed = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
  return removed;
}

/**
 * A script of this directory (a peer's server or client) as plain JavaScript in `dir`, so that
 * the measured process runs under `node` alone, without the tsx loader. The script must import
 * only node:* and packages (resolved from the repository root it is given), not its neighbours.
 * Returns the path of the .mjs file.
 */
export function transpileScript(name: string, dir: string): string {
  const source = readFileSync(join(import.meta.dirname, name), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const path = join(dir, name.replace(/\.ts$/, '.mjs'));
  writeFileSync(path, js);
  return path;
}

export function parseSize(text: string): number {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`cannot read size "${text}" (e.g. 256M, 1G, 1048576)`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface ProcessRun {
  /** spawn to exit, ms */
  wallMs: number;
  /** user + system CPU of the process and the children it waited for, s */
  cpuSeconds: number;
  /** peak RSS of the process tree, KiB (see timeProcess) */
  rssKiB: number;
}

export interface TimeOptions {
  /** where stdout goes (default /dev/null) */
  stdout?: string;
  /** a file for stdin (default /dev/null) */
  stdin?: string;
  /** a program that runs others (sftp runs ssh): sum the peak RSS of its tree */
  tree?: boolean;
}

/** Throws the install command when /usr/bin/time is missing: CPU time cannot be measured without it. */
export function requireTime(): void {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing; install it with: sudo ${TIME_INSTALL_COMMAND}`);
}

/**
 * Run `program args` under /usr/bin/time with stdout to a file, and resolve when it exits 0.
 * Peak RSS: /usr/bin/time's `%M` (getrusage's ru_maxrss of the program: exact for one
 * process; for a tree, the largest process it waited for). With `tree`, the larger of that and
 * the sum of each process's VmHWM sampled over the tree every 50 ms (VmHWM only grows, so a
 * sample loses at most what grew in the last 50 ms). Sampling scans /proc, which costs the
 * bench's own CPU, so it is off unless asked for.
 */
export function timeProcess(program: string, args: string[], opts: TimeOptions = {}): Promise<ProcessRun> {
  requireTime();
  const dir = mkdtempSync(join(TMPFS, 'puressh-bench-time-'));
  const timeFile = join(dir, 'time');
  const out = openSync(opts.stdout ?? '/dev/null', 'w');
  const input = openSync(opts.stdin ?? '/dev/null', 'r');
  const t0 = performance.now();
  const p = spawn(TIME, ['-f', '%U %S %M', '-o', timeFile, program, ...args], { stdio: [input, out, 'pipe'] });
  closeSync(out);
  closeSync(input);
  return new Promise((resolve, reject) => {
    let err = '';
    const peaks = new Map<number, number>();
    const sample = (): void => {
      // The tree below /usr/bin/time: the program and its children.
      for (const pid of descendants(p.pid!)) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, vmHwmKiB(pid)));
    };
    const poll = opts.tree ? setInterval(sample, 50) : undefined;
    p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', (e) => {
      clearInterval(poll);
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    p.on('close', (code) => {
      const wallMs = performance.now() - t0;
      clearInterval(poll);
      const fields = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [];
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`${program} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const [user, system, maxKiB] = fields as [number, number, number];
      const sampled = [...peaks.values()].reduce((a, v) => a + v, 0);
      resolve({ wallMs, cpuSeconds: user + system, rssKiB: Math.max(sampled, maxKiB) });
    });
  });
}

/**
 * Untimed check of a command whose timed runs write to /dev/null: it exits 0 and writes
 * `expected` bytes. Counted here, through a pipe, outside any measurement.
 */
export function checkOutputLength(program: string, args: string[], expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    p.stdout.on('data', (b: Buffer) => (bytes += b.length));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${program} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      else if (bytes !== expected) reject(new Error(`${program} ${args.join(' ')} wrote ${bytes} bytes, expected ${expected}`));
      else resolve();
    });
  });
}

/** SHA-256 of a file, hex. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Throws unless `path` holds `bytes` bytes whose SHA-256 is `sha256`. */
export async function checkFile(path: string, bytes: number, sha256: string, what: string): Promise<void> {
  const size = statSync(path).size;
  if (size !== bytes) throw new Error(`${what}: ${path} has ${size} bytes, expected ${bytes}`);
  if ((await sha256File(path)) !== sha256) throw new Error(`${what}: ${path} differs from the source`);
}

/** Resident memory now (VmRSS), KiB, of a process and its descendants. */
export function rssKiB(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      /* gone */
    }
  }
  return total;
}

/**
 * Resident memory of a client at idle after connect: run it with stdout to a file (tmpfs),
 * wait until the remote command has written its first line ("ready"), let it settle, read
 * VmRSS over its tree, then wait for it to exit (status 0).
 */
export async function idleRssKiB(program: string, args: string[], settleMs = 200): Promise<number> {
  const dir = mkdtempSync(join(TMPFS, 'puressh-bench-idle-'));
  const outPath = join(dir, 'out');
  const out = openSync(outPath, 'w');
  const p = spawn(program, args, { stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', resolve);
  });
  try {
    const t0 = performance.now();
    while (statSync(outPath).size === 0) {
      if (p.exitCode !== null || performance.now() - t0 > 30_000) throw new Error(`${program} never became ready: ${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, settleMs));
    const kib = rssKiB(p.pid!);
    const code = await exited;
    if (code !== 0) throw new Error(`${program} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`);
    return kib;
  } finally {
    if (p.exitCode === null) p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
