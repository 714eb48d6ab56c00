/**
 * SFTP clients we did not write, driven through one scenario in a remote directory: paramiko's
 * SFTPClient, asyncssh's SFTP client, PuTTY's psftp and pscp, and libssh2 through Net::SSH2.
 * Each uploads a file, makes a directory, renames the file into it, lists it, stats it,
 * downloads it, removes both and checks they are gone; asyncssh, libssh2 and psftp also list a
 * directory holding an entry whose name is not UTF-8. Each returns a transcript of what it saw, so
 * tests assert exact text, and leaves the downloaded copy for a hash comparison.
 * Python runs as /usr/bin/python3 (Debian's python3-paramiko and python3-asyncssh).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** Where the scenario runs and how to log in. */
export interface SftpTarget {
  port: number;
  user: string;
  /** an OpenSSH private key (unencrypted), for publickey */
  keyPath: string;
  /** known_hosts with the server's key (paramiko, asyncssh) */
  knownHostsPath: string;
  /** "SHA256:…" of the server's ed25519 key (PuTTY's -hostkey) */
  hostKeyFingerprint: string;
  /** an absolute remote directory the user may write; the scenario works inside it */
  remoteDir: string;
  /** a local directory for scripts and downloads */
  localDir: string;
  /** the local file uploaded */
  payloadPath: string;
  /** the name (bytes) of an entry already in remoteDir/odd, not UTF-8, for the listing */
  oddName: Uint8Array;
}

export interface RunResult {
  code: number;
  /** stdout as latin1, so non-UTF-8 bytes stay one character each */
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 120000, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: stdout.toString('latin1'), stderr: stderr.toString() }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Fail with the install command when a client is missing (never skip). */
export function requireSftpClients(): void {
  for (const [path, pkg] of [
    ['/usr/bin/psftp', 'putty-tools'],
    ['/usr/bin/puttygen', 'putty-tools'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install -y ${pkg}`);
  }
  try {
    execFileSync('perl', ['-MNet::SSH2', '-e', '1'], { stdio: 'ignore' });
  } catch {
    throw new Error('Net::SSH2 is missing: apt-get install -y libnet-ssh2-perl');
  }
  for (const mod of ['paramiko', 'asyncssh']) {
    try {
      execFileSync(PYTHON, ['-W', 'ignore', '-c', `import ${mod}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${mod} is missing for ${PYTHON}: apt-get install -y python3-${mod}`);
    }
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** paramiko: put, mkdir, rename, listdir, stat, get, remove, rmdir. Its listdir decodes names as UTF-8, so no odd name. */
export async function paramikoScenario(t: SftpTarget, download: string): Promise<RunResult> {
  const script = `
import paramiko, sys
kh, port, user, key, R, payload, down = sys.argv[1:8]
c = paramiko.SSHClient()
c.load_host_keys(kh)
c.connect('127.0.0.1', port=int(port), username=user, key_filename=key, allow_agent=False, look_for_keys=False)
s = c.open_sftp()
s.put(payload, R + '/up.bin')
s.mkdir(R + '/d')
s.rename(R + '/up.bin', R + '/d/moved.bin')
print(sorted(s.listdir(R + '/d')))
print(s.stat(R + '/d/moved.bin').st_size)
s.get(R + '/d/moved.bin', down)
s.remove(R + '/d/moved.bin')
s.rmdir(R + '/d')
try:
    s.stat(R + '/d')
except IOError as e:
    print('gone', e.errno)
s.close(); c.close()
`;
  return run(PYTHON, ['-W', 'ignore', '-c', script, t.knownHostsPath, String(t.port), t.user, t.keyPath, t.remoteDir, t.payloadPath, download]);
}

/** asyncssh: the same, and the odd name listed as bytes. */
export async function asyncsshScenario(t: SftpTarget, download: string): Promise<RunResult> {
  const script = `
import asyncio, asyncssh, sys
kh, port, user, key, R, payload, down = sys.argv[1:8]
async def main():
    async with asyncssh.connect('127.0.0.1', port=int(port), username=user, client_keys=[key], known_hosts=kh, agent_path=None) as c:
        async with c.start_sftp_client() as s:
            await s.put(payload, R + '/up.bin')
            await s.mkdir(R + '/d')
            await s.rename(R + '/up.bin', R + '/d/moved.bin')
            print(sorted(n for n in await s.listdir(R + '/d') if n not in ('.', '..')))
            print((await s.stat(R + '/d/moved.bin')).size)
            print(sorted(n.hex() for n in await s.listdir((R + '/odd').encode()) if n not in (b'.', b'..')))
            await s.get(R + '/d/moved.bin', down)
            await s.remove(R + '/d/moved.bin')
            await s.rmdir(R + '/d')
            try:
                await s.stat(R + '/d')
            except asyncssh.SFTPNoSuchFile as e:
                print('gone', e.code)
asyncio.run(main())
`;
  return run(PYTHON, ['-W', 'ignore', '-c', script, t.knownHostsPath, String(t.port), t.user, t.keyPath, t.remoteDir, t.payloadPath, download]);
}

/** The key as PuTTY wants it (puttygen), next to the OpenSSH one. */
export function ppkOf(keyPath: string): string {
  const ppk = `${keyPath}.ppk`;
  if (!existsSync(ppk)) execFileSync('puttygen', [keyPath, '-O', 'private', '-o', ppk]);
  return ppk;
}

/** psftp in batch mode: put, mkdir, mv, ls, get, rm, rmdir, and ls of the odd name's directory. */
export async function psftpScenario(t: SftpTarget, download: string): Promise<RunResult> {
  const batch = join(t.localDir, `psftp-${t.user}.batch`);
  writeFileSync(
    batch,
    [
      `cd ${t.remoteDir}`,
      `put ${t.payloadPath} up.bin`,
      'mkdir d',
      'mv up.bin d/moved.bin',
      'ls d',
      'ls odd',
      `get d/moved.bin ${download}`,
      'rm d/moved.bin',
      'rmdir d',
      'ls',
      '',
    ].join('\n'),
  );
  return run('psftp', ['-batch', '-i', ppkOf(t.keyPath), '-P', String(t.port), '-hostkey', t.hostKeyFingerprint, '-b', batch, `${t.user}@127.0.0.1`]);
}

/** pscp over SFTP: upload then download. */
export async function pscpScenario(t: SftpTarget, download: string): Promise<RunResult[]> {
  const common = ['-batch', '-sftp', '-i', ppkOf(t.keyPath), '-P', String(t.port), '-hostkey', t.hostKeyFingerprint];
  const up = await run('pscp', [...common, t.payloadPath, `${t.user}@127.0.0.1:${t.remoteDir}/pscp.bin`]);
  const down = await run('pscp', [...common, `${t.user}@127.0.0.1:${t.remoteDir}/pscp.bin`, download]);
  return [up, down];
}

/** Net::SSH2 (libssh2): open/write, mkdir, rename, opendir, stat, read, unlink, rmdir; the odd name as hex. */
export async function netSsh2Scenario(t: SftpTarget, download: string): Promise<RunResult> {
  const perl = `
use strict; use warnings; use Net::SSH2; use Fcntl;
my ($port, $user, $key, $R, $payload, $down) = @ARGV;
my $ssh = Net::SSH2->new;
$ssh->connect('127.0.0.1', $port) or die "connect";
$ssh->auth_publickey($user, "$key.pub", $key) or die "auth: " . join(' ', $ssh->error);
my $sftp = $ssh->sftp or die "sftp";
open(my $in, '<:raw', $payload) or die; local $/; my $data = <$in>; close $in;
my $f = $sftp->open("$R/up.bin", O_WRONLY|O_CREAT|O_TRUNC) or die "open";
my $off = 0; while ($off < length $data) { my $n = $f->write(substr($data, $off, 32768)); die "write" unless $n; $off += $n; }
undef $f;
$sftp->mkdir("$R/d") or die "mkdir";
$sftp->rename("$R/up.bin", "$R/d/moved.bin") or die "rename";
my $dh = $sftp->opendir("$R/d") or die "opendir"; my @n; while (my %e = $dh->read) { push @n, $e{name} } print join(',', sort @n), "\\n";
my %st = $sftp->stat("$R/d/moved.bin"); print "size $st{size}\\n";
my $oh = $sftp->opendir("$R/odd") or die "opendir odd"; my @o; while (my %e = $oh->read) { push @o, unpack('H*', $e{name}) unless $e{name} =~ /^\\.\\.?$/ } print join(',', sort @o), "\\n";
my $g = $sftp->open("$R/d/moved.bin", O_RDONLY) or die "open r"; my $back = ''; my $buf; while ($g->read($buf, 65536)) { $back .= $buf } undef $g;
open(my $out, '>:raw', $down) or die; print $out $back; close $out;
$sftp->unlink("$R/d/moved.bin") or die "unlink"; $sftp->rmdir("$R/d") or die "rmdir";
print defined($sftp->stat("$R/d")) ? "still\\n" : "gone " . ($sftp->error)[0] . "\\n";
`;
  return run('perl', ['-e', perl, String(t.port), t.user, t.keyPath, t.remoteDir, t.payloadPath, download]);
}

export { hex as hexName };
