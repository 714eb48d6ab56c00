/**
 * `puressh sshd` serving: what OpenSSH's sshd does once its configuration is read. Host keys
 * (HostKey, HostCertificate) are loaded, every Port/ListenAddress is bound, the PidFile
 * written, and each connection goes through one SshServer (so MaxStartups and
 * PerSourcePenalties count across listeners) with sshd's decisions from sshd-auth.ts,
 * sessions from sshd-session.ts and forwarding from sshd-forward.ts. Logs are sshd's lines.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { Keepalive } from '../connection/keepalive.js';
import { ConnectionLostError, DISCONNECT_REASON, DisconnectError } from '../errors.js';
import { Certificate, CertifiedPrivateKey } from '../crypto/keys/certificate.js';
import { HOSTKEY_ALGORITHMS, parsePrivateKey, parsePublicKey } from '../crypto/keys/index.js';
import type { PrivateKey } from '../crypto/keys/types.js';
import { nodeProvider } from '../crypto/node/index.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { KEX_ALGORITHMS } from '../kex/index.js';
import { socketStream } from '../node-stream.js';
import type { ServerConnection } from '../server/connection.js';
import { SshServer, type AcceptOptions, type IncomingConnection } from '../server/server.js';
import type { AuthAttemptEvent } from '../server/userauth.js';
import { CIPHERS } from '../transport/cipher/index.js';
import { MACS } from '../transport/mac/index.js';
import {
  connectionKey,
  decidePublicKey,
  describeKey,
  keyPermissions,
  matchSettings,
  methodsFor,
  resolveUser,
  securityKeyFlagsAccepted,
  type ConnectionContext,
} from './sshd-auth.js';
import { possibleLogLevels, type LoadedSshdConfig, type SshdConfig } from './sshd-config.js';
import { systemResolver } from './sshd-dump.js';
import { sshdForwardHandlers } from './sshd-forward.js';
import { logsAt, type SshdLog } from './sshd-log.js';
import { connectionChroot } from './sshd-internal-sftp.js';
import { sshdSessionHandler, type InternalSftp } from './sshd-session.js';
import { SftpServer } from '../sftp/server/server.js';
import { NodeFs } from '../sftp/server/node-fs.js';

/**
 * internal-sftp in this process: sound only when the session's user is the server's own
 * (no privileges to drop); for another user it is refused until a per-user process serves it.
 */
export const sameUserInternalSftp: InternalSftp = async (session, account) => {
  if (process.getuid?.() !== account.uid) throw new Error(`internal-sftp for ${account.name} needs a process running as that user`);
  await new SftpServer(session.byteStream(), { fs: new NodeFs({ home: account.home }) }).serve();
};

export interface ServeOptions {
  log: SshdLog;
  /** called once every listener is bound (the background child tells its parent) */
  onListening?: () => void;
  /** the SFTP server for `Subsystem sftp internal-sftp`, when there is one */
  internalSftp?: InternalSftp;
}

/** Read the host keys and certificates; a key that cannot be read is reported and skipped, as sshd does. */
export function loadHostKeys(c: SshdConfig, log: SshdLog): PrivateKey[] {
  const keys: PrivateKey[] = [];
  for (const path of c.hostKeys) {
    try {
      const key = parsePrivateKey(readFileSync(path), { provider: nodeProvider });
      keys.push(key);
      log.debug(`sshd: ${path} ${key.type} ${fingerprintSHA256(key.publicKey.blob)}`);
    } catch (e) {
      log.error(`Unable to load host key: ${path}${(e as NodeJS.ErrnoException).code ? '' : `: ${(e as Error).message}`}`);
    }
  }
  const certified: PrivateKey[] = [];
  for (const path of c.hostCertificates) {
    try {
      const cert = parsePublicKey(readFileSync(path)).key;
      if (!(cert instanceof Certificate)) throw new Error('not a certificate');
      const key = keys.find((k) => k.publicKey.blob.length === cert.key.blob.length && k.publicKey.blob.every((b, i) => b === cert.key.blob[i]));
      if (!key) {
        log.error(`sshd: no matching private key for certificate: ${path}`);
        continue;
      }
      certified.push(new CertifiedPrivateKey(key, cert));
      log.debug(`host certificate: ${path} ${cert.type}`);
    } catch (e) {
      log.error(`Could not load host certificate "${path}": ${(e as Error).message}`);
    }
  }
  return [...keys, ...certified];
}

const implemented = (names: readonly string[], known: ReadonlyMap<string, unknown>): string[] => names.filter((n) => known.has(n));

/**
 * The sshd log line for an attempt, and its level (auth.c auth_log), or null when sshd writes
 * none. sshd 9.2 logs attempts in its privileged monitor, which only sees what it is asked:
 * a publickey request for an invalid user ends in the unprivileged child ("disabled because
 * of invalid user", auth2-pubkey.c) unlogged, and a query the key passes is logged by the
 * child as "Postponed", without the key and tagged [preauth].
 */
function attemptLine(e: AuthAttemptEvent, ctx: ConnectionContext, maxTries: number): { level: 'info' | 'verbose'; line: string } | null {
  const valid = ctx.account !== null;
  if (!valid && (e.method === 'publickey' || e.method === 'hostbased')) return null;
  const half = Math.floor(maxTries / 2);
  const from = `from ${ctx.remoteAddress} port ${ctx.remotePort} ssh2`;
  if (e.result === 'postponed') return { level: ctx.failures >= half ? 'info' : 'verbose', line: `Postponed ${e.method} for ${e.username} ${from} [preauth]` };
  const user = `${valid ? '' : 'invalid user '}${e.username}`;
  const result = e.result === 'success' ? 'Accepted' : e.result === 'partial' ? 'Partial' : 'Failed';
  const described = e.fingerprint ? (ctx.keyDescriptions.get(e.fingerprint) ?? (e.key ? describeKey(e.key) : e.fingerprint)) : undefined;
  const key = described ? `: ${described}` : '';
  // sshd logs successes, invalid users and failures past half of MaxAuthTries (the monitor's count) at INFO, other failures at VERBOSE.
  const loud = e.result !== 'failure' || !valid || ctx.decidedFailures >= half;
  return { level: loud ? 'info' : 'verbose', line: `${result} ${e.method} for ${user} ${from}${key}` };
}

/** Serve until SIGTERM/SIGINT (sshd exits 255 then). Returns the exit status. */
export async function serveSshd(loaded: LoadedSshdConfig, options: ServeOptions): Promise<number> {
  const c = loaded.config;
  const { log } = options;
  const hostKeys = loadHostKeys(c, log);
  if (hostKeys.length === 0) {
    log.fatal('sshd: no hostkeys available -- exiting.');
    return 1;
  }
  if (c.passwordAuthentication || c.kbdInteractiveAuthentication) {
    log.info(
      'puressh sshd: PasswordAuthentication and KbdInteractiveAuthentication are not available: verifying system password hashes needs native code; only public keys are accepted',
    );
  }
  const contexts = new Map<string, ConnectionContext>();
  const contextOf = (p: {
    remoteAddress?: string | undefined;
    remotePort?: number | undefined;
    localAddress?: string | undefined;
    localPort?: number | undefined;
  }) => contexts.get(connectionKey(p));
  const forward = sshdForwardHandlers((conn) => contextOf(conn.peer));

  const compression = c.compression ? ['none', 'zlib@openssh.com'] : ['none'];
  const server = new SshServer({
    hostKeys,
    crypto: nodeProvider,
    algorithms: {
      kex: implemented(c.kexAlgorithms, KEX_ALGORITHMS),
      hostKey: implemented(c.hostKeyAlgorithms, HOSTKEY_ALGORITHMS),
      cipher: implemented(c.ciphers, CIPHERS),
      mac: implemented(c.macs, MACS),
      compression,
      publicKey: implemented(c.pubkeyAcceptedAlgorithms, HOSTKEY_ALGORITHMS),
    },
    auth: {
      publicKey: async (req) => {
        const ctx = contextOf(req.peer);
        if (!ctx) return false;
        await resolveUser(loaded, ctx, req.username);
        const options = await decidePublicKey(ctx, req);
        if (!options) return false;
        if (!securityKeyFlagsAccepted(ctx, req, options)) {
          ctx.decidedFailures++;
          return false;
        }
        if (req.signed) ctx.keyOptions = options;
        return keyPermissions(options, ctx.settings);
      },
    },
    authenticationMethods: (username, peer) => {
      const ctx = contextOf(peer);
      return methodsFor(ctx ? matchSettings(loaded, ctx, username) : c);
    },
    // What a Match block may change that the server applies itself (sshd re-reads its options
    // once the user is known: auth2.c getpwnamallow; LogLevel is applied there too, through
    // ctx.log, which matchSettings sets). RekeyLimit too, as OpenSSH 10.5 applies it
    // ("fix ChannelTimeout and RekeyLimit not being applied in sshd_config Match blocks"); 9.2 kept the global one.
    userSettings: (username, peer) => {
      const ctx = contextOf(peer);
      if (!ctx) return undefined;
      const s = matchSettings(loaded, ctx, username);
      return {
        banner: s.banner !== null ? (readBanner(s.banner, ctx.log) ?? null) : null,
        maxAuthTries: s.maxAuthTries,
        maxSessions: s.maxSessions,
        rekeyBytes: s.rekeyLimit.bytes,
        rekeySeconds: s.rekeyLimit.seconds,
      };
    },
    handlers: {
      ...forward,
      session: (conn) => {
        const ctx = contextOf(conn.peer);
        if (!ctx?.account) return null;
        return sshdSessionHandler({ ctx, conn, internalSftp: options.internalSftp ?? sameUserInternalSftp });
      },
    },
    limits: {
      maxAuthTries: c.maxAuthTries,
      loginGraceTime: c.loginGraceTime * 1000,
      maxSessions: c.maxSessions,
      maxStartups: { start: c.maxStartups.begin, rate: c.maxStartups.rate, full: c.maxStartups.full },
      ...(loaded.raw.has('persourcepenalties') && c.perSourcePenalties.enabled
        ? {
            perSourcePenalties: {
              authfail: c.perSourcePenalties.authfail,
              noauth: c.perSourcePenalties.noauth,
              graceExceeded: c.perSourcePenalties.graceExceeded,
              max: c.perSourcePenalties.max,
              min: c.perSourcePenalties.min,
            },
          }
        : {}),
    },
    ...(c.rekeyLimit.bytes > 0 ? { rekeyBytes: c.rekeyLimit.bytes } : {}),
    ...(c.rekeyLimit.seconds > 0 ? { rekeySeconds: c.rekeyLimit.seconds } : {}),
    // The per-packet trace costs a line per packet: set up only when some connection may log at
    // DEBUG3 (globally or by a Match block), and written at each connection's own level.
    ...(possibleLogLevels(loaded).some((l) => logsAt(l, 'DEBUG3'))
      ? { debug: (line: string, peer: AcceptOptions) => (contextOf(peer)?.log ?? log).debug3(line) }
      : {}),
    onAuthAttempt: (e, peer) => {
      const ctx = contextOf(peer);
      if (!ctx) return;
      ctx.attempts++;
      // the first "none" is the client asking which methods there are: sshd neither counts nor logs it
      if (e.result === 'failure' && !(e.method === 'none' && ctx.attempts === 1)) ctx.failures++;
      if (e.result === 'success') ctx.authenticated = true;
      if (e.method === 'none') return;
      const write = (): void => {
        const entry = attemptLine(e, ctx, ctx.settings.maxAuthTries);
        if (entry) ctx.log[entry.level](entry.line);
      };
      if (ctx.lookup !== null) return write();
      // Refused before any handler looked the user up (a bad signature, a method not offered):
      // sshd knows the account by then (getpwnamallow on the first request), so look it up first.
      void resolveUser(loaded, ctx, e.username).then(write);
    },
  });

  const onConnection = (socket: net.Socket): void => {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    const info = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
    };
    const key = connectionKey(info);
    const ctx: ConnectionContext = {
      ...info,
      user: null,
      account: null,
      settings: c,
      matchedUser: null,
      log,
      keyOptions: null,
      keyDescriptions: new Map(),
      attempts: 0,
      failures: 0,
      decidedFailures: 0,
      authenticated: false,
      lookup: null,
      chroot: null,
    };
    contexts.set(key, ctx);
    // sshd.c names the routing domain too: on Linux the socket's VRF device, "" when it has none (sockets here are never bound to one)
    const rdomain = process.platform === 'linux' ? ' rdomain ""' : '';
    log.verbose(`Connection from ${info.remoteAddress} port ${info.remotePort} on ${info.localAddress} port ${info.localPort}${rdomain}`);
    const incoming = server.accept(socketStream(socket), info);
    follow(
      incoming,
      ctx,
      () => contexts.delete(key),
      () => socket.destroy(),
      () => ({ sent: socket.bytesWritten, received: socket.bytesRead }),
    );
  };

  const follow = (
    incoming: IncomingConnection,
    ctx: ConnectionContext,
    done: () => void,
    drop: () => void,
    traffic: () => { sent: number; received: number },
  ): void => {
    const where = `${ctx.remoteAddress} port ${ctx.remotePort}`;
    let conn: ServerConnection | null = null;
    incoming.authenticated.then(
      (cn) => {
        conn = cn;
        const s = ctx.settings;
        if (ctx.account) {
          // sshd's post-authentication child chroots before any session, and dies on a bad path.
          ctx.chroot = connectionChroot(s.chrootDirectory, ctx.account);
          ctx.chroot.then(
            (path) => path !== null && ctx.log.verbose(`Changed root directory to "${path}"`),
            (e: unknown) => {
              ctx.log.fatal((e as Error).message);
              drop();
            },
          );
        }
        if (s.clientAliveInterval > 0) new Keepalive(cn.connection, { interval: s.clientAliveInterval * 1000, countMax: s.clientAliveCountMax });
      },
      () => {},
    );
    void incoming.closed.then((err) => {
      done();
      const msg = err?.message ?? '';
      // (dropped by the listener before any user is known: the server's log)
      if (/MaxStartups/.test(msg)) {
        log.info(`drop connection from [${ctx.remoteAddress}]:${ctx.remotePort} on [${ctx.localAddress}]:${ctx.localPort} past MaxStartups`);
        return;
      }
      if (/PerSourcePenalties/.test(msg)) {
        log.verbose(`drop connection from [${ctx.remoteAddress}]:${ctx.remotePort}: penalty: source is penalised`);
        return;
      }
      if (incoming.clientVersion === '' && !/LoginGraceTime/.test(msg)) {
        // kex.c kex_exchange_identification, run by sshd before its unprivileged child: no [preauth]
        const invalid = /^client sent invalid protocol identifier: (.*)$/.exec(msg);
        if (invalid) {
          ctx.log.error(`kex_exchange_identification: client sent invalid protocol identifier ${invalid[1]}`);
          ctx.log.info(`banner exchange: Connection from ${where}: invalid format`);
        } else {
          ctx.log.error('kex_exchange_identification: Connection closed by remote host');
          ctx.log.info(`Connection closed by ${where}`);
        }
        return;
      }
      // packet.c sshpkt_fmt_connection_id: who the connection is, as far as sshd knows
      const who = conn ? `user ${ctx.user} ` : ctx.user === null ? '' : `${ctx.account ? 'authenticating' : 'invalid'} user ${ctx.user} `;
      const preauth = conn ? '' : ' [preauth]';
      if (err instanceof DisconnectError && err.byPeer) {
        // packet.c: a client's normal exit (BY_APPLICATION) at INFO, any other reason at ERROR; then sshpkt_fatal's line
        const line = `Received disconnect from ${where}:${err.reason}: ${err.description}${preauth}`;
        if (err.reason === DISCONNECT_REASON.BY_APPLICATION) ctx.log.info(line);
        else ctx.log.error(line);
        ctx.log.info(`Disconnected from ${who}${where}${preauth}`);
        return;
      }
      if (conn) {
        if (/not responding/.test(msg)) ctx.log.info(`Timeout, client not responding from ${who}${where}`);
        else if (err === null || err instanceof ConnectionLostError) {
          // serverloop.c process_input on EOF, then sshd.c's last lines as the session ends normally
          const t = traffic();
          ctx.log.verbose(`Connection closed by ${where}`);
          ctx.log.verbose(`Transferred: sent ${t.sent}, received ${t.received} bytes`);
          ctx.log.verbose(`Closing connection to ${where}`);
        } else ctx.log.info(`Disconnected from ${who}${where}`);
        return;
      }
      if (ctx.user !== null && ctx.failures >= ctx.settings.maxAuthTries) {
        ctx.log.error(`maximum authentication attempts exceeded for ${ctx.account ? '' : 'invalid user '}${ctx.user} from ${where} ssh2 [preauth]`);
        ctx.log.info(`Disconnecting ${who}${where}: Too many authentication failures [preauth]`);
        return;
      }
      if (/LoginGraceTime/.test(msg)) {
        ctx.log.info(`Timeout before authentication for ${ctx.remoteAddress} port ${ctx.remotePort}`);
        return;
      }
      ctx.log.info(`Connection closed by ${who}${where} [preauth]`);
    });
  };

  const listeners: net.Server[] = [];
  for (const la of c.listenAddresses) {
    let addrs: string[];
    try {
      addrs = await systemResolver(la.host, c.addressFamily);
    } catch (e) {
      log.fatal(`bad addr or host: ${la.host ?? '<NULL>'} (${(e as Error).message})`);
      return 255;
    }
    for (const addr of addrs) {
      const srv = net.createServer({ noDelay: true }, onConnection);
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ host: addr, port: la.port, backlog: 128, ...(addr.includes(':') ? { ipv6Only: true } : {}) }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        log.error(
          `Bind to port ${la.port} on ${addr} failed: ${code === 'EADDRINUSE' ? 'Address already in use' : code === 'EACCES' ? 'Permission denied' : (e as Error).message}.`,
        );
        continue;
      }
      srv.on('error', (e) => log.error(`accept: ${e.message}`));
      listeners.push(srv);
      log.info(`Server listening on ${addr} port ${(srv.address() as net.AddressInfo).port}.`);
    }
  }
  if (listeners.length === 0) {
    log.fatal('Cannot bind any address.');
    return 255;
  }
  if (c.pidFile !== null) {
    try {
      await writeFile(c.pidFile, `${process.pid}\n`);
    } catch (e) {
      log.error(`Couldn't create pid file "${c.pidFile}": ${(e as Error).message}`);
    }
  }
  options.onListening?.();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  log.info(`Received signal ${signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 1}; terminating.`);
  for (const l of listeners) l.close();
  await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
  if (c.pidFile !== null) await rm(c.pidFile, { force: true });
  return 255;
}

function readBanner(path: string, log: SshdLog): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    log.error(`Banner ${path}: ${(e as Error).message}`);
    return undefined;
  }
}
