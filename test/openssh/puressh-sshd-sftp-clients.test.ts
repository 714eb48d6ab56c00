/**
 * `puressh sshd` with `Subsystem sftp internal-sftp`, as users deploy it, against SFTP clients we
 * did not write (test/support/sftp-client-drivers.ts): paramiko, asyncssh, PuTTY's psftp and
 * pscp, and libssh2 through Net::SSH2. Each client logs in with a public key twice: as root, the
 * server's own user (served in the server's process), and as the test account puressh-test (a
 * `puressh sftp-server` process running as that user). Files of 1 MiB + 1 byte go up and come
 * back with the same SHA-256; listings, stat, rename and removal are asserted exactly, and a
 * name that is not UTF-8 is listed byte for byte by asyncssh and libssh2 (paramiko decodes names
 * as UTF-8; psftp prints them sanitised). Needs root.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import {
  asyncsshScenario,
  hexName,
  netSsh2Scenario,
  paramikoScenario,
  psftpScenario,
  pscpScenario,
  requireSftpClients,
  type SftpTarget,
} from '../support/sftp-client-drivers.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** "f", 0xff, "name", 0xc3 0x28 (an invalid UTF-8 sequence) */
const ODD = Uint8Array.from([0x66, 0xff, 0x6e, 0x61, 0x6d, 0x65, 0xc3, 0x28]);

describe('puressh sshd internal-sftp against paramiko, asyncssh, psftp/pscp and Net::SSH2', function () {
  this.timeout(300_000);
  let sshd: PuresshSshd;
  let user: TestUser;
  let local = '';
  let rootArea = '';
  let userArea = '';
  const payload = new Uint8Array(randomBytes(1024 * 1024 + 1));
  const targets: Record<'root' | 'other', SftpTarget> = {} as Record<'root' | 'other', SftpTarget>;

  /** A directory for the scenario, with `odd/<non-UTF-8 name>` in it, owned by `uid`. */
  function area(path: string, uid: number, gid: number): string {
    mkdirSync(join(path, 'odd'), { recursive: true, mode: 0o755 });
    writeFileSync(Buffer.concat([Buffer.from(join(path, 'odd') + '/'), Buffer.from(ODD)]), 'odd\n');
    for (const p of [path, join(path, 'odd')]) chownSync(p, uid, gid);
    return path;
  }

  before(async () => {
    requireSftpClients();
    user = ensureTestUser();
    local = mkdtempSync(join(tmpdir(), 'puressh-sftp-clients-'));
    chmodSync(local, 0o755);
    writeFileSync(join(local, 'payload.bin'), payload);
    // libssh2 here reads ECDSA keys but not Ed25519 ones in OpenSSH's format: one ECDSA key for every client
    const key = join(local, 'id_ecdsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', key]);
    const pub = readFileSync(`${key}.pub`, 'utf8');
    for (const who of ['root', user.name]) writeFileSync(join(local, `${who}.keys`), pub, { mode: 0o644 });
    rootArea = area(mkdtempSync(join(tmpdir(), 'puressh-sftp-root-')), 0, 0);
    userArea = area(join(user.home, `sftp-clients-${process.pid}`), user.uid, user.gid);
    sshd = await startPuresshSshd({
      hostKeyTypes: ['ed25519'],
      config: [`AuthorizedKeysFile ${local}/%u.keys`, 'Subsystem sftp internal-sftp'],
    });
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    const base = {
      port: sshd.port,
      keyPath: key,
      knownHostsPath: sshd.knownHostsPath,
      hostKeyFingerprint: fp,
      localDir: local,
      payloadPath: join(local, 'payload.bin'),
      oddName: ODD,
    };
    targets.root = { ...base, user: 'root', remoteDir: rootArea };
    targets.other = { ...base, user: user.name, remoteDir: userArea };
  });

  after(async () => {
    await sshd?.stop();
    for (const d of [local, rootArea, userArea]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const who = { root: "as root, the server's own user", other: 'as puressh-test (a per-user sftp-server process)' } as const;

  for (const as of ['root', 'other'] as const) {
    describe(who[as], () => {
      const down = (client: string): string => join(local, `${client}-${as}.bin`);
      const expectDownloaded = (client: string): void => void expect(sha256(readFileSync(down(client))), `${client} download`).to.equal(sha256(payload));
      const expectClean = (): void => {
        expect(existsSync(join(targets[as].remoteDir, 'd'))).to.equal(false);
        expect(existsSync(join(targets[as].remoteDir, 'up.bin'))).to.equal(false);
      };

      it('paramiko SFTPClient: put, mkdir, rename, listdir, stat, get, remove, rmdir', async () => {
        const r = await paramikoScenario(targets[as], down('paramiko'));
        expect({ out: r.stdout, err: r.stderr }).to.deep.equal({ out: `['moved.bin']\n${payload.length}\ngone 2\n`, err: '' });
        expectDownloaded('paramiko');
        expectClean();
      });

      it('asyncssh SFTP: the same, and the non-UTF-8 name listed as bytes', async () => {
        const r = await asyncsshScenario(targets[as], down('asyncssh'));
        expect({ out: r.stdout, err: r.stderr }).to.deep.equal({ out: `['moved.bin']\n${payload.length}\n['${hexName(ODD)}']\ngone 2\n`, err: '' });
        expectDownloaded('asyncssh');
        expectClean();
      });

      it('psftp batch: put, mkdir, mv, ls (the non-UTF-8 name as psftp prints it), get, rm, rmdir', async () => {
        const r = await psftpScenario(targets[as], down('psftp'));
        expect(r.code, r.stderr + r.stdout).to.equal(0);
        expect(r.stdout).to.contain('moved.bin');
        // psftp drops the bytes its terminal output cannot show (0xff, the broken 0xc3): the entry is there, 4 bytes long
        expect(r.stdout).to.match(/\n-rw-r--r-- +1 \S+ +\S+ +4 .* fname\(\n/);
        expectDownloaded('psftp');
        expectClean();
      });

      it('pscp -sftp: upload and download; the file belongs to the user logged in', async () => {
        const [up, back] = await pscpScenario(targets[as], down('pscp'));
        expect([up!.code, back!.code], up!.stderr + back!.stderr).to.deep.equal([0, 0]);
        expectDownloaded('pscp');
        expect(statSync(join(targets[as].remoteDir, 'pscp.bin')).uid).to.equal(as === 'root' ? 0 : user.uid);
      });

      it('Net::SSH2 (libssh2): open/write, mkdir, rename, opendir, stat, the non-UTF-8 name, read, unlink, rmdir', async () => {
        const r = await netSsh2Scenario(targets[as], down('libssh2'));
        expect({ out: r.stdout, err: r.stderr }).to.deep.equal({ out: `.,..,moved.bin\nsize ${payload.length}\n${hexName(ODD)}\ngone 2\n`, err: '' });
        expectDownloaded('libssh2');
        expectClean();
      });
    });
  }
});
