/**
 * `puressh scp-server [scp options] -t|-f path...`: the remote end of `scp -O` on
 * stdin/stdout, served by puressh itself over the local file system (no scp binary), as
 * OpenSSH's scp does when sshd runs it for a client. Not in the help: sshd runs it, and
 * tests put it behind `scp -S`.
 */
import { NodeFs } from '../sftp/server/node-fs.js';
import { serveScp } from '../sftp/server/scp.js';
import type { CliIo } from './io.js';
import { stdioStream } from './sftp-server.js';

export async function runScpServer(argv: readonly string[], io: CliIo): Promise<number> {
  const fsys = new NodeFs();
  try {
    return await serveScp(stdioStream(io.stdin, io.stdout), fsys, argv, { stderr: (t) => void io.stderr.write(t) });
  } finally {
    fsys.dispose();
  }
}
