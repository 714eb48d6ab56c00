/**
 * puressh's SFTP server (SftpServer over a NodeFs confined to a temp dir, served as the
 * "sftp" subsystem of SshServer's Node listener) against SFTP clients we did not write:
 * paramiko, PuTTY's psftp and pscp, and libssh2 through Net::SSH2. Each uploads and
 * downloads files (sha256 compared), lists, renames, removes and makes directories.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintSHA256 } from '../../src/crypto/fingerprint.js';
import { generateKeyPair } from '../../src/crypto/keys/index.js';
import { listen, NodeFs, SftpServer, type SshListener } from '../../src/node.js';

const PYTHON = '/usr/bin/python3';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 120000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

function requirePackage(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install -y ${pkg}`);
}

describe('SFTP server against paramiko, psftp/pscp and Net::SSH2 (libssh2)', function () {
  this.timeout(180000);
  let dir = '';
  let root = '';
  let listener: SshListener;
  let fingerprint = '';
  const fileSystems: NodeFs[] = [];
  const payload = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));

  before(async () => {
    requirePackage('/usr/bin/psftp', 'putty-tools');
    try {
      execFileSync('perl', ['-MNet::SSH2', '-e', '1'], { stdio: 'ignore' });
    } catch {
      throw new Error('Net::SSH2 is missing: apt-get install -y libnet-ssh2-perl');
    }
    execFileSync(PYTHON, ['-c', 'import paramiko']);
    dir = mkdtempSync(join(tmpdir(), 'puressh-sftp-clients-'));
    root = join(dir, 'root');
    mkdirSync(root);
    writeFileSync(join(dir, 'payload.bin'), payload);
    const hostKey = generateKeyPair({ type: 'ed25519' }, (n) => new Uint8Array(randomBytes(n))).privateKey;
    fingerprint = fingerprintSHA256(hostKey.publicKey.blob);
    listener = await listen({
      hostKeys: [hostKey],
      auth: { password: ({ username, password }) => username === 'tester' && password === 'secret' },
      handlers: {
        session: () => ({
          subsystem(name, session) {
            if (name !== 'sftp') return false;
            const fs = new NodeFs({ root });
            fileSystems.push(fs);
            void new SftpServer(session.byteStream(), { fs }).serve().finally(() => fs.dispose());
            return true;
          },
        }),
      },
    });
  });

  after(async () => {
    await listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
  });

  it('paramiko: put, get, listdir, stat, rename, mkdir, rmdir, remove', async () => {
    const script = `
import hashlib, paramiko, sys
t = paramiko.Transport(('127.0.0.1', ${listener.port}))
t.connect(username='tester', password='secret')
s = paramiko.SFTPClient.from_transport(t)
s.put('${join(dir, 'payload.bin')}', '/up.bin')
s.mkdir('/d')
s.rename('/up.bin', '/d/moved.bin')
print(sorted(s.listdir('/')), sorted(s.listdir('/d')))
print(s.stat('/d/moved.bin').st_size)
s.get('/d/moved.bin', '${join(dir, 'paramiko-down.bin')}')
s.remove('/d/moved.bin')
s.rmdir('/d')
try:
    s.stat('/d')
except IOError as e:
    print('gone', e.errno)
print(sorted(s.listdir('/')))
s.close(); t.close()
`;
    const r = await run(PYTHON, ['-c', script]);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(`['d'] ['moved.bin']\n${payload.length}\ngone 2\n[]\n`);
    expect(sha256(readFileSync(join(dir, 'paramiko-down.bin')))).to.equal(sha256(payload));
  });

  it('psftp batch: put, ls, rename, get, mkdir, rmdir, rm', async () => {
    const batch = join(dir, 'psftp.batch');
    writeFileSync(
      batch,
      [
        `put ${join(dir, 'payload.bin')} up.bin`,
        'mkdir d',
        'mv up.bin d/moved.bin',
        'ls d',
        `get d/moved.bin ${join(dir, 'psftp-down.bin')}`,
        'rm d/moved.bin',
        'rmdir d',
        'ls',
        '',
      ].join('\n'),
    );
    const r = await run('psftp', ['-batch', '-pw', 'secret', '-P', String(listener.port), '-hostkey', fingerprint, '-b', batch, 'tester@127.0.0.1']);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.contain('moved.bin');
    expect(sha256(readFileSync(join(dir, 'psftp-down.bin')))).to.equal(sha256(payload));
    expect(execFileSync('ls', ['-A', root], { encoding: 'utf8' })).to.equal('');
  });

  it('pscp over SFTP: upload and download', async () => {
    const up = await run('pscp', [
      '-batch',
      '-sftp',
      '-pw',
      'secret',
      '-P',
      String(listener.port),
      '-hostkey',
      fingerprint,
      join(dir, 'payload.bin'),
      'tester@127.0.0.1:/pscp.bin',
    ]);
    expect(up.code, up.stderr).to.equal(0);
    expect(sha256(readFileSync(join(root, 'pscp.bin')))).to.equal(sha256(payload));
    const down = await run('pscp', [
      '-batch',
      '-sftp',
      '-pw',
      'secret',
      '-P',
      String(listener.port),
      '-hostkey',
      fingerprint,
      'tester@127.0.0.1:/pscp.bin',
      join(dir, 'pscp-down.bin'),
    ]);
    expect(down.code, down.stderr).to.equal(0);
    expect(sha256(readFileSync(join(dir, 'pscp-down.bin')))).to.equal(sha256(payload));
  });

  it('Net::SSH2 (libssh2): open/write, stat, opendir, rename, read, unlink, mkdir, rmdir', async () => {
    const perl = `
use strict; use warnings; use Net::SSH2; use Fcntl;
my $ssh = Net::SSH2->new;
$ssh->connect('127.0.0.1', ${listener.port}) or die "connect";
$ssh->auth_password('tester', 'secret') or die "auth";
my $sftp = $ssh->sftp or die "sftp";
open(my $in, '<:raw', '${join(dir, 'payload.bin')}') or die; local $/; my $data = <$in>; close $in;
my $f = $sftp->open('/libssh2.bin', O_WRONLY|O_CREAT|O_TRUNC) or die "open";
my $off = 0; while ($off < length $data) { my $n = $f->write(substr($data, $off, 32768)); die "write" unless $n; $off += $n; }
undef $f;
my %st = $sftp->stat('/libssh2.bin'); print "size $st{size}\\n";
$sftp->mkdir('/d') or die "mkdir";
$sftp->rename('/libssh2.bin', '/d/x.bin') or die "rename";
my $dh = $sftp->opendir('/d') or die "opendir"; my @n; while (my %e = $dh->read) { push @n, $e{name} } print join(',', sort @n), "\\n";
my $g = $sftp->open('/d/x.bin', O_RDONLY) or die "open r"; my $back = ''; my $buf; while ($g->read($buf, 65536)) { $back .= $buf } undef $g;
print length($back) == length($data) && $back eq $data ? "same\\n" : "differ\\n";
$sftp->unlink('/d/x.bin') or die "unlink"; $sftp->rmdir('/d') or die "rmdir";
print defined($sftp->stat('/d')) ? "still\\n" : "gone " . ($sftp->error)[0] . "\\n";
`;
    const r = await run('perl', ['-e', perl]);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(`size ${payload.length}\n.,..,x.bin\nsame\ngone 2\n`);
  });
});
