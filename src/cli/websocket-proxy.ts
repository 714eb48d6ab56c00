/**
 * `puressh websocket-proxy`: the WebSocket-to-TCP bridge browsers need to reach SSH servers,
 * websockify-compatible (binary subprotocol, `?token=NAME` to pick a target).
 *
 *   puressh websocket-proxy [--allow-origin ORIGIN]... [-v] [listen_host:]listen_port [name=]host:port...
 */
import { startWebSocketProxy, type ProxyTarget } from '../bridge/node-proxy.js';
import type { CliIo } from './io.js';

export const WEBSOCKET_PROXY_USAGE = `usage: puressh websocket-proxy [--allow-origin ORIGIN]... [--max-frame BYTES] [-v]
           [listen_host:]listen_port [name=]target_host:target_port ...
  Bridges WebSocket connections (subprotocol "binary") to the listed targets only.
  A client picks a named target with ?token=NAME or the path /NAME; with one target it needs none.
  Browsers must come from an --allow-origin origin (e.g. https://app.example.com, or * for any).`;

function parseHostPort(text: string, defaultHost: string | null): ProxyTarget | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text) ?? (defaultHost !== null ? /^()()(\d{1,5})$/.exec(text) : null);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? m[2] ?? '';
  return { host: host || defaultHost || '', port };
}

/** Run the bridge until SIGINT/SIGTERM; returns the exit status. */
export async function runWebSocketProxy(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const origins: string[] = [];
  const positional: string[] = [];
  let verbose = false;
  let maxFrame: number | undefined;
  const usage = (why: string): number => {
    io.stderr.write(`puressh websocket-proxy: ${why}\n${WEBSOCKET_PROXY_USAGE}\n`);
    return 255;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--allow-origin') {
      const v = argv[++i];
      if (v === undefined) return usage('--allow-origin needs a value');
      origins.push(v);
    } else if (a === '--max-frame') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) return usage('--max-frame needs a positive number of bytes');
      maxFrame = v;
    } else if (a === '-v') verbose = true;
    else if (a === '-h' || a === '--help') {
      io.stdout.write(WEBSOCKET_PROXY_USAGE + '\n');
      return 0;
    } else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else positional.push(a);
  }
  const [listenText, ...targetTexts] = positional;
  if (listenText === undefined || targetTexts.length === 0) return usage('a listen address and at least one target are needed');
  const listen = parseHostPort(listenText, '127.0.0.1');
  if (!listen) return usage(`bad listen address "${listenText}"`);
  const targets: Record<string, ProxyTarget> = {};
  for (const t of targetTexts) {
    const eq = t.indexOf('=');
    const name = eq < 0 ? '' : t.slice(0, eq);
    const target = parseHostPort(eq < 0 ? t : t.slice(eq + 1), null);
    if (!target || !target.host) return usage(`bad target "${t}" (want [name=]host:port)`);
    if (Object.hasOwn(targets, name)) return usage(name ? `target name "${name}" given twice` : 'more than one unnamed target: name them (name=host:port)');
    targets[name] = target;
  }
  const proxy = await startWebSocketProxy({
    targets,
    allowedOrigins: origins,
    host: listen.host,
    port: listen.port,
    maxFrameBytes: maxFrame,
    log: verbose ? (line) => io.stderr.write(`websocket-proxy: ${line}\n`) : undefined,
  });
  io.stderr.write(`websocket-proxy: listening on ${proxy.host}:${proxy.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    if (signal) signal.addEventListener('abort', stop, { once: true });
    else {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
  await proxy.close();
  return 0;
}
