/**
 * CPU time per process during a time window, for the browser section's diagnostics
 * (BENCH_BROWSER_CPU=1): a browser download crosses more processes than Node's (the
 * bridge, Chromium's network service and browser process, the renderer) and on a small
 * machine they compete for the same cores. /proc is sampled every few ms with wall-clock
 * timestamps; a window given in epoch ms (the page reports its download's start and end as
 * performance.timeOrigin + now()) is read from the samples around it.
 * BENCH_BROWSER_CPU=threads also splits the renderers and the network service by thread name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { descendants } from '../test/support/sshd.js';

/** clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux) */
const TICKS_PER_SECOND = 100;
const INTERVAL_MS = 10;
/** the process tree is scanned (all of /proc) only every this many readings */
const RESCAN_EVERY = 20;

/** user + system time of a process or thread (its /proc stat path), and of the children it reaped, in ms */
function cpuMs(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return 0; // gone
  }
}

/** A Chromium process's role, from its --type (and --utility-sub-type) switch; the browser process has none. */
function chromiumRole(pid: number): string {
  let args: string[];
  try {
    // Chromium rewrites its command line with spaces between the switches.
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
  } catch {
    return 'gone';
  }
  const type = args.find((a) => a.startsWith('--type='))?.slice('--type='.length) ?? 'browser';
  const sub = args
    .find((a) => a.startsWith('--utility-sub-type='))
    ?.split('.')
    .pop();
  return sub ? sub : type;
}

/** A process's threads other than its main thread, as `<role> thread <name>` (threads of one name summed). */
function threadSources(pid: number, role: string): [string, string][] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: [string, string][] = [];
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    try {
      out.push([`${role} thread ${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}`, `/proc/${pid}/task/${tid}/stat`]);
    } catch {
      // gone
    }
  }
  return out;
}

type Reading = { t: number; ms: Map<string, number> };

/** CPU ms per role over a window: Chromium's processes by role (and the renderers' main threads), the bridge, sshd. */
export class CpuSampler {
  private readonly readings: Reading[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** process → its Chromium role, once settled */
  private readonly roles = new Map<number, string>();
  /** the stat files to read, by role, from the last scan */
  private sources: [role: string, statPath: string][] = [];
  private count = 0;

  constructor(
    /** this process: Chromium's processes are its descendants */
    private readonly benchPid: number,
    /** the bridge's process */
    private readonly bridgePid: number,
    private readonly sshdPid: number,
    /** also split the renderers and the network service by thread name */
    private readonly threads = false,
  ) {}

  start(): void {
    this.readings.length = 0;
    this.read();
    this.timer = setInterval(() => this.read(), INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.read();
  }

  /** CPU ms per role between two epoch-ms instants (readings nearest outside them). */
  between(from: number, to: number): Record<string, number> {
    const before = [...this.readings].reverse().find((r) => r.t <= from) ?? this.readings[0];
    const after = this.readings.find((r) => r.t >= to) ?? this.readings.at(-1);
    const out: Record<string, number> = {};
    if (!before || !after) return out;
    for (const [role, ms] of after.ms) {
      const d = Math.round(ms - (before.ms.get(role) ?? 0));
      if (d !== 0) out[role] = d;
    }
    return out;
  }

  private read(): void {
    if (this.count++ % RESCAN_EVERY === 0) this.scan();
    const ms = new Map<string, number>();
    for (const [role, path] of this.sources) ms.set(role, (ms.get(role) ?? 0) + cpuMs(path));
    this.readings.push({ t: Date.now(), ms });
  }

  private scan(): void {
    const sources: [string, string][] = [];
    for (const pid of descendants(this.benchPid)) {
      let role = this.roles.get(pid);
      if (role === undefined) {
        let comm: string;
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          continue;
        }
        role = comm.startsWith('chrom') ? `chromium ${chromiumRole(pid)}` : '';
        // A process just forked may still show its parent's name or command line (a zygote's):
        // only a settled Chromium role is kept, anything else is looked at again next scan.
        if (role !== '' && role !== 'chromium zygote') this.roles.set(pid, role);
      }
      if (!role) continue;
      sources.push([role, `/proc/${pid}/stat`]);
      // The main thread (where the page's JavaScript runs) is the thread whose id is the process's.
      if (role === 'chromium renderer') sources.push(['chromium renderer main thread', `/proc/${pid}/task/${pid}/stat`]);
      if (this.threads && (role === 'chromium renderer' || role === 'chromium NetworkService')) sources.push(...threadSources(pid, role));
    }
    sources.push(['bridge', `/proc/${this.bridgePid}/stat`]);
    // This process: the page server and the DevTools pipe (idle during a download), and this sampler.
    sources.push(['bench', `/proc/${this.benchPid}/stat`]);
    for (const pid of [this.sshdPid, ...descendants(this.sshdPid)]) sources.push(['sshd', `/proc/${pid}/stat`]);
    this.sources = sources;
  }
}
