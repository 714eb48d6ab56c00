/**
 * ProxyJump (`-J`, ssh_config ProxyJump): reach the destination through jump hosts. ssh runs
 * `ssh -W host:port jump` for each hop; here it is one process: a direct-tcpip channel of one
 * hop's connection carries the next hop's SSH connection (`connect({ stream })`).
 *
 * As in ssh, each jump host gets its own settings from the config files (`-F` is handed on,
 * nothing else from the command line), and the first jump host's own ProxyJump is followed.
 */
import { ChannelOpenError } from '../errors.js';
import { commandStream, connect, type ByteStream, type NodeConnectOptions, type SshClient } from '../node.js';
import { StdioForwardError, type FailureContext } from './failure.js';
import type { HostKeyState } from './host-key.js';
import type { CliIo } from './io.js';
import { resolveSettings, type SshSettings } from './settings.js';
import { parseDestination, parseSshArgs, UsageError } from './ssh-args.js';
import { loadSshConfig } from './ssh-config.js';

/**
 * ProxyCommand: the command line run as ssh runs it (`$SHELL -c "exec command"`), its stdin
 * and stdout carrying the connection, its stderr on ours.
 */
export function proxyCommandStream(command: string, debug?: (line: string) => void): ByteStream {
  const line = `exec ${command}`;
  debug?.(`Executing proxy command: ${line}`);
  return commandStream(process.env.SHELL || '/bin/sh', ['-c', line]);
}

/** More hops than this is taken for a ProxyJump loop. */
const MAX_HOPS = 8;

/** A connection attempt that failed at one hop: the error and that hop's settings, for the message. */
export class HopFailure extends Error {
  override name = 'HopFailure';
  constructor(
    readonly error: unknown,
    readonly hop: SshSettings,
    readonly state: HostKeyState,
  ) {
    super((error as Error | undefined)?.message ?? String(error));
  }
}

/** The settings of each jump host, in the order they are passed through. */
export function jumpHosts(settings: SshSettings, env: { home: string; localUser: string }): SshSettings[] {
  const hops = chain(settings.proxyJump, settings.configFile, env, 0);
  if (hops.length > MAX_HOPS) throw new UsageError(`too many ProxyJump hops (more than ${MAX_HOPS})`);
  return hops;
}

function chain(specs: readonly string[], configFile: string | null | undefined, env: { home: string; localUser: string }, depth: number): SshSettings[] {
  if (specs.length === 0) return [];
  if (depth > MAX_HOPS) throw new UsageError(`too many ProxyJump hops (more than ${MAX_HOPS})`);
  // ssh hands the later hops to the last jump's ssh as -J, so only the first hop's own
  // ProxyJump (from its config) can add hops in front of it.
  const [first, ...rest] = specs.map((spec, i) => hopSettings(spec, configFile, env, i > 0));
  return [...chain(first!.proxyJump, configFile, env, depth + 1), first!, ...rest];
}

function hopSettings(spec: string, configFile: string | null | undefined, env: { home: string; localUser: string }, noJump: boolean): SshSettings {
  const d = parseDestination(spec);
  const argv: string[] = [];
  if (configFile !== undefined) argv.push('-F', configFile ?? 'none');
  if (noJump) argv.push('-o', 'ProxyJump=none');
  if (d.user !== undefined) argv.push('-l', d.user);
  if (d.port !== undefined) argv.push('-p', String(d.port));
  argv.push(d.host);
  const args = parseSshArgs(argv);
  loadSshConfig(args, env);
  return resolveSettings(args, env);
}

/**
 * Connect to `settings`' destination, through its jump hosts if it has any. `options` makes
 * the connect options of one hop (host key checks, identities, prompts). The jump
 * connections close when the destination's does. Throws HopFailure for a failing jump host;
 * anything else is the destination's own failure.
 */
export async function connectThroughJumps(
  settings: SshSettings,
  io: CliIo,
  state: HostKeyState,
  options: (hop: SshSettings, hopState: HostKeyState) => Promise<NodeConnectOptions>,
): Promise<SshClient> {
  const hops = jumpHosts(settings, io);
  const jumps: SshClient[] = [];
  const closeJumps = (): void => {
    for (const j of jumps.reverse()) void j.disconnect().catch(() => {});
  };
  let via: SshClient | null = null;
  const through = async (target: SshSettings, o: NodeConnectOptions): Promise<NodeConnectOptions> => {
    if (!via) return target.proxyCommand ? { ...o, stream: proxyCommandStream(target.proxyCommand.command, o.debug) } : o;
    try {
      return { ...o, stream: (await via.forwardOut(target.host, target.port)).byteStream() };
    } catch (e) {
      throw e instanceof ChannelOpenError ? new StdioForwardError(e) : e;
    }
  };
  for (const hop of hops) {
    const hopState: HostKeyState = { refusal: [], passwordDisabled: false };
    try {
      via = await connect(await through(hop, await options(hop, hopState)));
    } catch (e) {
      closeJumps();
      throw new HopFailure(e, hop, hopState);
    }
    jumps.push(via);
  }
  try {
    const client = await connect(await through(settings, await options(settings, state)));
    void client.closed.then(closeJumps);
    return client;
  } catch (e) {
    closeJumps();
    throw e;
  }
}

/** The error and the context to describe it in: a jump host's own when it was one that failed. */
export function failureFor(e: unknown, ctx: FailureContext): [unknown, FailureContext] {
  if (!(e instanceof HopFailure)) return [e, ctx];
  return [e.error, { host: e.hop.host, port: e.hop.port, user: e.hop.user, hostKeyRefusal: e.state.refusal }];
}
