/**
 * The `ssh2` npm package as a server, for `npm run bench:server`: the same-constraint peer of
 * puressh sshd (JavaScript over node:crypto once its optional C++ addon is not loaded). A
 * minimal server as its users would write one from ssh2's documentation: TCP_NODELAY on each
 * connection (its `setNoDelay()`: without it, ssh2 without its addon writes a packet in pieces
 * and Nagle's algorithm with the client's delayed ACK holds each reply ~40 ms, so that
 * `ssh host true` takes ~280 ms instead of ~100), one host key, publickey authentication against one user key (the signature verified), `exec` run as
 * `sh -c command` with its output piped into the channel, and an SFTP subsystem over ssh2's
 * SFTP server mode serving the local file system with positional reads and writes (enough
 * for OpenSSH's `sftp -b` get and put). The bench transpiles this file and runs it under
 * plain `node` (no tsx loader in the measured process):
 *
 *   node ssh2-server.mjs ROOT '{"hostKeyPath":…,"userKeyPath":…,"user":…,"addon":false}'
 *
 * It listens on 127.0.0.1 on a free port and prints `listening PORT` on stdout.
 */
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { close, fstat, lstat, open, read, readFileSync, stat, write, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export interface Ssh2ServerConfig {
  /** the host's private key (OpenSSH format) */
  hostKeyPath: string;
  /** the one public key (authorized_keys line) allowed to log in */
  userKeyPath: string;
  /** the one user name allowed */
  user: string;
  /** false: refuse native addons before ssh2 loads, so its crypto runs on node:crypto */
  addon: boolean;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

const root = process.argv[2]!;
const config = JSON.parse(process.argv[3]!) as Ssh2ServerConfig;
const require = createRequire(`${root}/package.json`);

if (!config.addon) {
  // As a plain install without a compiler has it: loading the addon fails, ssh2 falls back to node:crypto.
  (require('node:module') as { _extensions: Record<string, () => never> })._extensions['.node'] = () => {
    throw new Error('native addons disabled for this bench server');
  };
}
if ((require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable !== config.addon) {
  throw new Error(`ssh2's addon ${config.addon ? 'did not load' : 'loaded anyway'}`);
}
const ssh2 = require('ssh2');
const { OPEN_MODE, STATUS_CODE, flagsToString } = ssh2.utils.sftp;
const allowed = ssh2.utils.parseKey(readFileSync(config.userKeyPath));
const allowedBlob = allowed.getPublicSSH() as Buffer;
const allowedUser = Buffer.from(config.user);

const same = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** ssh2's documented publickey check: the user, the key, and (when the client signs) the signature */
function authenticate(ctx: any): void {
  if (ctx.method !== 'publickey' || !same(Buffer.from(ctx.username), allowedUser)) return ctx.reject(['publickey']);
  if (ctx.key.algo !== allowed.type || !same(ctx.key.data, allowedBlob)) return ctx.reject(['publickey']);
  if (ctx.signature && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
  ctx.accept();
}

/** `sh -c command`, output piped into the channel (pipe() waits for window), then exit-status, EOF and close. */
function execCommand(stream: any, command: string): void {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  stream.pipe(child.stdin);
  child.stdin.on('error', () => {}); // the command may exit before reading its input
  child.stdout.pipe(stream, { end: false });
  child.stderr.pipe(stream.stderr, { end: false });
  child.on('close', (code, signal) => {
    if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
    else stream.exit(code ?? 0);
    stream.end();
  });
  // The client went away first (a session held open and then killed): do not leave the command behind.
  stream.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
}

function attrsOf(s: Stats): Record<string, number> {
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) };
}

function statusOf(err: NodeJS.ErrnoException): number {
  if (err.code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (err.code === 'EACCES' || err.code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

/** A minimal file server over ssh2's SFTP server mode: files only, through node:fs with positional reads and writes. */
function serveSftp(sftp: any): void {
  const files = new Map<number, number>(); // handle number → fd
  let next = 0;
  const fdOf = (handle: Buffer): number | undefined => (handle.length === 4 ? files.get(handle.readUInt32BE(0)) : undefined);
  const reply =
    (id: number) =>
    (err: NodeJS.ErrnoException | null, s?: Stats): void =>
      err ? sftp.status(id, statusOf(err)) : sftp.attrs(id, attrsOf(s!));
  sftp.on('REALPATH', (id: number, path: string) => {
    const abs = resolve(process.cwd(), path);
    sftp.name(id, [{ filename: abs, longname: abs, attrs: {} }]);
  });
  sftp.on('STAT', (id: number, path: string) => stat(path, reply(id)));
  sftp.on('LSTAT', (id: number, path: string) => lstat(path, reply(id)));
  sftp.on('FSTAT', (id: number, handle: Buffer) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    fstat(fd, reply(id));
  });
  sftp.on('OPEN', (id: number, path: string, flags: number, attrs: { mode?: number }) => {
    const mode = flagsToString(flags & ~OPEN_MODE.EXCL) as string | null;
    if (!mode) return sftp.status(id, STATUS_CODE.OP_UNSUPPORTED, 'open flags');
    open(path, flags & OPEN_MODE.EXCL ? mode.replace(/^w/, 'wx').replace(/^a/, 'ax') : mode, attrs.mode ?? 0o666, (err, fd) => {
      if (err) return sftp.status(id, statusOf(err));
      const h = Buffer.alloc(4);
      h.writeUInt32BE(next);
      files.set(next++, fd);
      sftp.handle(id, h);
    });
  });
  sftp.on('READ', (id: number, handle: Buffer, offset: number, length: number) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    const buf = Buffer.allocUnsafe(length);
    read(fd, buf, 0, length, offset, (err, n) => {
      if (err) sftp.status(id, statusOf(err));
      else if (n === 0) sftp.status(id, STATUS_CODE.EOF);
      else sftp.data(id, buf.subarray(0, n));
    });
  });
  sftp.on('WRITE', (id: number, handle: Buffer, offset: number, data: Buffer) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    write(fd, data, 0, data.length, offset, (err) => sftp.status(id, err ? statusOf(err) : STATUS_CODE.OK));
  });
  sftp.on('CLOSE', (id: number, handle: Buffer) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    files.delete(handle.readUInt32BE(0));
    close(fd, (err) => sftp.status(id, err ? statusOf(err) : STATUS_CODE.OK));
  });
  // Every other request is answered OP_UNSUPPORTED by ssh2 itself (no listener).
  // The client's EOF ends the session: close what it left open, then the channel.
  sftp.on('end', () => {
    for (const fd of files.values()) close(fd, () => {});
    files.clear();
    sftp.end();
  });
}

const server = new ssh2.Server({ hostKeys: [readFileSync(config.hostKeyPath)] }, (client: any) => {
  client.setNoDelay(true);
  client.on('error', () => {}); // a client killed mid-session (the memory rows kill theirs)
  client.on('authentication', authenticate);
  client.on('ready', () => {
    client.on('session', (accept: () => any) => {
      const session = accept();
      session.on('exec', (accept: () => any, _reject: unknown, info: { command: string }) => execCommand(accept(), info.command));
      session.on('sftp', (accept: () => any) => serveSftp(accept()));
    });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
