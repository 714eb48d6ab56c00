/**
 * `npm run bench:server`: OpenSSH's own clients against `puressh sshd`, against Debian's
 * OpenSSH sshd (with its sftp-server), and against a minimal server over the `ssh2` npm package
 * (scripts/ssh2-server.ts) with and without its C++ addon, on 127.0.0.1, same cipher, ed25519
 * host and user keys. puressh sshd runs compiled (bin/puressh over dist/, built first), as users
 * run it; the ssh2 server transpiled to plain JavaScript, under `node` alone. ssh2 without its
 * addon is the peer under puressh's constraint (JavaScript over node:crypto), its addon the same
 * server with OpenSSL contexts kept per direction.
 * Every client is timed from outside as its users run it: a separate process whose output
 * goes to /dev/null (exec) or to a file on tmpfs (sftp get), wall time from spawn to exit.
 * Rows run interleaved (each run visits both servers, in alternating order); medians with
 * min–max. Then 100 concurrent sessions held open: the servers' resident memory.
 *
 * Environment: BENCH_BYTES (exec, default 512M), BENCH_SFTP_BYTES (default 256M),
 * BENCH_RUNS (default 3), BENCH_HANDSHAKES (default 10), BENCH_CONNECTIONS (default 100),
 * BENCH_SERVERS (comma-separated, default all: puressh,openssh,ssh2-js,ssh2).
 * Writes Markdown and JSON under bench/results/.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, startSshd, type Sshd } from '../test/support/sshd.js';
import { startPuresshSshd, type PuresshSshd } from '../test/support/puressh-sshd.js';
import {
  checkFile,
  checkOutputLength,
  median,
  parseSize,
  rssKiB,
  sha256File,
  timeProcess,
  TMPFS,
  transpileScript,
  withoutNodeCaBundle,
} from './bench-process.js';
import type { Ssh2ServerConfig } from './ssh2-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const GCM = 'aes128-gcm@openssh.com';
const KEX = 'curve25519-sha256';

const EXEC_BYTES = parseSize(process.env.BENCH_BYTES ?? '512M');
const SFTP_BYTES = parseSize(process.env.BENCH_SFTP_BYTES ?? '256M');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);

type ServerId = 'puressh' | 'openssh' | 'ssh2-js' | 'ssh2';
const SERVER_IDS: ServerId[] = ['puressh', 'openssh', 'ssh2-js', 'ssh2'];
const SERVER_NAME: Record<ServerId, string> = {
  puressh: 'puressh sshd',
  openssh: 'OpenSSH sshd',
  'ssh2-js': 'ssh2 Server + NODELAY, no addon',
  ssh2: 'ssh2 Server + NODELAY',
};

interface Server {
  id: ServerId;
  port: number;
  /** ssh options reaching it with the bench's user key, known_hosts checked */
  args: (extra?: string[]) => string[];
  /** the processes that serve (for RSS): the listener and its descendants */
  pid: () => number;
  stop: () => Promise<void>;
}

/** ssh's options for a server on 127.0.0.1:port: no user config, only this key, strict host-key checking */
const clientArgs =
  (port: number, knownHostsPath: string, keyPath: string, user: string) =>
  (extra: string[] = []): string[] => [
    ...extra,
    '-F',
    '/dev/null',
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-i',
    keyPath,
    '-l',
    user,
  ];

function wrapOpenssh(s: Sshd): Server {
  return {
    id: 'openssh',
    port: s.port,
    args: clientArgs(s.port, s.knownHostsPath, s.userKeys.ed25519.privatePath, s.user),
    pid: () => s.pid,
    stop: () => s.stop(),
  };
}

function wrapPuressh(s: PuresshSshd): Server {
  return { id: 'puressh', port: s.port, args: (extra = []) => s.sshArgs(extra), pid: () => s.pid, stop: () => s.stop() };
}

/**
 * The ssh2 server (scripts/ssh2-server.ts, transpiled into `dir`) with OpenSSH sshd's ed25519
 * host key and user key, its own known_hosts; resolves once it listens.
 */
function startSsh2Server(id: 'ssh2-js' | 'ssh2', script: string, keys: Sshd, dir: string): Promise<Server> {
  const config: Ssh2ServerConfig = {
    hostKeyPath: keys.hostKeys.ed25519!.path,
    userKeyPath: keys.userKeys.ed25519.publicPath,
    user: keys.user,
    addon: id === 'ssh2',
  };
  const child = spawn(process.execPath, [script, ROOT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${SERVER_NAME[id]} did not listen: ${err}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`${SERVER_NAME[id]} exited ${code}: ${err}`)));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      const knownHostsPath = join(dir, `known_hosts-${id}`);
      writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${keys.hostKeys.ed25519!.publicLine.split(/\s+/).slice(0, 2).join(' ')}\n`);
      resolve({
        id,
        port,
        args: clientArgs(port, knownHostsPath, keys.userKeys.ed25519.privatePath, keys.user),
        pid: () => child.pid!,
        stop: async () => {
          if (child.exitCode !== null) return;
          // Its sessions' commands first (none should be left), then the server.
          for (const p of [...descendants(child.pid!), child.pid!]) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
          await new Promise((r) => child.once('close', r));
        },
      });
    });
  });
}

/** sftp takes ssh's options but -P for the port, and the user in the destination (its -l is a rate limit). */
function sftpArgs(s: Server, batch: string): string[] {
  const a = s.args(['-c', GCM]);
  const out: string[] = [];
  let user = '';
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-p') out.push('-P', a[++i]!);
    else if (a[i] === '-l') user = a[++i]!;
    else out.push(a[i]!);
  }
  return ['-b', batch, ...out, `${user}@127.0.0.1`];
}

interface RowResult {
  label: string;
  unit: 'MB/s' | 'ms';
  samples: Partial<Record<ServerId, number[]>>;
}

async function main(): Promise<void> {
  const removedCaBundle = withoutNodeCaBundle();
  if (removedCaBundle) process.stderr.write(`bench:server: NODE_EXTRA_CA_CERTS (${removedCaBundle}) removed from the servers' environment\n`);
  const wanted = (process.env.BENCH_SERVERS?.split(',').map((x) => x.trim()) ?? SERVER_IDS) as ServerId[];
  for (const w of wanted) if (!SERVER_IDS.includes(w)) throw new Error(`BENCH_SERVERS: unknown server "${w}" (known: ${SERVER_IDS.join(', ')})`);
  const work = mkdtempSync(join(TMPFS, 'puressh-bench-server-'));
  const source = join(work, 'source.bin');
  const batch = join(work, 'batch.txt');
  const fd = openSync(source, 'w');
  execFileSync('head', ['-c', String(SFTP_BYTES), '/dev/urandom'], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  const sourceSha256 = await sha256File(source);
  const common = ['MaxSessions 256', 'MaxStartups 300'];
  // OpenSSH's sshd also lends its ed25519 host key and user key to the ssh2 servers.
  const openssh = await startSshd({ config: common });
  const servers: Server[] = [];
  try {
    for (const id of SERVER_IDS.filter((x) => wanted.includes(x))) {
      if (id === 'openssh') servers.push(wrapOpenssh(openssh));
      else if (id === 'puressh') {
        execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
        servers.push(wrapPuressh(await startPuresshSshd({ config: [...common, 'Subsystem sftp internal-sftp'], compiled: true })));
      } else servers.push(await startSsh2Server(id, transpileScript('ssh2-server.ts', work), openssh, work));
    }
    const rows: RowResult[] = [];
    const row = (label: string, unit: RowResult['unit']): RowResult => {
      const r: RowResult = { label, unit, samples: Object.fromEntries(servers.map((x) => [x.id, []])) };
      rows.push(r);
      return r;
    };
    const exec = row(`ssh -c aes128-gcm host 'head -c ${EXEC_BYTES >> 20}M /dev/zero' > /dev/null`, 'MB/s');
    const hand = row('ssh host true (start-up, kex, auth, exec)', 'ms');
    // ssh2 has no sntrup761x25519 or mlkem768x25519, OpenSSH's first choices: the same work for every server.
    const handCurve = row(`ssh -o KexAlgorithms=${KEX} host true`, 'ms');
    const get = row(`sftp get ${SFTP_BYTES >> 20} MiB (to tmpfs)`, 'MB/s');
    const put = row(`sftp put ${SFTP_BYTES >> 20} MiB`, 'MB/s');
    const log = (r: RowResult, s: Server, v: number): void => {
      r.samples[s.id]!.push(v);
      process.stderr.write(
        `  ${r.label.slice(0, 24).padEnd(24)} ${SERVER_NAME[s.id].padEnd(31)} ${v.toFixed(r.unit === 'ms' ? 1 : 0).padStart(7)} ${r.unit}\n`,
      );
    };
    const kex = Object.fromEntries(servers.map((s) => [s.id, negotiatedKex(s)]));
    // What moved is checked outside the timing: the exec output's length once per server, each sftp file's SHA-256.
    for (const s of servers) await checkOutputLength('ssh', [...s.args(['-c', GCM]), '127.0.0.1', `head -c ${EXEC_BYTES} /dev/zero`], EXEC_BYTES);
    for (let i = 0; i < RUNS; i++) {
      // Interleaved: each run visits every server, in a rotating order.
      const order = servers.map((_, k) => servers[(k + i) % servers.length]!);
      for (const s of order) {
        const { wallMs: ms } = await timeProcess('ssh', [...s.args(['-c', GCM]), '127.0.0.1', `head -c ${EXEC_BYTES} /dev/zero`]);
        log(exec, s, EXEC_BYTES / 1e6 / (ms / 1000));
      }
      for (const s of order) {
        const times: number[] = [];
        for (let h = 0; h < HANDSHAKES; h++) times.push((await timeProcess('ssh', [...s.args(), '127.0.0.1', 'true'])).wallMs);
        log(hand, s, median(times));
      }
      for (const s of order) {
        const times: number[] = [];
        for (let h = 0; h < HANDSHAKES; h++) times.push((await timeProcess('ssh', [...s.args(['-o', `KexAlgorithms=${KEX}`]), '127.0.0.1', 'true'])).wallMs);
        log(handCurve, s, median(times));
      }
      for (const s of order) {
        const dest = join(work, `got-${i}.bin`);
        writeFileSync(batch, `get ${source} ${dest}\n`);
        const { wallMs: ms } = await timeProcess('sftp', sftpArgs(s, batch));
        await checkFile(dest, SFTP_BYTES, sourceSha256, `${SERVER_NAME[s.id]}: sftp get`);
        rmSync(dest);
        log(get, s, SFTP_BYTES / 1e6 / (ms / 1000));
      }
      for (const s of order) {
        const dest = join(work, `put-${i}.bin`);
        writeFileSync(batch, `put ${source} ${dest}\n`);
        const { wallMs: ms } = await timeProcess('sftp', sftpArgs(s, batch));
        await checkFile(dest, SFTP_BYTES, sourceSha256, `${SERVER_NAME[s.id]}: sftp put`);
        rmSync(dest);
        log(put, s, SFTP_BYTES / 1e6 / (ms / 1000));
      }
    }
    // Concurrent sessions held open: the server's resident memory before and with them.
    const memory: Partial<Record<ServerId, { idleKiB: number; heldKiB: number }>> = {};
    for (const s of CONNECTIONS > 0 ? servers : []) {
      const idle = rssKiB(s.pid());
      const clients = Array.from({ length: CONNECTIONS }, () =>
        spawn('ssh', [...s.args(), '127.0.0.1', 'sleep 30'], { stdio: ['ignore', 'ignore', 'ignore'] }),
      );
      // Wait until every session's process runs (one `sleep 30` each under the server).
      const t0 = Date.now();
      while (Date.now() - t0 < 60_000) {
        const sleeping = [s.pid(), ...descendants(s.pid())].filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\x0030');
          } catch {
            return false;
          }
        }).length;
        if (sleeping >= CONNECTIONS) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      memory[s.id] = { idleKiB: idle, heldKiB: rssKiB(s.pid()) };
      for (const c of clients) c.kill();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lines: string[] = [];
    lines.push(`# bench:server ${new Date().toISOString()}`, '');
    lines.push(
      `${RUNS} runs, interleaved; medians (min–max). Clients: Debian's OpenSSH ssh/sftp, timed from outside. ` +
        "Ratios: puressh's rate over the other's, or the other's time over puressh's (≥ 1 means puressh is no slower). " +
        `ssh2 servers: scripts/ssh2-server.ts (ssh2 ${ssh2Version()}, TCP_NODELAY set; no addon = its crypto on node:crypto, as puressh's). Load average at the end: ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}. ` +
        `Kex with ssh's defaults: ${servers.map((s) => `${SERVER_NAME[s.id]} ${kex[s.id]}`).join(', ')}.`,
      '',
    );
    const shown = servers.map((s) => s.id);
    const ratios = (['openssh', 'ssh2-js'] as const).filter((id) => shown.includes(id) && shown.includes('puressh'));
    const head = ['row', ...shown.map((id) => SERVER_NAME[id]), ...ratios.map((id) => `puressh ÷ ${id === 'openssh' ? 'OpenSSH' : 'ssh2 no addon'}`)];
    lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of rows) {
      const cell = (xs: number[]): string => `${median(xs).toFixed(r.unit === 'ms' ? 1 : 0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
      const p = median(r.samples.puressh ?? []);
      // For times, the ratio is the other's time over ours: ≥ 1 means no slower.
      const ratio = (id: ServerId): string => {
        const o = median(r.samples[id]!);
        return (r.unit === 'MB/s' ? p / o : o / p).toFixed(2);
      };
      lines.push(`| ${[`${r.label} (${r.unit})`, ...shown.map((id) => cell(r.samples[id]!)), ...ratios.map(ratio)].join(' | ')} |`);
    }
    if (CONNECTIONS > 0) {
      lines.push('', `| ${CONNECTIONS} sessions held (\`ssh host sleep 30\`) | RSS idle | RSS held | per session |`, '|---|---:|---:|---:|');
      for (const s of servers) {
        const m = memory[s.id]!;
        lines.push(
          `| ${SERVER_NAME[s.id]} | ${(m.idleKiB / 1024).toFixed(1)} MiB | ${(m.heldKiB / 1024).toFixed(1)} MiB | ${((m.heldKiB - m.idleKiB) / CONNECTIONS).toFixed(0)} KiB |`,
        );
      }
    }
    const text = lines.join('\n') + '\n';
    process.stdout.write(text);
    const dir = join(process.cwd(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(dir, `bench-server-${stamp}.md`), text);
    writeFileSync(join(dir, `bench-server-${stamp}.json`), JSON.stringify({ servers: SERVER_NAME, kex, rows, memory, loadavg: loadavg() }, null, 2));
  } finally {
    for (const s of servers) if (s.id !== 'openssh') await s.stop();
    await openssh.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The kex ssh negotiates with a server given its defaults (from `ssh -v`), for the report. */
function negotiatedKex(s: Server): string {
  const r = spawnSync('ssh', ['-v', ...s.args(), '127.0.0.1', 'true'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return /kex: algorithm: (\S+)/.exec(r.stderr)?.[1] ?? '?';
}

/** the ssh2 package's version, for the report */
function ssh2Version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ssh2', 'package.json'), 'utf8')) as { version: string }).version;
}

await main();
