/**
 * The client side of one `npm run bench` measurement, run in its own process so that its
 * CPU time and peak RSS are its own: puressh (compiled, from dist/, with the node:crypto or
 * the pure-JS provider) or the `ssh2` npm package (stock, or given a socket with
 * setNoDelay(true)). The bench transpiles this file and runs it under plain `node` (no tsx
 * loader in the measured process): `node bench-child.mjs SIDE TARGET JOB ROOT`. Prints one
 * JSON line (Result) on stdout.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { createRequire } from 'node:module';

export type NodeSide = 'puressh' | 'puressh-pure' | 'ssh2-nodelay' | 'ssh2-js' | 'ssh2';

export interface Target {
  port: number;
  user: string;
  keyPath: string;
  fingerprint: string;
}

/** Every job names the cipher (and MAC) all sides must use; kex is always curve25519-sha256. */
export type Job = { cipher: string; mac?: string } &
  /** webSocketUrl: connect through this WebSocket bridge instead of TCP (the browser section's same-path comparison) */
  (
    | { kind: 'exec'; bytes: number; webSocketUrl?: string; window?: number; smallYoungGeneration?: boolean }
    | { kind: 'sftp-get' | 'sftp-put'; remote: string; local: string; bytes: number }
    | { kind: 'handshake'; count: number }
    | { kind: 'channels'; count: number }
    | { kind: 'connections'; count: number }
  );

export interface Result {
  /** payload bytes moved (throughput jobs) */
  bytes?: number;
  /** seconds: first byte to end (exec), whole transfer (sftp), whole batch (channels/connections) */
  seconds?: number;
  /** handshake: one duration per connection, ms */
  samples?: number[];
  /** CPU seconds (user + system) of this process during the measured part */
  cpuSeconds: number;
  /** peak RSS of the process, KiB */
  rssKiB: number;
  /** negotiated cipher, to check the job ran what it asked for */
  cipher?: string;
  /** exec (puressh): connect() to authenticated, ms */
  connectMs?: number;
  /** exec (puressh): resident memory (VmRSS) after connect, before the download, KiB */
  idleRssKiB?: number;
}

/** the key exchange of every puressh and ssh2 connection the bench makes (the browser page's too) */
export const KEX = 'curve25519-sha256';
/** the repository root (argv), for dist/ and node_modules/ */
const ROOT = process.argv[5] ?? new URL('..', import.meta.url).pathname;
const require = createRequire(`${ROOT}/package.json`);

// ---------------------------------------------------------------- puressh

type Puressh = typeof import('../src/node.js');

async function loadPuressh(): Promise<Puressh> {
  // The compiled library, as users run it: package.json's entry (the bench builds dist/
  // first), or dist/node.js in a baseline checkout built before the entry was bundled.
  const entry = existsSync(`${ROOT}/dist/bundle/node.js`) ? 'dist/bundle/node.js' : 'dist/node.js';
  return (await import(`${ROOT}/${entry}`)) as Puressh;
}

async function puressh(side: 'puressh' | 'puressh-pure', t: Target, job: Job): Promise<Result> {
  const lib = await loadPuressh();
  // A reader that is done with each chunk releases it (Channel.release) and its memory is
  // freed at once; on Node 20 that takes this opt-in (built in from Node 22). Optional
  // calls: a baseline checkout may predate both.
  (lib as { enableEarlyFree?: () => void }).enableEarlyFree?.();
  // The memory section's second library row: what an application that also keeps V8's young
  // generation small (keepYoungGenerationSmall) gets.
  if (job.kind === 'exec' && job.smallYoungGeneration) (lib as { keepYoungGenerationSmall?: () => void }).keepYoungGenerationSmall?.();
  const key = lib.parsePrivateKey(readFileSync(t.keyPath, 'utf8'));
  const crypto = side === 'puressh' ? 'node' : 'pure';
  const algorithms = { kex: [KEX], cipher: [job.cipher], ...(job.mac ? { mac: [job.mac] } : {}) };
  const options = { username: t.user, privateKeys: [key], hostKeyVerifier: (info: { fingerprint: string }) => info.fingerprint === t.fingerprint, algorithms };
  const viaBridge = job.kind === 'exec' ? job.webSocketUrl : undefined;
  const connect = async () =>
    viaBridge
      ? lib.SshClient.connect(await lib.webSocketStream(viaBridge), { ...options, crypto: crypto === 'pure' ? lib.pureProvider : lib.nodeProvider })
      : lib.connect({ host: '127.0.0.1', port: t.port, ...options, crypto });
  switch (job.kind) {
    case 'exec': {
      const t0 = performance.now();
      const client = await connect();
      const connectMs = performance.now() - t0;
      const idleRssKiB = vmRssKiB();
      const cpu0 = process.cpuUsage();
      const ch = await client.exec(`head -c ${job.bytes} /dev/zero`, job.window ? { window: job.window } : {});
      let bytes = 0;
      let first = 0;
      for (let c = await ch.read(); c !== null; c = await ch.read()) {
        if (bytes === 0) first = performance.now();
        bytes += c.length;
        (ch as { release?: (chunk: Uint8Array) => void }).release?.(c);
      }
      const seconds = (performance.now() - first) / 1000;
      const cpuSeconds = cpuSince(cpu0);
      await ch.exit;
      const cipher = client.algorithms.cipherSC;
      await client.disconnect();
      return { bytes, seconds, cpuSeconds, rssKiB: peakRssKiB(), cipher, connectMs, idleRssKiB };
    }
    case 'sftp-get':
    case 'sftp-put': {
      const client = await connect();
      const sftp = await client.sftp();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const bytes = job.kind === 'sftp-get' ? await sftp.get(job.remote, job.local) : await sftp.put(job.local, job.remote);
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSince(cpu0);
      await sftp.end();
      const cipher = client.algorithms.cipherSC;
      await client.disconnect();
      return { bytes, seconds, cpuSeconds, rssKiB: peakRssKiB(), cipher };
    }
    case 'handshake': {
      const samples: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < job.count; i++) {
        const t0 = performance.now();
        const client = await connect();
        const r = await client.run('true');
        if (r.code !== 0) throw new Error(`exec true exited ${r.code}`);
        await client.disconnect();
        samples.push(performance.now() - t0);
      }
      return { samples, cpuSeconds: cpuSince(cpu0), rssKiB: peakRssKiB() };
    }
    case 'channels': {
      const client = await connect();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const codes = await Promise.all(Array.from({ length: job.count }, () => client.run('true').then((r) => r.code)));
      const seconds = (performance.now() - t0) / 1000;
      if (codes.some((c) => c !== 0)) throw new Error('an exec failed');
      const cpuSeconds = cpuSince(cpu0);
      await client.disconnect();
      return { seconds, cpuSeconds, rssKiB: peakRssKiB() };
    }
    case 'connections': {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: job.count }, async () => {
          const client = await connect();
          const r = await client.run('true');
          if (r.code !== 0) throw new Error(`exec true exited ${r.code}`);
          await client.disconnect();
        }),
      );
      return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(cpu0), rssKiB: peakRssKiB() };
    }
  }
}

// ---------------------------------------------------------------- ssh2

/* eslint-disable @typescript-eslint/no-explicit-any */
type Ssh2Client = any;

/**
 * ssh2 as a plain install without a compiler gets it: its optional C++ crypto addon not
 * loaded, so its ciphers and MACs run on node:crypto, as puressh's do. Called before ssh2 is
 * first required; loading any native addon then fails, as a missing build would.
 */
function withoutNativeAddon(): void {
  (require('node:module') as { _extensions: Record<string, () => never> })._extensions['.node'] = () => {
    throw new Error('native addons disabled for this bench side');
  };
  if ((require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable) {
    throw new Error('ssh2 loaded its addon anyway');
  }
}

function ssh2Connect(t: Target, noDelay: boolean, algorithms: Record<string, string[]> = {}): Promise<Ssh2Client> {
  const { Client } = require('ssh2') as { Client: new () => Ssh2Client };
  return new Promise((resolve, reject) => {
    const sock = net.connect(t.port, '127.0.0.1');
    if (noDelay) sock.setNoDelay(true);
    const c = new Client();
    c.on('ready', () => resolve(c));
    c.on('error', reject);
    c.connect({ sock, username: t.user, privateKey: readFileSync(t.keyPath), algorithms: { kex: [KEX], ...algorithms } });
  });
}

function ssh2Exec(c: Ssh2Client, command: string, onData?: (n: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err: Error | undefined, stream: any) => {
      if (err) return reject(err);
      let code = -1;
      stream.on('data', (d: Buffer) => onData?.(d.length));
      stream.stderr.resume();
      stream.on('exit', (c2: number) => (code = c2));
      stream.on('close', () => resolve(code));
    });
  });
}

function ssh2Close(c: Ssh2Client): Promise<void> {
  return new Promise((resolve) => {
    c.on('close', () => resolve());
    c.end();
  });
}

async function ssh2(side: 'ssh2' | 'ssh2-nodelay' | 'ssh2-js', t: Target, job: Job): Promise<Result> {
  const noDelay = side !== 'ssh2';
  if (side === 'ssh2-js') withoutNativeAddon();
  const algorithms: Record<string, string[]> = { cipher: [job.cipher] };
  if (job.mac) algorithms.hmac = [job.mac];
  switch (job.kind) {
    case 'exec': {
      const c = await ssh2Connect(t, noDelay, algorithms);
      const cpu0 = process.cpuUsage();
      let bytes = 0;
      let first = 0;
      let last = 0;
      await ssh2Exec(c, `head -c ${job.bytes} /dev/zero`, (n) => {
        if (bytes === 0) first = performance.now();
        bytes += n;
        last = performance.now();
      });
      const cpuSeconds = cpuSince(cpu0);
      await ssh2Close(c);
      return { bytes, seconds: (last - first) / 1000, cpuSeconds, rssKiB: peakRssKiB(), cipher: job.cipher };
    }
    case 'sftp-get':
    case 'sftp-put': {
      const c = await ssh2Connect(t, noDelay, algorithms);
      const sftp: any = await new Promise((resolve, reject) => c.sftp((err: Error | undefined, s: any) => (err ? reject(err) : resolve(s))));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => (err ? reject(err) : resolve());
        if (job.kind === 'sftp-get') sftp.fastGet(job.remote, job.local, done);
        else sftp.fastPut(job.local, job.remote, done);
      });
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSince(cpu0);
      await ssh2Close(c);
      return { bytes: job.bytes, seconds, cpuSeconds, rssKiB: peakRssKiB() };
    }
    case 'handshake': {
      const samples: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < job.count; i++) {
        const t0 = performance.now();
        const c = await ssh2Connect(t, noDelay, algorithms);
        const code = await ssh2Exec(c, 'true');
        if (code !== 0) throw new Error(`exec true exited ${code}`);
        await ssh2Close(c);
        samples.push(performance.now() - t0);
      }
      return { samples, cpuSeconds: cpuSince(cpu0), rssKiB: peakRssKiB() };
    }
    case 'channels': {
      const c = await ssh2Connect(t, noDelay, algorithms);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const codes = await Promise.all(Array.from({ length: job.count }, () => ssh2Exec(c, 'true')));
      const seconds = (performance.now() - t0) / 1000;
      if (codes.some((x) => x !== 0)) throw new Error('an exec failed');
      const cpuSeconds = cpuSince(cpu0);
      await ssh2Close(c);
      return { seconds, cpuSeconds, rssKiB: peakRssKiB() };
    }
    case 'connections': {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: job.count }, async () => {
          const c = await ssh2Connect(t, noDelay, algorithms);
          const code = await ssh2Exec(c, 'true');
          if (code !== 0) throw new Error(`exec true exited ${code}`);
          await ssh2Close(c);
        }),
      );
      return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(cpu0), rssKiB: peakRssKiB() };
    }
  }
}

/** Peak RSS (VmHWM) of process `pid`, KiB; 0 where /proc cannot tell (not Linux, process gone). */
export function vmHwmKiB(pid: number | 'self'): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** This process's resident memory now (VmRSS), KiB. */
function vmRssKiB(): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : process.memoryUsage().rss / 1024;
}

/**
 * This process's peak RSS, KiB. Not getrusage's ru_maxrss (process.resourceUsage().maxRSS)
 * where /proc has VmHWM: Linux carries ru_maxrss across execve, so a child spawned by the
 * bench would report at least the bench's own RSS at the fork. VmHWM belongs to the
 * process's current address space, so it starts afresh at exec.
 */
function peakRssKiB(): number {
  return vmHwmKiB('self') || process.resourceUsage().maxRSS;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

export async function runChild(side: NodeSide, target: Target, job: Job): Promise<Result> {
  return side === 'puressh' || side === 'puressh-pure' ? puressh(side, target, job) : ssh2(side, target, job);
}

if (process.argv[1]?.endsWith('bench-child.mjs')) {
  runChild(process.argv[2] as NodeSide, JSON.parse(process.argv[3]!) as Target, JSON.parse(process.argv[4]!) as Job).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
