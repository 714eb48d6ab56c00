/**
 * `npm run bench:server`: OpenSSH's own clients against `puressh sshd` and against Debian's
 * OpenSSH sshd (with its sftp-server), same host key, user key, kex and cipher, on 127.0.0.1.
 * puressh sshd runs compiled (bin/puressh over dist/, built first), as users run it.
 * Every client is timed from outside as its users run it: a separate process whose output
 * goes to /dev/null (exec) or to a file on tmpfs (sftp get), wall time from spawn to exit.
 * Rows run interleaved (each run visits both servers, in alternating order); medians with
 * min–max. Then 100 concurrent sessions held open: the servers' resident memory.
 *
 * Environment: BENCH_BYTES (exec, default 512M), BENCH_SFTP_BYTES (default 256M),
 * BENCH_RUNS (default 3), BENCH_HANDSHAKES (default 10), BENCH_CONNECTIONS (default 100).
 * Writes Markdown and JSON under bench/results/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendants, startSshd, type Sshd } from '../test/support/sshd.js';
import { startPuresshSshd, type PuresshSshd } from '../test/support/puressh-sshd.js';
import { median, parseSize, rssKiB, timeProcess, TMPFS, withoutNodeCaBundle } from './bench-process.js';

const GCM = 'aes128-gcm@openssh.com';

const EXEC_BYTES = parseSize(process.env.BENCH_BYTES ?? '512M');
const SFTP_BYTES = parseSize(process.env.BENCH_SFTP_BYTES ?? '256M');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);

type ServerName = 'puressh sshd' | 'OpenSSH sshd';
interface Server {
  name: ServerName;
  port: number;
  /** ssh options reaching it with the bench's user key, known_hosts checked */
  args: (extra?: string[]) => string[];
  /** the processes that serve (for RSS): the listener and its descendants */
  pid: () => number;
}

function wrapOpenssh(s: Sshd): Server {
  return {
    name: 'OpenSSH sshd',
    port: s.port,
    args: (extra = []) => [
      ...extra,
      '-F',
      '/dev/null',
      '-p',
      String(s.port),
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${s.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-i',
      s.userKeys.ed25519.privatePath,
      '-l',
      s.user,
    ],
    pid: () => s.pid,
  };
}

function wrapPuressh(s: PuresshSshd): Server {
  return {
    name: 'puressh sshd',
    port: s.port,
    args: (extra = []) => s.sshArgs(extra),
    pid: () => s.pid,
  };
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
  samples: Record<ServerName, number[]>;
}

async function main(): Promise<void> {
  const removedCaBundle = withoutNodeCaBundle();
  if (removedCaBundle) process.stderr.write(`bench:server: NODE_EXTRA_CA_CERTS (${removedCaBundle}) removed from the servers' environment\n`);
  const work = mkdtempSync(join(TMPFS, 'puressh-bench-server-'));
  const source = join(work, 'source.bin');
  const batch = join(work, 'batch.txt');
  writeFileSync(source, Buffer.alloc(SFTP_BYTES, 7));
  const common = ['MaxSessions 256', 'MaxStartups 300'];
  const openssh = await startSshd({ config: common });
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const puressh = await startPuresshSshd({ config: [...common, 'Subsystem sftp internal-sftp'], compiled: true });
  const servers = [wrapPuressh(puressh), wrapOpenssh(openssh)];
  const rows: RowResult[] = [];
  const row = (label: string, unit: RowResult['unit']): RowResult => {
    const r: RowResult = { label, unit, samples: { 'puressh sshd': [], 'OpenSSH sshd': [] } };
    rows.push(r);
    return r;
  };
  try {
    const exec = row(`ssh -c aes128-gcm host 'head -c ${EXEC_BYTES >> 20}M /dev/zero' > /dev/null`, 'MB/s');
    const hand = row('ssh host true (start-up, kex, auth, exec)', 'ms');
    const get = row(`sftp get ${SFTP_BYTES >> 20} MiB (to tmpfs)`, 'MB/s');
    const put = row(`sftp put ${SFTP_BYTES >> 20} MiB`, 'MB/s');
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 ? [...servers].reverse() : servers;
      for (const s of order) {
        const { wallMs: ms } = await timeProcess('ssh', [...s.args(['-c', GCM]), '127.0.0.1', `head -c ${EXEC_BYTES} /dev/zero`]);
        exec.samples[s.name].push(EXEC_BYTES / 1e6 / (ms / 1000));
      }
      for (const s of order) {
        const times: number[] = [];
        for (let h = 0; h < HANDSHAKES; h++) times.push((await timeProcess('ssh', [...s.args(), '127.0.0.1', 'true'])).wallMs);
        hand.samples[s.name].push(median(times));
      }
      for (const s of order) {
        const dest = join(work, `got-${i}.bin`);
        writeFileSync(batch, `get ${source} ${dest}\n`);
        const { wallMs: ms } = await timeProcess('sftp', sftpArgs(s, batch));
        if (statSync(dest).size !== SFTP_BYTES) throw new Error(`${s.name}: sftp get wrote ${statSync(dest).size} bytes`);
        rmSync(dest);
        get.samples[s.name].push(SFTP_BYTES / 1e6 / (ms / 1000));
      }
      for (const s of order) {
        const dest = join(work, `put-${i}.bin`);
        writeFileSync(batch, `put ${source} ${dest}\n`);
        const { wallMs: ms } = await timeProcess('sftp', sftpArgs(s, batch));
        if (statSync(dest).size !== SFTP_BYTES) throw new Error(`${s.name}: sftp put wrote ${statSync(dest).size} bytes`);
        rmSync(dest);
        put.samples[s.name].push(SFTP_BYTES / 1e6 / (ms / 1000));
      }
    }
    // Concurrent sessions held open: the server's resident memory before and with them.
    const memory: Record<ServerName, { idleKiB: number; heldKiB: number }> = {} as never;
    for (const s of servers) {
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
      memory[s.name] = { idleKiB: idle, heldKiB: rssKiB(s.pid()) };
      for (const c of clients) c.kill();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lines: string[] = [];
    lines.push(`# bench:server ${new Date().toISOString()}`, '');
    lines.push(`${RUNS} runs, interleaved; medians (min–max). Clients: Debian's OpenSSH ssh/sftp, timed from outside.`, '');
    lines.push('| row | puressh sshd | OpenSSH sshd | puressh ÷ OpenSSH |', '|---|---:|---:|---:|');
    for (const r of rows) {
      const cell = (xs: number[]): string => `${median(xs).toFixed(r.unit === 'ms' ? 1 : 0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
      const p = median(r.samples['puressh sshd']);
      const o = median(r.samples['OpenSSH sshd']);
      // For times, the ratio is OpenSSH's time over ours: ≥ 1 means no slower.
      const ratio = r.unit === 'MB/s' ? p / o : o / p;
      lines.push(`| ${r.label} (${r.unit}) | ${cell(r.samples['puressh sshd'])} | ${cell(r.samples['OpenSSH sshd'])} | ${ratio.toFixed(2)} |`);
    }
    lines.push('', `| ${CONNECTIONS} sessions held (\`ssh host sleep 30\`) | RSS idle | RSS held | per session |`, '|---|---:|---:|---:|');
    for (const s of servers) {
      const m = memory[s.name];
      lines.push(
        `| ${s.name} | ${(m.idleKiB / 1024).toFixed(1)} MiB | ${(m.heldKiB / 1024).toFixed(1)} MiB | ${((m.heldKiB - m.idleKiB) / CONNECTIONS).toFixed(0)} KiB |`,
      );
    }
    const text = lines.join('\n') + '\n';
    process.stdout.write(text);
    const dir = join(process.cwd(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(dir, `bench-server-${stamp}.md`), text);
    writeFileSync(join(dir, `bench-server-${stamp}.json`), JSON.stringify({ rows, memory }, null, 2));
  } finally {
    await puressh.stop();
    await openssh.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
