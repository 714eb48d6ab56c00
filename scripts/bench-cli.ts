/**
 * The CLI section of `npm run bench`: the `puressh` command (`node bin/puressh` with the
 * bundle the build leaves, as users run it) against OpenSSH's `ssh`, `sftp` and `scp`, the
 * same command lines against the bench's sshd, and against the peer under the same constraint:
 * a minimal script over the `ssh2` package without its C++ addon (scripts/ssh2-cli.ts: exec,
 * sftp fastGet/fastPut; no scp), given the same options as JSON. Each a whole process timed from outside
 * (bench-process.ts): wall time from spawn to exit, CPU time, peak RSS. Output to /dev/null
 * (exec) or files on tmpfs (get); what moved is checked outside the timing. Also the memory
 * budget: peak RSS of the CLI and of the library during a transfer, and RSS at idle after
 * connect.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sshd } from '../test/support/sshd.js';
import { checkFile, checkOutputLength, idleRssKiB, median, timeProcess, type ProcessRun } from './bench-process.js';
import type { Ssh2CliConfig } from './ssh2-cli.js';

export const KEX = 'curve25519-sha256';
export const GCM = 'aes128-gcm@openssh.com';

/** OpenSSH's client, puressh's CLI given the same arguments, or the ssh2 script (no addon) given the same options */
export type CliSide = 'openssh' | 'puressh' | 'ssh2-js';
export const CLI_SIDES: CliSide[] = ['openssh', 'puressh', 'ssh2-js'];
const SIDE_LABEL: Record<CliSide, string> = { openssh: 'OpenSSH', puressh: 'puressh CLI', 'ssh2-js': 'ssh2 no addon, minimal script' };

export interface Algorithms {
  cipher: string;
  mac?: string;
}

/** A row's algorithms, or each client's own defaults (no -c, MACs or KexAlgorithms). */
export type AlgorithmChoice = Algorithms | 'defaults';

/**
 * The options every client gets, OpenSSH's and ours alike: no user config, no agent, only the
 * bench's key, strict host-key checking against the sshd's known_hosts, and the row's algorithms.
 */
function clientOptions(sshd: Sshd, alg: AlgorithmChoice): string[] {
  const o = ['-F', '/dev/null'];
  if (alg !== 'defaults') {
    o.push('-c', alg.cipher, '-o', `KexAlgorithms=${KEX}`);
    if (alg.mac) o.push('-o', `MACs=${alg.mac}`);
  }
  for (const kv of [
    'BatchMode=yes',
    'IdentitiesOnly=yes',
    'IdentityAgent=none',
    `UserKnownHostsFile=${sshd.knownHostsPath}`,
    'GlobalKnownHostsFile=/dev/null',
    'StrictHostKeyChecking=yes',
    'LogLevel=ERROR',
  ])
    o.push('-o', kv);
  return [...o, '-i', sshd.userKeys.ed25519.privatePath];
}

/** `ssh … host command` */
export const sshArgs = (sshd: Sshd, alg: AlgorithmChoice, command: string): string[] => [
  ...clientOptions(sshd, alg),
  '-p',
  String(sshd.port),
  '-l',
  sshd.user,
  sshd.host,
  command,
];

/** `sftp -b batch … user@host` (sftp's port flag is -P; its -l is a rate limit) */
export const sftpArgs = (sshd: Sshd, alg: Algorithms, batch: string): string[] => [
  '-b',
  batch,
  ...clientOptions(sshd, alg),
  '-P',
  String(sshd.port),
  `${sshd.user}@${sshd.host}`,
];

/** `scp … user@host:remote local` */
const scpGetArgs = (sshd: Sshd, alg: Algorithms, remote: string, local: string): string[] => [
  ...clientOptions(sshd, alg),
  '-P',
  String(sshd.port),
  `${sshd.user}@${sshd.host}:${remote}`,
  local,
];

export interface CliContext {
  sshd: Sshd;
  /** a tmpfs directory for batch files and downloads */
  dir: string;
  /** the CLI launcher (bin/puressh) run by this node */
  puressh: string;
  /** scripts/ssh2-cli.ts transpiled (.mjs), and the repository root it resolves ssh2 from */
  ssh2Cli: string;
  root: string;
  /** a file of `bytes` bytes on the server's side (the same machine) and its SHA-256 */
  source: string;
  sourceSha256: string;
  /** bytes per sftp/scp transfer */
  bytes: number;
  /** bytes per exec download */
  execBytes: number;
  /** `ssh host true` runs per sample (the sample is their median) */
  handshakes: number;
}

export type CliSample = ProcessRun;

export interface CliRow {
  id: string;
  /** the sides that can do this work (default: all) */
  sides?: CliSide[];
  /** what runs, with the sizes of this bench run */
  label: (ctx: CliContext) => string;
  /** one timed sample; checks what moved outside the timing */
  run: (side: CliSide, ctx: CliContext) => Promise<CliSample>;
}

/** OpenSSH's program, or node running bin/puressh with the tool as its first argument */
function command(side: 'openssh' | 'puressh', ctx: CliContext, tool: 'ssh' | 'sftp' | 'scp', args: string[]): [string, string[]] {
  return side === 'openssh' ? [tool, args] : [process.execPath, [ctx.puressh, tool, ...args]];
}

/** node running the ssh2 script: the same port, user, key, known host key, kex and algorithms as the others' options */
function ssh2Command(ctx: CliContext, alg: Algorithms, action: string[]): [string, string[]] {
  const config: Ssh2CliConfig = {
    port: ctx.sshd.port,
    user: ctx.sshd.user,
    keyPath: ctx.sshd.userKeys.ed25519.privatePath,
    hostKey: ctx.sshd.hostKeys.ed25519!.publicLine,
    kex: KEX,
    cipher: alg.cipher,
    ...(alg.mac ? { mac: alg.mac } : {}),
  };
  return [process.execPath, [ctx.ssh2Cli, ctx.root, JSON.stringify(config), ...action]];
}

/** `ssh … host command`, as each side runs it (the ssh2 script is always given the algorithms) */
function execCommand(side: CliSide, ctx: CliContext, alg: AlgorithmChoice, remote: string): [string, string[]] {
  if (side !== 'ssh2-js') return command(side, ctx, 'ssh', sshArgs(ctx.sshd, alg, remote));
  if (alg === 'defaults') throw new Error('the ssh2 script runs with the algorithms it is given');
  return ssh2Command(ctx, alg, ['exec', remote]);
}

/** 512M, 1536K, 100 (bytes) */
const size = (n: number): string => (n % 2 ** 20 === 0 ? `${n / 2 ** 20}M` : n % 1024 === 0 ? `${n / 1024}K` : String(n));

function execRow(id: string, alg: Algorithms): CliRow {
  const name = alg.mac ? `${alg.cipher} + ${alg.mac}` : alg.cipher;
  return {
    id,
    label: (ctx) => `ssh host 'head -c ${size(ctx.execBytes)} /dev/zero' > /dev/null, ${name}`,
    run: async (side, ctx) => {
      const [program, args] = execCommand(side, ctx, alg, `head -c ${ctx.execBytes} /dev/zero`);
      const r = await timeProcess(program, args);
      await checkOutputLength(program, args, ctx.execBytes);
      return r;
    },
  };
}

function sftpRow(kind: 'get' | 'put'): CliRow {
  return {
    id: `cli-sftp-${kind}`,
    label: (ctx) => `sftp -b: ${kind} ${size(ctx.bytes)} (tmpfs), ${GCM}`,
    run: async (side, ctx) => {
      const batch = join(ctx.dir, 'cli-batch.txt');
      const dest = join(ctx.dir, `cli-${kind}.bin`);
      writeFileSync(batch, kind === 'get' ? `get ${ctx.source} ${dest}\n` : `put ${ctx.source} ${dest}\n`);
      const [program, args] =
        side === 'ssh2-js'
          ? ssh2Command(ctx, { cipher: GCM }, [kind, ctx.source, dest])
          : command(side, ctx, 'sftp', sftpArgs(ctx.sshd, { cipher: GCM }, batch));
      try {
        const r = await timeProcess(program, args, { tree: true });
        await checkFile(dest, ctx.bytes, ctx.sourceSha256, `${side} sftp ${kind}`);
        return r;
      } finally {
        rmSync(dest, { force: true });
      }
    },
  };
}

/** `ssh host true`, each sample the median of ctx.handshakes whole runs */
function trueRow(id: string, alg: AlgorithmChoice, label: (ctx: CliContext) => string, sides?: CliSide[]): CliRow {
  return {
    id,
    ...(sides ? { sides } : {}),
    label,
    run: async (side, ctx) => {
      const [program, args] = execCommand(side, ctx, alg, 'true');
      const runs: ProcessRun[] = [];
      for (let i = 0; i < ctx.handshakes; i++) runs.push(await timeProcess(program, args));
      return {
        wallMs: median(runs.map((r) => r.wallMs)),
        cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
        rssKiB: Math.max(...runs.map((r) => r.rssKiB)),
      };
    },
  };
}

export const CLI_ROWS: CliRow[] = [
  execRow('cli-gcm', { cipher: GCM }),
  execRow('cli-chacha', { cipher: 'chacha20-poly1305@openssh.com' }),
  execRow('cli-ctr', { cipher: 'aes128-ctr', mac: 'hmac-sha2-256-etm@openssh.com' }),
  sftpRow('get'),
  sftpRow('put'),
  {
    id: 'cli-scp-get',
    sides: ['openssh', 'puressh'],
    label: (ctx) => `scp host:file local: get ${size(ctx.bytes)} (tmpfs), ${GCM}`,
    run: async (side, ctx) => {
      const dest = join(ctx.dir, 'cli-scp.bin');
      if (side === 'ssh2-js') throw new Error('the ssh2 script has no scp');
      const [program, args] = command(side, ctx, 'scp', scpGetArgs(ctx.sshd, { cipher: GCM }, ctx.source, dest));
      try {
        const r = await timeProcess(program, args, { tree: true });
        await checkFile(dest, ctx.bytes, ctx.sourceSha256, `${side} scp get`);
        return r;
      } finally {
        rmSync(dest, { force: true });
      }
    },
  },
  trueRow('cli-true', { cipher: GCM }, (ctx) => `ssh host true (start-up, kex, auth, exec), ${GCM}; median of ${ctx.handshakes} per sample`),
  // What `ssh host` costs as people run it, with no algorithm options: against OpenSSH 9.2's
  // sshd both clients then agree on sntrup761x25519-sha512, whose key generation is the
  // slow part of a connection.
  trueRow(
    'cli-true-defaults',
    'defaults',
    (ctx) => `ssh host true, each client's default algorithms (sntrup761x25519-sha512 with this sshd); median of ${ctx.handshakes} per sample`,
    ['openssh', 'puressh'],
  ),
];

/** The CLI's resident memory at idle after connect: `ssh host 'echo ready; exec sleep 1'`, read once "ready" is out. */
export function cliIdleRssKiB(side: CliSide, ctx: CliContext): Promise<number> {
  const [program, args] = execCommand(side, ctx, { cipher: GCM }, 'echo ready; exec sleep 1');
  return idleRssKiB(program, args);
}

// ---------------------------------------------------------------- report

const fmtRange = (xs: number[], digits: number): string =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/**
 * The CLI table: per row and side wall, CPU and peak RSS; the ratio OpenSSH time ÷ ours, target
 * ≥ 1.0, and beside it the same ratio against the ssh2 script (no addon): the peer under our constraint.
 */
export function cliReport(rows: CliRow[], ctx: CliContext, samples: Map<string, CliSample[]>): { md: string; json: Record<string, unknown> } {
  const shown = CLI_SIDES.filter((side) => rows.some((row) => samples.has(`${row.id}|${side}`)));
  const head = [
    'work',
    ...shown.map((side) => `${SIDE_LABEL[side]} wall s`),
    ...shown.map((side) => `${SIDE_LABEL[side]} CPU s`),
    ...shown.map((side) => `${SIDE_LABEL[side]} peak RSS MiB`),
    'OpenSSH ÷ puressh (time)',
    'target',
    'met',
    'ssh2 no addon ÷ puressh (time)',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const json: Record<string, unknown> = {};
  for (const row of rows) {
    const of = (side: CliSide): CliSample[] => samples.get(`${row.id}|${side}`) ?? [];
    const range = (side: CliSide, value: (x: CliSample) => number, digits: number): string => (of(side).length ? fmtRange(of(side).map(value), digits) : '—');
    const wall = (side: CliSide): number => median(of(side).map((x) => x.wallMs));
    const ratioTo = (side: CliSide): number => (of(side).length && of('puressh').length ? wall(side) / wall('puressh') : NaN);
    const ratio = ratioTo('openssh');
    const peer = ratioTo('ssh2-js');
    const judged = Number.isFinite(ratio);
    const cells = [
      row.label(ctx),
      ...shown.map((side) => range(side, (x) => x.wallMs / 1000, 3)),
      ...shown.map((side) => range(side, (x) => x.cpuSeconds, 3)),
      ...shown.map((side) => range(side, (x) => x.rssKiB / 1024, 0)),
      judged ? ratio.toFixed(2) : '—',
      '≥ 1.00',
      judged ? (ratio >= 1 ? 'yes' : 'no') : '',
      Number.isFinite(peer) ? peer.toFixed(2) : '—',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
    json[row.id] = {
      label: row.label(ctx),
      samples: Object.fromEntries(CLI_SIDES.map((side) => [side, of(side)])),
      ratio: judged ? ratio : null,
      met: judged ? ratio >= 1 : null,
      ratioToSsh2NoAddon: Number.isFinite(peer) ? peer : null,
    };
  }
  return { md: lines.join('\n'), json };
}

export interface MemoryFigures {
  /** peak RSS of each CLI side during the exec download (from the cli-gcm row) */
  cliPeakKiB: Partial<Record<CliSide, number[]>>;
  cliIdleKiB: Partial<Record<CliSide, number[]>>;
  /** the library (puressh, node:crypto) in its own process: peak during the exec download, VmRSS after connect */
  libraryPeakKiB: number[];
  libraryIdleKiB: number[];
  /** the same with keepYoungGenerationSmall() called by the application */
  librarySmallYoungPeakKiB: number[];
}

const RSS_BUDGET_KIB = 64 * 1024;

/** The memory budget table: puressh's peak and idle RSS against 64 MiB, OpenSSH's beside for reference. */
export function memoryReport(m: MemoryFigures, execBytes: number): { md: string; json: Record<string, unknown> } {
  const mib = (xs: number[] | undefined) =>
    xs?.length
      ? fmtRange(
          xs.map((x) => x / 1024),
          1,
        )
      : '—';
  const judge = (xs: number[] | undefined) => (xs?.length ? (median(xs) <= RSS_BUDGET_KIB ? 'yes' : 'no') : '');
  const n = size(execBytes);
  const rows: [string, number[] | undefined, number[] | undefined][] = [
    [`CLI: peak during \`ssh host 'head -c ${n} /dev/zero'\` (aes128-gcm)`, m.cliPeakKiB.puressh, m.cliPeakKiB.openssh],
    ["CLI: at idle after connect (`ssh host 'echo ready; exec sleep 1'`)", m.cliIdleKiB.puressh, m.cliIdleKiB.openssh],
    [`library (node:crypto, own process): peak during an exec download of ${n}`, m.libraryPeakKiB, undefined],
    ['library (node:crypto, own process): after connect, before the download', m.libraryIdleKiB, undefined],
    [`library, the application also calling keepYoungGenerationSmall(): peak during an exec download of ${n}`, m.librarySmallYoungPeakKiB, undefined],
  ];
  const lines = ['| RSS | puressh MiB | OpenSSH MiB | target | met |', '|---|---:|---:|---:|---:|'];
  for (const [label, ours, theirs] of rows) lines.push(`| ${label} | ${mib(ours)} | ${mib(theirs)} | ≤ 64 MiB | ${judge(ours)} |`);
  return { md: lines.join('\n'), json: { ...m, budgetKiB: RSS_BUDGET_KIB } };
}
