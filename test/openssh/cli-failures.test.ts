/**
 * Failures of `puressh ssh|sftp|scp` print what OpenSSH's ssh, sftp and scp print on the same
 * command line (ssh's "ssh:" prefix is "puressh:", scp's "scp:" is "puressh scp:") and exit
 * with the same status, never a stack trace: closed ports, peers that are not SSH servers,
 * SSH-1 servers, silent servers, usage errors.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { closedPort, httpServer, silentServer, ssh1Server, type BadServer } from '../support/bad-servers.js';
import { internalErrorLine } from '../../src/cli/main.js';

const entry = join(import.meta.dirname, '../support/puressh-cli.ts');
const OPENSSH_INSTALL = 'apt-get install -y openssh-client';

interface Run {
  code: number;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 30_000, env: { ...process.env, HOME: '/nonexistent-home' } }, (e, _stdout, stderr) => {
      if (e && typeof e.code !== 'number') {
        reject(e.code === 'ENOENT' ? new Error(`${file} is missing: ${OPENSSH_INSTALL}`) : e);
        return;
      }
      resolve({ code: e ? (e.code as number) : 0, stderr });
    });
    child.stdin?.end();
  });
}

const puressh = (tool: string, args: string[]): Promise<Run> => run(process.execPath, ['--import', 'tsx', entry, tool, ...args]);

/**
 * OpenSSH's output with its tools' prefixes as puressh spells them, and LF line ends (ssh's
 * log writes CR LF). OpenSSH's sftp at times adds a line "\rConnection closed.  " before
 * its own "Connection closed": it comes and goes from run to run, so it is left out.
 */
function asPuressh(stderr: string): string {
  return stderr
    .replace(/\r\n/g, '\n')
    .replace(/^\r?Connection closed\. +\n/gm, '')
    .replace(/^ssh: /gm, 'puressh: ')
    .replace(/^scp: /gm, 'puressh scp: ');
}

/** The common options: no config, no agent, no prompts, no known hosts (none of the peers gets that far). */
const COMMON = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentityAgent=none', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null'];

function commandLines(tool: 'ssh' | 'sftp' | 'scp', port: number): string[] {
  if (tool === 'ssh') return [...COMMON, '-o', 'ConnectTimeout=1', '-p', String(port), '127.0.0.1', 'true'];
  if (tool === 'sftp') return [...COMMON, '-o', 'ConnectTimeout=1', '-P', String(port), '127.0.0.1'];
  return [...COMMON, '-o', 'ConnectTimeout=1', '-P', String(port), '127.0.0.1:/etc/hostname', '/dev/null'];
}

async function same(tool: 'ssh' | 'sftp' | 'scp', args: string[]): Promise<Run> {
  const [theirs, ours] = await Promise.all([run(tool, args), puressh(tool, args)]);
  expect(ours.stderr).to.not.match(/\n\s+at /);
  expect(ours.stderr, `${tool} ${args.join(' ')}`).to.equal(asPuressh(theirs.stderr));
  expect(ours.code).to.equal(theirs.code);
  return ours;
}

describe('CLI failures: the same lines and status as OpenSSH', function () {
  this.timeout(120_000);

  const servers: [string, () => Promise<BadServer>][] = [
    ['a closed port', closedPort],
    ['an HTTP server', () => httpServer()],
    ['an SSH-1.5 server', ssh1Server],
    ['a silent server (ConnectTimeout=1)', silentServer],
  ];
  for (const [label, start] of servers) {
    for (const tool of ['ssh', 'sftp', 'scp'] as const) {
      it(`${tool}: ${label}`, async () => {
        const s = await start();
        try {
          const r = await same(tool, commandLines(tool, s.port));
          expect(r.code).to.equal(255);
        } finally {
          await s.close();
        }
      });
    }
  }

  it('ssh -o LogLevel=ERROR: the lines ssh logs at INFO (its sshpkt_fatal) are left out as ssh leaves them', async () => {
    for (const [label, start] of servers) {
      const s = await start();
      try {
        const r = await same('ssh', ['-o', 'LogLevel=ERROR', ...commandLines('ssh', s.port)]);
        expect(r.code, label).to.equal(255);
        expect(r.stderr.split('\n').length, label).to.equal(2); // one line
      } finally {
        await s.close();
      }
    }
  });

  it('sftp and scp usage errors exit 1, as OpenSSH\'s do', async () => {
    for (const tool of ['sftp', 'scp'] as const) {
      const [theirs, ours] = await Promise.all([run(tool, ['-Z', 'x']), puressh(tool, ['-Z', 'x'])]);
      expect(theirs.code).to.equal(1);
      expect(ours.code, tool).to.equal(1);
      const [theirs2, ours2] = await Promise.all([run(tool, []), puressh(tool, [])]);
      expect(theirs2.code).to.equal(1);
      expect(ours2.code, tool).to.equal(1);
      expect(ours2.stderr).to.match(new RegExp(`^usage: puressh ${tool} `));
    }
  });

  it('an unexpected error is one line, without a stack', () => {
    const e = new TypeError('Cannot read properties of undefined (reading \'x\')');
    expect(internalErrorLine(e, {})).to.equal("puressh: internal error: Cannot read properties of undefined (reading 'x')");
    expect(internalErrorLine(new Error('two\n  lines'), {})).to.equal('puressh: internal error: two lines');
    expect(internalErrorLine('a string', {})).to.equal('puressh: internal error: a string');
    expect(internalErrorLine(e, { PURESSH_DEBUG_STACK: '1' })).to.match(/^puressh: internal error: TypeError: Cannot read[^\n]*\n\s+at /);
  });
});
