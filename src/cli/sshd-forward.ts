/**
 * `puressh sshd`'s forwarding (OpenSSH serverloop.c, channels.c): direct-tcpip connects out
 * with node:net (ssh -L, -W, -D), tcpip-forward binds listeners with GatewayPorts semantics
 * (ssh -R, port 0 included), the streamlocal equivalents for Unix sockets, under
 * AllowTcpForwarding, AllowStreamLocalForwarding, DisableForwarding, PermitOpen,
 * PermitListen and the key's permitopen= / permitlisten= / no-port-forwarding.
 *
 * sshd does all this in a process that already runs as the user. This server runs as root,
 * so it checks for the user what the kernel would have: privileged ports, and the
 * permissions on Unix socket paths.
 */
import { constants as fsConstants } from 'node:fs';
import { chmod, chown, lstat, stat, unlink } from 'node:fs/promises';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { pipeChannel } from '../connection/node-forward.js';
import { OPEN_FAILURE } from '../errors.js';
import type { ConnectionHandlers, ServerConnection, TcpipForwardRequest } from '../server/connection.js';
import { userGroups, type PasswdEntry } from '../server/node-passwd.js';
import type { ConnectionContext } from './sshd-auth.js';
import type { SshdConfig } from './sshd-config.js';

/** "host:port" / "[v6]:port" / "port" (host undefined), port "*" as -1. */
function splitHostPort(spec: string): { host: string | undefined; port: number } | null {
  let host: string | undefined;
  let port: string;
  const m = /^\[([^\]]*)\]:(.*)$/.exec(spec);
  if (m) {
    host = m[1]!;
    port = m[2]!;
  } else {
    const i = spec.lastIndexOf(':');
    if (i < 0) port = spec;
    else {
      host = spec.slice(0, i);
      port = spec.slice(i + 1);
    }
  }
  if (port === '*') return { host, port: -1 };
  if (!/^\d+$/.test(port)) return null;
  return { host, port: Number(port) };
}

/** channels.c open_match over a permitopen list ("any" / "none" / host:port entries). */
function openPermitted(list: readonly string[], host: string, port: number): boolean {
  if (list.length === 0 || list[0] === 'any') return true;
  if (list[0] === 'none') return false;
  return list.some((e) => {
    const p = splitHostPort(e);
    if (!p || p.host === undefined) return false;
    return (p.port === -1 || p.port === port) && (p.host === '*' || p.host === host);
  });
}

/** channels.c check_rfwd_permission over a permitlisten list. */
function listenPermitted(list: readonly string[], host: string, port: number): boolean {
  if (list.length === 0 || list[0] === 'any') return true;
  if (list[0] === 'none') return false;
  return list.some((e) => {
    const p = splitHostPort(e);
    if (!p) return false;
    // A request for port 0 is allowed only by a "*" port (OpenSSH: FWD_PERMIT_ANY_PORT).
    if (port === 0 ? p.port !== -1 : p.port !== -1 && p.port !== port) return false;
    return p.host === undefined || p.host === '*' || p.host === host;
  });
}

const forwarding = (kind: 'local' | 'remote', value: SshdConfig['allowTcpForwarding'], s: SshdConfig): boolean =>
  !s.disableForwarding && (value === 'yes' || value === kind);

/**
 * channels.c channel_fwd_bind_addr on the server's side: which addresses a tcpip-forward
 * binds. GatewayPorts no: loopback (an explicit 127.0.0.1 or ::1 is kept); yes: every
 * address; clientspecified: what the client asked, "" and "*" meaning every address.
 */
export function forwardBindAddresses(requested: string, gatewayPorts: SshdConfig['gatewayPorts']): string[] {
  const loopback = ['127.0.0.1', '::1'];
  const wildcard = ['::'];
  if (gatewayPorts === 'no') return requested === '127.0.0.1' || requested === '::1' ? [requested] : loopback;
  if (gatewayPorts === 'yes' || requested === '' || requested === '*' || requested === '0.0.0.0') return wildcard;
  return requested === 'localhost' ? loopback : [requested];
}

/** Bind every address on one port (the first decides it when 0 was asked); the others are best effort. */
async function bindAll(hosts: string[], port: number, onConnection: (s: net.Socket) => void): Promise<{ servers: net.Server[]; port: number }> {
  const servers: net.Server[] = [];
  let bound = port;
  for (const [i, host] of hosts.entries()) {
    const srv = net.createServer({ allowHalfOpen: true }, onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ host, port: bound, ...(host === '::' ? { ipv6Only: false } : {}) }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if (i === 0 && !(host === '::' && (e as NodeJS.ErrnoException).code === 'EAFNOSUPPORT')) {
        for (const s of servers) s.close();
        throw e;
      }
      if (host === '::') hosts.push('0.0.0.0'); // no IPv6 here: every IPv4 address instead
      continue;
    }
    srv.on('error', () => {});
    servers.push(srv);
    bound = (srv.address() as net.AddressInfo).port;
  }
  if (servers.length === 0) throw new Error('nothing bound');
  return { servers, port: bound };
}

/** May `account` reach `path` (x on each directory above, `want` on the path itself)? */
async function accessibleAs(path: string, account: PasswdEntry, want: number): Promise<boolean> {
  if (account.uid === 0) return true;
  const gids = await userGroups(account);
  const allowed = (st: { uid: number; gid: number; mode: number }, bits: number): boolean => {
    const shift = st.uid === account.uid ? 6 : gids.includes(st.gid) ? 3 : 0;
    return ((st.mode >> shift) & bits) === bits;
  };
  try {
    const parts = path.split('/').filter(Boolean);
    let dir = '';
    for (let i = 0; i < parts.length - 1; i++) {
      dir += `/${parts[i]}`;
      if (!allowed(await stat(dir), fsConstants.X_OK)) return false;
    }
    return allowed(await stat(path), want);
  } catch {
    return false;
  }
}

/** A Unix socket path the user may create: its directory searchable and writable by them. */
async function creatableAs(path: string, account: PasswdEntry): Promise<boolean> {
  return accessibleAs(dirname(path), account, fsConstants.W_OK | fsConstants.X_OK);
}

/** The forwarding routes of the server, for connections described by `contextOf`. */
export function sshdForwardHandlers(contextOf: (conn: ServerConnection) => ConnectionContext | undefined): ConnectionHandlers {
  const listeners = new Map<ServerConnection, Map<string, net.Server[]>>();
  const listenersOf = (conn: ServerConnection): Map<string, net.Server[]> => {
    let m = listeners.get(conn);
    if (!m) {
      m = new Map();
      listeners.set(conn, m);
      const mine = m;
      void conn.done.then(() => {
        for (const servers of mine.values()) for (const s of servers) s.close();
        listeners.delete(conn);
      });
    }
    return m;
  };
  const refuseConnect = (ctx: ConnectionContext, host: string, port: number): void =>
    ctx.log.info(`Received request from ${ctx.remoteAddress} port ${ctx.remotePort} to connect to host ${host} port ${port}, but the request was denied.`);

  return {
    directTcpip(req, conn) {
      const ctx = contextOf(conn);
      if (!ctx) return req.reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      const s = ctx.settings;
      if (!forwarding('local', s.allowTcpForwarding, s)) {
        ctx.log.info(`refused local port forward: originator ${req.originatorAddress} port ${req.originatorPort}, target ${req.host} port ${req.port}`);
        return req.reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      }
      if (!openPermitted(s.permitOpen, req.host, req.port) || !openPermitted(conn.user.permissions.permitOpen ?? [], req.host, req.port)) {
        refuseConnect(ctx, req.host, req.port);
        return req.reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      }
      ctx.log.debug(`server_request_direct_tcpip: originator ${req.originatorAddress} port ${req.originatorPort}, target ${req.host} port ${req.port}`);
      return new Promise<void>((resolve) => {
        const socket = net.connect({ host: req.host, port: req.port, allowHalfOpen: true });
        socket.once('error', (e) => {
          ctx.log.error(`connect_to ${req.host} port ${req.port}: failed: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
          req.reject(OPEN_FAILURE.CONNECT_FAILED, 'connect failed');
          resolve();
        });
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          socket.on('error', () => {});
          socket.setNoDelay(true);
          const ch = req.accept();
          void pipeChannel(ch, socket).catch(() => {});
          resolve();
        });
      });
    },

    async directStreamlocal(req, conn) {
      const ctx = contextOf(conn);
      const s = ctx?.settings;
      if (!ctx || !s || !forwarding('local', s.allowStreamLocalForwarding, s) || conn.user.permissions.noPortForwarding) {
        return req.reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      }
      if (!(await accessibleAs(req.socketPath, ctx.account!, fsConstants.W_OK))) {
        ctx.log.info(`connect to ${req.socketPath} refused: not accessible to ${ctx.account!.name}`);
        return req.reject(OPEN_FAILURE.CONNECT_FAILED, 'connect failed');
      }
      await new Promise<void>((resolve) => {
        const socket = net.connect({ path: req.socketPath, allowHalfOpen: true });
        socket.once('error', () => {
          req.reject(OPEN_FAILURE.CONNECT_FAILED, 'connect failed');
          resolve();
        });
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          socket.on('error', () => {});
          void pipeChannel(req.accept(), socket).catch(() => {});
          resolve();
        });
      });
    },

    async tcpipForward(req: TcpipForwardRequest, conn) {
      const ctx = contextOf(conn);
      if (!ctx?.account) return false;
      const s = ctx.settings;
      const who = ctx.account;
      ctx.log.debug(`server_input_global_request: tcpip-forward listen ${req.address} port ${req.port}`);
      // serverloop.c: refused by the configuration (or a privileged port) without a log line, only a debug message to the client
      if (!forwarding('remote', s.allowTcpForwarding, s) || (req.port !== 0 && req.port < 1024 && who.uid !== 0)) return false;
      if (!listenPermitted(s.permitListen, req.address, req.port) || !listenPermitted(conn.user.permissions.permitListen ?? [], req.address, req.port)) {
        ctx.log.info(
          `Received request from ${ctx.remoteAddress} port ${ctx.remotePort} to remote forward to host ${req.address} port ${req.port}, but the request was denied.`,
        );
        return false;
      }
      const key = `${req.address}:${req.port}`;
      const mine = listenersOf(conn);
      if (mine.has(key)) return false;
      let bound: { servers: net.Server[]; port: number };
      try {
        bound = await bindAll(forwardBindAddresses(req.address, s.gatewayPorts), req.port, (socket) => {
          socket.on('error', () => {});
          conn.openForwardedTcpip(req.address, bound.port, socket.remoteAddress ?? '', socket.remotePort ?? 0).then(
            (ch) => void pipeChannel(ch, socket).catch(() => {}),
            () => socket.destroy(),
          );
        });
      } catch (e) {
        ctx.log.error(`channel_setup_fwd_listener_tcpip: cannot listen to port: ${req.port}: ${(e as Error).message}`);
        return false;
      }
      // A 0 request is remembered under both names: cancel-tcpip-forward names the bound port.
      mine.set(key, bound.servers);
      if (req.port === 0) mine.set(`${req.address}:${bound.port}`, bound.servers);
      return bound.port;
    },

    cancelTcpipForward(req, conn) {
      const mine = listeners.get(conn);
      const key = `${req.address}:${req.port}`;
      const servers = mine?.get(key);
      if (!mine || !servers) return false;
      for (const [k, v] of [...mine]) if (v === servers) mine.delete(k);
      for (const srv of servers) srv.close();
      return true;
    },

    async streamlocalForward(path, conn) {
      const ctx = contextOf(conn);
      if (!ctx?.account) return false;
      const s = ctx.settings;
      const who = ctx.account;
      if (!forwarding('remote', s.allowStreamLocalForwarding, s) || !listenPermitted(conn.user.permissions.permitListen ?? [], path, 0)) return false;
      const mine = listenersOf(conn);
      if (mine.has(path) || !(await creatableAs(path, who))) return false;
      if (s.streamLocalBindUnlink) {
        const st = await lstat(path).catch(() => null);
        if (st?.isSocket() && (st.uid === who.uid || who.uid === 0)) await unlink(path).catch(() => {});
      }
      let servers: net.Server[];
      try {
        ({ servers } = await new Promise<{ servers: net.Server[] }>((resolve, reject) => {
          const srv = net.createServer({ allowHalfOpen: true }, (socket) => {
            socket.on('error', () => {});
            conn.openForwardedStreamlocal(path).then(
              (ch) => void pipeChannel(ch, socket).catch(() => {}),
              () => socket.destroy(),
            );
          });
          srv.once('error', reject);
          srv.listen(path, () => resolve({ servers: [srv] }));
        }));
        await chmod(path, 0o666 & ~s.streamLocalBindMask);
        if (process.getuid?.() === 0) await chown(path, who.uid, who.gid);
      } catch (e) {
        ctx.log.error(`streamlocal-forward ${path}: ${(e as Error).message}`);
        return false;
      }
      mine.set(path, servers);
      return true;
    },

    cancelStreamlocalForward(path, conn) {
      const mine = listeners.get(conn);
      const servers = mine?.get(path);
      if (!mine || !servers) return false;
      mine.delete(path);
      for (const srv of servers) srv.close();
      return true;
    },
  };
}
