/**
 * `puressh ssh-keygen` beside OpenSSH's ssh-keygen: keys we write are read by ssh-keygen -y/-l
 * (encrypted ones with the passphrase) and used by ssh against sshd; -l, -y and -L print the
 * same bytes; certificates we sign log in to sshd (TrustedUserCAKeys) and ssh-keygen -L reads them.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64Decode } from '../../src/crypto/encoding.js';
import { generateKeyPair, parsePrivateKey, writeOpenSSHPrivateKey } from '../../src/crypto/keys/index.js';
import { randomart } from '../../src/crypto/randomart.js';
import { KeyError } from '../../src/errors.js';
import { runOpenSsh } from '../support/ssh-client.js';
import { generateKey, startSshd, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');

function ours(args: string[], input = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, 'ssh-keygen', ...args], { input, encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function theirs(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const random = (n: number) => new Uint8Array(execFileSync('head', ['-c', String(n), '/dev/urandom']));

describe('puressh ssh-keygen beside OpenSSH ssh-keygen', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-keygen-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [t, b] of [
    ['ed25519', undefined],
    ['ecdsa', '256'],
    ['ecdsa', '384'],
    ['ecdsa', '521'],
    ['rsa', '2048'],
  ] as const) {
    it(`-t ${t}${b ? ` -b ${b}` : ''}: the files, the output and -l/-y are ssh-keygen's`, () => {
      const path = join(dir, `id_${t}${b ?? ''}`);
      const r = ours(['-t', t, ...(b ? ['-b', b] : []), '-N', '', '-C', 'me@example', '-f', path]);
      expect(r.code, r.stderr).to.equal(0);
      expect(statSync(path).mode & 0o777).to.equal(0o600);
      const pubLine = readFileSync(`${path}.pub`, 'utf8');
      // the real ssh-keygen derives the same public key line from our private key
      expect(theirs(['-y', '-f', path]).stdout).to.equal(pubLine);
      const fp = theirs(['-l', '-f', path]);
      expect(fp.stdout).to.match(new RegExp(`^${b ?? 256} SHA256:\\S+ me@example \\(${t === 'ed25519' ? 'ED25519' : t.toUpperCase()}\\)\\n$`));
      // our output: ssh-keygen's lines with this key's fingerprint and randomart (ssh-keygen -lv draws it)
      const art = theirs(['-lv', '-f', path]).stdout.split('\n').slice(1).join('\n');
      const fingerprint = fp.stdout.split(' ')[1];
      expect(r.stdout).to.equal(
        `Generating public/private ${t} key pair.\nYour identification has been saved in ${path}\nYour public key has been saved in ${path}.pub\n` +
          `The key fingerprint is:\n${fingerprint} me@example\nThe key's randomart image is:\n${art}`,
      );
      for (const args of [
        ['-l', '-f', path],
        ['-l', '-E', 'md5', '-f', `${path}.pub`],
        ['-y', '-f', path],
      ]) {
        expect(ours(args), args.join(' ')).to.deep.equal(theirs(args));
      }
    });
  }

  it('-N passphrase -a rounds: aes256-ctr/bcrypt, read by ssh-keygen -y with the passphrase only', () => {
    const path = join(dir, 'enc');
    expect(ours(['-q', '-t', 'ed25519', '-N', 'sekrit', '-a', '8', '-C', 'c', '-f', path]).code).to.equal(0);
    const body = base64Decode(readFileSync(path, 'utf8').split('\n').slice(1, -2).join(''));
    const header = new TextDecoder('latin1').decode(body.subarray(0, 60));
    expect(header).to.include('aes256-ctr').and.include('bcrypt');
    expect(theirs(['-y', '-P', 'sekrit', '-f', path]).stdout).to.equal(readFileSync(`${path}.pub`, 'utf8'));
    expect(theirs(['-y', '-P', 'wrong', '-f', path]).code).to.equal(255);
    expect(() => parsePrivateKey(readFileSync(path, 'utf8'), 'wrong')).to.throw(KeyError);
    expect(ours(['-y', '-P', 'sekrit', '-f', path]).stdout).to.equal(readFileSync(`${path}.pub`, 'utf8'));
  });

  it('-l on keys and certificates made by OpenSSH prints the same bytes, and failures exit as ssh-keygen', () => {
    const path = join(dir, 'theirs_rsa');
    theirs(['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', '', '-f', path]);
    theirs(['-q', '-s', path, '-I', 'id', '-n', 'x', `${path}.pub`]);
    const cert = `${path}-cert.pub`;
    for (const args of [
      ['-l', '-f', path],
      ['-l', '-f', `${path}.pub`],
      ['-l', '-f', cert],
      ['-y', '-f', path],
      ['-L', '-f', cert],
    ]) {
      expect(ours(args), args.join(' ')).to.deep.equal(theirs(args));
    }
    expect(ours(['-l', '-f', join(dir, 'missing')]).code).to.equal(theirs(['-l', '-f', join(dir, 'missing')]).code);
  });

  it('randomart matches OpenSSH for keys of every size label', () => {
    const key = generateKeyPair({ type: 'ed25519' }, random);
    const path = join(dir, 'art');
    writeFileSync(path, writeOpenSSHPrivateKey(key.material, 'x', random), { mode: 0o600 });
    const lines = theirs(['-lv', '-f', path]).stdout.split('\n');
    expect(randomart(sha256(key.privateKey.publicKey.blob), 'ED25519 256', 'SHA256')).to.equal(lines.slice(1, 12).join('\n'));
  });

  describe('certificates and keys used by ssh and sshd', () => {
    let sshd: Sshd;
    let caPath: string;
    before(async () => {
      caPath = join(dir, 'ca');
      expect(ours(['-q', '-t', 'ecdsa', '-N', '', '-C', 'CA', '-f', caPath]).code).to.equal(0);
      writeFileSync(join(dir, 'nothing'), '');
      expect(ours(['-k', '-f', join(dir, 'revoked.krl'), join(dir, 'nothing')]).code).to.equal(0);
      sshd = await startSshd({
        config: ['AuthorizedKeysFile none', `TrustedUserCAKeys ${caPath}.pub`, `RevokedKeys ${join(dir, 'revoked.krl')}`, 'PasswordAuthentication no'],
        rsaBits: 2048,
      });
    });
    after(async () => sshd?.stop());

    for (const t of ['ed25519', 'rsa'] as const) {
      it(`a ${t} key and user certificate from puressh ssh-keygen log in with OpenSSH ssh; ssh-keygen -L agrees`, async () => {
        const path = join(dir, `user_${t}`);
        expect(ours(['-q', '-t', t, ...(t === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', path]).code).to.equal(0);
        const signed = ours(['-s', caPath, '-I', `user-${t}`, '-n', `${sshd.user},other`, '-V', '-5m:+1h', '-z', '7', '-O', 'no-pty', `${path}.pub`]);
        expect(signed.code, signed.stderr).to.equal(0);
        const line = `^Signed user key ${path}-cert.pub: id "user-${t}" serial 7 for ${sshd.user},other valid from \\S+ to \\S+\\r\\n$`;
        expect(signed.stderr).to.match(new RegExp(line));
        expect(ours(['-L', '-f', `${path}-cert.pub`])).to.deep.equal(theirs(['-L', '-f', `${path}-cert.pub`]));
        const r = await runOpenSsh(sshd, 'id -un', { key: path });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.toString()).to.equal(`${sshd.user}\n`);
      });
    }

    it('-k: a KRL revoking a serial under our CA, and a plain key: sshd refuses those, ssh-keygen -Q agrees', async () => {
      const path = join(dir, 'user_krl');
      expect(ours(['-q', '-t', 'ed25519', '-N', '', '-f', path]).code).to.equal(0);
      copyFileSync(`${path}.pub`, `${path}b.pub`);
      expect(ours(['-q', '-s', caPath, '-I', 'a', '-n', sshd.user, '-z', '42', `${path}.pub`]).code).to.equal(0);
      expect(ours(['-q', '-s', caPath, '-I', 'b', '-n', sshd.user, '-z', '43', `${path}b.pub`]).code).to.equal(0);
      expect((await runOpenSsh(sshd, 'true', { key: path })).code).to.equal(0);
      const spec = join(dir, 'krl.spec');
      writeFileSync(spec, '# revoked\nserial: 40-42\nid: nobody\n');
      const krl = join(dir, 'revoked.krl');
      const r = ours(['-k', '-f', krl, '-s', `${caPath}.pub`, spec]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`Revoking from ${spec}\n`);
      const q = theirs(['-Q', '-f', krl, `${path}-cert.pub`]);
      expect(q.code).to.equal(1);
      expect(q.stdout).to.match(/: REVOKED\n$/);
      expect(theirs(['-Q', '-f', krl, `${path}b-cert.pub`]).code).to.equal(0);
      const before = sshd.logs().length;
      expect((await runOpenSsh(sshd, 'true', { key: path })).code).to.equal(255);
      for (let i = 0; i < 100 && !sshd.logs().slice(before).includes('ID a (serial 42)'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(sshd.logs().slice(before))
        .to.include('ID a (serial 42)')
        .and.match(/Authentication key ED25519-CERT \S+ revoked by file/);
      // the other certificate (serial 43) still logs in
      copyFileSync(`${path}b-cert.pub`, `${path}-cert.pub`);
      expect((await runOpenSsh(sshd, 'true', { key: path })).code).to.equal(0);
      // revoking the plain key revokes its certificates too
      expect(ours(['-q', '-k', '-f', krl, `${path}.pub`]).code).to.equal(0);
      expect(theirs(['-Q', '-f', krl, `${path}.pub`]).code).to.equal(1);
      expect((await runOpenSsh(sshd, 'true', { key: path })).code).to.equal(255);
      writeFileSync(krl, '');
      expect(ours(['-q', '-k', '-f', krl, join(dir, 'nothing')]).code).to.equal(0);
    });

    it('a certificate signed by OpenSSH with our CA key file, and one for another principal is refused by sshd', async () => {
      const path = join(dir, 'user_other');
      await generateKey('ed25519', path);
      const signed = theirs(['-q', '-s', caPath, '-I', 'x', '-n', 'nobody-here', `${path}.pub`]);
      expect(signed.code, signed.stderr).to.equal(0);
      const r = await runOpenSsh(sshd, 'id -un', { key: path });
      expect(r.code).to.equal(255);
      copyFileSync(`${path}.pub`, `${path}2.pub`);
      expect(ours(['-q', '-s', caPath, '-I', 'y', '-n', sshd.user, `${path}2.pub`]).code).to.equal(0);
      copyFileSync(`${path}2-cert.pub`, `${path}-cert.pub`);
      const ok = await runOpenSsh(sshd, 'id -un', { key: path });
      expect(ok.code, ok.stderr).to.equal(0);
    });
  });
});
