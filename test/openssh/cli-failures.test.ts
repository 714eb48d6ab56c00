/**
 * Failures of `puressh ssh|sftp|scp` print what OpenSSH's ssh, sftp and scp print on the same
 * command line (ssh's "ssh:" prefix is "puressh:", scp's "scp:" is "puressh scp:") and exit
 * with the same status, never a stack trace: closed ports, peers that are not SSH servers,
 * SSH-1 servers, silent servers, usage errors.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { closedPort, cuttingProxy, httpServer, silentServer, ssh1Server, type BadServer } from '../support/bad-servers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
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
const COMMON = [
  '-F',
  '/dev/null',
  '-o',
  'BatchMode=yes',
  '-o',
  'IdentityAgent=none',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'GlobalKnownHostsFile=/dev/null',
];

function commandLines(tool: 'ssh' | 'sftp' | 'scp', port: number): string[] {
  if (tool === 'ssh') return [...COMMON, '-o', 'ConnectTimeout=1', '-p', String(port), '127.0.0.1', 'true'];
  if (tool === 'sftp') return [...COMMON, '-o', 'ConnectTimeout=1', '-P', String(port), '127.0.0.1'];
  return [...COMMON, '-o', 'ConnectTimeout=1', '-P', String(port), '127.0.0.1:/etc/hostname', '/dev/null'];
}

async function same(tool: 'ssh' | 'sftp' | 'scp', args: string[]): Promise<Run> {
  const [theirs, ours] = await Promise.all([run(tool, args), puressh(tool, args)]);
  expect(ours.stderr).to.not.match(/\n\s+at /);
  // puressh ssh ends its lines with LF, its sftp (as OpenSSH's) with CR LF: compared without the CRs
  expect(ours.stderr.replace(/\r\n/g, '\n'), `${tool} ${args.join(' ')}`).to.equal(asPuressh(theirs.stderr));
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

  it('a host or user with shell metacharacters is refused before a ProxyCommand could expand it, as ssh refuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puressh-names-'));
    try {
      const mark = join(dir, 'ran');
      const proxy = ['-F', '/dev/null', '-o', 'ProxyCommand=nc %h %p %r', '-o', 'BatchMode=yes'];
      const cases: [string, string[], string][] = [
        ['ssh', [...proxy, `x\`touch ${mark}\``, 'true'], 'hostname contains invalid characters\n'],
        ['ssh', [...proxy, '-l', `a;touch ${mark}`, 'example.org', 'true'], 'remote username contains invalid characters\n'],
        ['ssh', [...proxy, `a$(touch ${mark})@example.org`, 'true'], 'remote username contains invalid characters\n'],
        ['ssh', [...proxy, '-l', '-oops', 'example.org', 'true'], 'remote username contains invalid characters\n'],
        ['sftp', [...proxy, `x|touch ${mark}`], 'hostname contains invalid characters\nConnection closed\n'],
      ];
      for (const [tool, args, line] of cases) {
        const r = await same(tool as 'ssh' | 'sftp', args);
        expect(r.code, args.join(' ')).to.equal(255);
        expect(r.stderr.replace(/\r\n/g, '\n'), args.join(' ')).to.equal(line);
      }
      expect(existsSync(mark), 'a command in a host or user name ran').to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sftp and scp usage errors exit 1, as OpenSSH's do", async () => {
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

  it('sftp -b with a batch file that cannot be opened: stops before connecting, as sftp', async () => {
    const s = await closedPort();
    const r = await same('sftp', ['-b', '/nonexistent-batch', '-P', String(s.port), '127.0.0.1']);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.equal('No such file or directory (/nonexistent-batch).\r\n');
  });

  it('an unexpected error is one line, without a stack', () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(internalErrorLine(e, {})).to.equal("puressh: internal error: Cannot read properties of undefined (reading 'x')");
    expect(internalErrorLine(new Error('two\n  lines'), {})).to.equal('puressh: internal error: two lines');
    expect(internalErrorLine('a string', {})).to.equal('puressh: internal error: a string');
    expect(internalErrorLine(e, { PURESSH_DEBUG_STACK: '1' })).to.match(/^puressh: internal error: TypeError: Cannot read[^\n]*\n\s+at /);
  });
});

describe("CLI failures: a server that drops the connection mid-transfer, as OpenSSH's sftp and scp say it", function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let proxy: BadServer;
  let here: string;
  before(async () => {
    sshd = await startSshd();
    // 4 MiB of noise: the proxy cuts the connection after 256 KiB have come back.
    writeFileSync(join(sshd.dir, 'big'), randomBytes(4 << 20));
    proxy = await cuttingProxy(sshd.port, 256 * 1024);
    here = mkdtempSync(join(tmpdir(), 'puressh-cut-'));
  });
  after(async () => {
    await proxy?.close();
    await sshd?.stop();
    if (here) rmSync(here, { recursive: true, force: true });
  });

  const options = (): string[] => [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'LogLevel=ERROR',
    '-i',
    sshd.userKeys.ed25519.privatePath,
    '-P',
    String(proxy.port),
  ];

  it('scp: "Connection to HOST closed by remote host." and scp\'s "Connection closed", status 255', async () => {
    const args = [...options(), `127.0.0.1:${join(sshd.dir, 'big')}`, join(here, 'big')];
    const [theirs, ours] = await Promise.all([run('scp', args), puressh('scp', args)]);
    // The ssh child's line varies with timing (see below), and at times it prints none; scp's
    // own last line and status do not vary.
    expect(asPuressh(theirs.stderr)).to.match(/(?:^|\n)puressh scp: Connection closed\n$/);
    expect(ours.code).to.equal(theirs.code);
    expect(ours.code).to.equal(255);
    expect(ours.stderr).to.equal('Connection to 127.0.0.1 closed by remote host.\npuressh scp: Connection closed\n');
  });

  it('sftp -b: the same lines, status 255', async () => {
    const batch = join(here, 'batch');
    writeFileSync(batch, `get ${join(sshd.dir, 'big')} ${join(here, 'big2')}\n`);
    const args = [...options(), '-b', batch, '127.0.0.1'];
    const [theirs, ours] = await Promise.all([run('sftp', args), puressh('sftp', args)]);
    // What OpenSSH's ssh child says varies with timing ("Connection to HOST closed by remote
    // host.", "client_loop: send disconnect: Broken pipe", or nothing); sftp's own last line and
    // status do not.
    expect(asPuressh(theirs.stderr)).to.match(/(?:^|\n)Connection closed\n$/);
    expect(ours.code).to.equal(theirs.code);
    expect(ours.code).to.equal(255);
    expect(ours.stderr).to.equal('Connection to 127.0.0.1 closed by remote host.\nConnection closed\n');
  });
});

describe('CLI failures: identity files ssh refuses or cannot read, as ssh says it', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let here: string;
  before(async () => {
    sshd = await startSshd();
    here = mkdtempSync(join(tmpdir(), 'puressh-keys-'));
  });
  after(async () => {
    await sshd?.stop();
    if (here) rmSync(here, { recursive: true, force: true });
  });

  const args = (key: string): string[] => [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'KbdInteractiveAuthentication=no',
    '-o',
    `UserKnownHostsFile=${sshd.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-i',
    key,
    '-p',
    String(sshd.port),
    '-l',
    sshd.user,
    '127.0.0.1',
    'true',
  ];

  it("a private key others can read (0644) is ignored with ssh's warning; a directory; a missing file", async () => {
    const loose = join(here, 'id_loose');
    copyFileSync(sshd.userKeys.ed25519.privatePath, loose);
    chmodSync(loose, 0o644);
    const dir = join(here, 'a-directory');
    mkdirSync(dir, { mode: 0o700 });
    const ours = await same('ssh', args(loose));
    expect(ours.code).to.equal(255);
    if (process.getuid?.() !== undefined) expect(ours.stderr).to.include(`Permissions 0644 for '${loose}' are too open.\n`);
    expect((await same('ssh', args(dir))).stderr).to.match(/^Load key ".*a-directory": Is a directory\n/);
    expect((await same('ssh', args(join(here, 'missing')))).stderr).to.match(/^Warning: Identity file .*missing not accessible: No such file or directory\.\n/);
    // the same key, private again, works
    chmodSync(loose, 0o600);
    expect((await puressh('ssh', args(loose))).code).to.equal(0);
  });
});
