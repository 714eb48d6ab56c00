/**
 * `puressh scp`: copy files between hosts like OpenSSH's scp. As OpenSSH's scp does since
 * 9.0, transfers use SFTP; -O selects the legacy SCP protocol (scp -t / scp -f; single
 * files only). One side must be local.
 *
 *   puressh scp [-COpqrv] [-c cipher] [-F ssh_config] [-i identity_file] [-o ssh_option]
 *               [-P port] source ... target
 */
import { statSync } from 'node:fs';
import * as lpath from 'node:path';
import { SshError } from '../errors.js';
import { isDirectory } from '../sftp/attrs.js';
import { nodeLocalFs } from '../sftp/node-fs.js';
import { scpGetFile, scpPutFile } from '../sftp/scp.js';
import { connectionLost, connectWithSshArgs, reportLostConnection, sshFlagsFrom, splitRemote } from './remote.js';
import { SftpShell } from './sftp-shell.js';
import type { CliIo } from './io.js';
import { parseFlags, UsageError } from './ssh-args.js';
import { enableEarlyFree } from '../node-free.js';

export const SCP_USAGE = `usage: puressh scp [-COpqrv] [-c cipher] [-F ssh_config] [-i identity_file]
           [-J destination] [-o ssh_option] [-P port] source ... target`;

/** OpenSSH's scp's line when its ssh exits under it. */
const LOST = 'puressh scp: Connection closed';

export async function runScp(argv: readonly string[], io: CliIo): Promise<number> {
  enableEarlyFree();
  let parsed;
  try {
    parsed = parseFlags(argv, 'COpqrvT346', 'cFiJloPS');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`puressh scp: ${e.message}\n${SCP_USAGE}\n`);
    return 1;
  }
  const { flags, rest } = parsed;
  if (rest.length < 2) {
    io.stderr.write(SCP_USAGE + '\n');
    return 1;
  }
  const target = rest[rest.length - 1]!;
  const sources = rest.slice(0, -1);
  const remoteTarget = splitRemote(target);
  const remoteSources = sources.map(splitRemote);
  const upload = remoteTarget !== null;
  if (upload ? remoteSources.some((s) => s !== null) : remoteSources.some((s) => s === null)) {
    io.stderr.write('puressh scp: one side must be local and the other remote (remote-to-remote and local copies are not supported)\n');
    return 1;
  }
  const remotes = upload ? [remoteTarget] : remoteSources;
  const first = remotes[0]!;
  if (remotes.some((r) => r!.host !== first.host || r!.user !== first.user)) {
    io.stderr.write('puressh scp: all remote paths must be on the same host\n');
    return 1;
  }
  const sshArgv = [...sshFlagsFrom(flags), `${first.user ? `${first.user}@` : ''}${first.host}`];
  const conn = await connectWithSshArgs(sshArgv, io, LOST);
  if (typeof conn === 'number') return conn;
  const { client } = conn;
  const preserve = flags.has('p');
  const recursive = flags.has('r');
  const quiet = flags.has('q');
  let status = 0;
  const fail = (msg: string): void => {
    io.stderr.write(`puressh scp: ${msg}\n`);
    status = 1;
  };
  try {
    if (flags.has('O')) {
      // legacy SCP protocol: one file per exec
      if (recursive) {
        fail('-r is not supported with the legacy SCP protocol (-O)');
        return status;
      }
      for (let i = 0; i < sources.length; i++) {
        try {
          if (upload) {
            const local = sources[i]!;
            const dest = remoteTarget.path || '.';
            await scpPutFile(client, local, dest, nodeLocalFs, { preserve });
          } else {
            const remote = remoteSources[i]!.path;
            const localDir = statSync(target, { throwIfNoEntry: false })?.isDirectory();
            const local = localDir ? lpath.join(target, lpath.posix.basename(remote)) : target;
            await scpGetFile(client, remote, local, nodeLocalFs, { preserve });
          }
        } catch (e) {
          if (!(e instanceof SshError)) throw e;
          if (await connectionLost(conn)) return reportLostConnection(io, conn, LOST);
          fail(e.message);
        }
      }
      return status;
    }
    const sftp = await client.sftp();
    const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
    const shell = new SftpShell(sftp, io.stdout, { progress: !quiet && stdout.isTTY === true, preserve, recursive, quiet: true });
    await shell.init();
    const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
    for (let i = 0; i < sources.length; i++) {
      try {
        if (upload) {
          const local = lpath.resolve(sources[i]!);
          let dest = shell.remote(remoteTarget.path || '.');
          const st = await sftp.exists(dest);
          if (st && isDirectory(st)) dest = lpath.posix.join(dest, lpath.basename(local));
          else if (sources.length > 1) throw new SshError('FILE', `${remoteTarget.path}: Not a directory`);
          if (statSync(local, { throwIfNoEntry: false })?.isDirectory() && !recursive) throw new SshError('FILE', `${sources[i]}: not a regular file`);
          await shell.run(`put ${q(local)} ${q(dest)}`);
        } else {
          const remote = shell.remote(remoteSources[i]!.path || '.');
          let local = lpath.resolve(target);
          if (statSync(local, { throwIfNoEntry: false })?.isDirectory()) local = lpath.join(local, lpath.posix.basename(remote));
          else if (sources.length > 1) throw new SshError('FILE', `${target}: Not a directory`);
          if (!(await sftp.exists(remote))) throw new SshError('FILE', `${remote}: No such file or directory`);
          await shell.run(`get ${q(remote)} ${q(local)}`);
        }
      } catch (e) {
        if (!(e instanceof SshError) && !(e instanceof Error && e.name === 'CommandError')) throw e;
        if (await connectionLost(conn)) return reportLostConnection(io, conn, LOST);
        fail(e.message);
      }
    }
    await sftp.end().catch(() => {});
    return status;
  } catch (e) {
    // the SFTP session could not start
    if (!(e instanceof SshError)) throw e;
    if (await connectionLost(conn)) return reportLostConnection(io, conn, LOST);
    fail(e.message);
    return status;
  } finally {
    await client.disconnect().catch(() => {});
  }
}
