/**
 * `puressh ssh-keygen` beside OpenSSH's ssh-keygen: keys we write are read by ssh-keygen -y/-l
 * (encrypted ones with the passphrase) and used by ssh against sshd; -l, -y and -L print the
 * same bytes; certificates we sign log in to sshd (TrustedUserCAKeys) and ssh-keygen -L reads them.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64Decode, pemEncode } from '../../src/crypto/encoding.js';
import { CertifiedPrivateKey, generateKeyPair, parsePrivateKey, writeOpenSSHPrivateKey } from '../../src/crypto/keys/index.js';
import { randomart } from '../../src/crypto/randomart.js';
import { KeyError } from '../../src/errors.js';
import { Reader } from '../../src/wire/reader.js';
import { Writer } from '../../src/wire/writer.js';
import { runOpenSsh } from '../support/ssh-client.js';
import { spawnSyncWithTimeout } from '../support/spawn-sync.js';
import { generateKey, startSshd, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');

const oursArgs = (args: string[]): string[] => ['--import', 'tsx', entry, 'ssh-keygen', ...args];
function ours(args: string[], input = ''): Run {
  return run(process.execPath, oursArgs(args), {}, input);
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

type Run = { code: number | null; stdout: string; stderr: string };
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Run {
  const r = spawnSyncWithTimeout(cmd, args, { input, encoding: 'utf8', cwd: root, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const oursEnv = (args: string[], env: NodeJS.ProcessEnv = {}): Run => run(process.execPath, oursArgs(args), env);
const theirsEnv = (args: string[], env: NodeJS.ProcessEnv = {}): Run => run('ssh-keygen', args, env);

describe('puressh ssh-keygen -p, -e/-i, -m, -F/-R/-H, -Q/-k -u beside OpenSSH ssh-keygen', function () {
  this.timeout(300_000);
  let dir: string;
  // one key of each type made by the real ssh-keygen, plus its .pub
  const keys = { ed25519: '', ecdsa: '', rsa: '' };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-keygen2-'));
    for (const t of Object.keys(keys) as (keyof typeof keys)[]) {
      keys[t] = join(dir, `src_${t}`);
      expect(theirs(['-q', '-t', t, ...(t === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', `c-${t}`, '-f', keys[t]]).code).to.equal(0);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Copies of `src` at A/name and B/name: ours works on A, theirs on B; outputs compared with B's paths. */
  function sideBySide(
    src: string,
    name: string,
    args: (path: string) => string[],
    env: NodeJS.ProcessEnv = {},
  ): { a: string; b: string; ours: Run; theirs: Run } {
    const a = mkdtempSync(join(dir, 'a-'));
    const b = mkdtempSync(join(dir, 'b-'));
    copyFileSync(src, join(a, name));
    copyFileSync(src, join(b, name));
    chmodSync(join(a, name), statSync(src).mode & 0o777);
    chmodSync(join(b, name), statSync(src).mode & 0o777);
    const o = oursEnv(args(join(a, name)), env);
    const t = theirsEnv(args(join(b, name)), env);
    const fix = (s: string) => s.split(a).join(b);
    return { a: join(a, name), b: join(b, name), ours: { code: o.code, stdout: fix(o.stdout), stderr: fix(o.stderr) }, theirs: t };
  }

  describe('-p', () => {
    for (const [t, m] of [
      ['ed25519', undefined],
      ['ecdsa', 'PEM'],
      ['rsa', 'PKCS8'],
      ['rsa', undefined],
    ] as const) {
      it(`${t}${m ? ` -m ${m}` : ''}: -N sets a passphrase, -P/-N changes it, -N '' removes it; the same output, and each tool reads the other's file`, () => {
        const fmt = m ? ['-m', m] : [];
        const set = sideBySide(keys[t], 'key', (p) => ['-p', '-N', 'first-pass', ...fmt, '-a', '4', '-f', p]);
        expect(set.ours).to.deep.equal(set.theirs);
        expect(set.ours.stdout).to.equal(`Key has comment 'c-${t}'\nYour identification has been saved with the new passphrase.\n`);
        const head = (p: string) => readFileSync(p, 'utf8').split('\n')[0];
        expect(head(set.a)).to.equal(head(set.b));
        const pub = readFileSync(`${keys[t]}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
        // cross-read: each tool's -y on the other's file, with the passphrase
        expect(theirs(['-y', '-P', 'first-pass', '-f', set.a]).stdout).to.match(new RegExp(`^${pub.replace(/[+/]/g, '\\$&')}`));
        expect(ours(['-y', '-P', 'first-pass', '-f', set.b]).stdout).to.match(new RegExp(`^${pub.replace(/[+/]/g, '\\$&')}`));
        if (!m) {
          // -a: the bcrypt rounds in the kdf options
          const body = base64Decode(readFileSync(set.a, 'utf8').split('\n').slice(1, -2).join(''));
          const kdfOptions = body.subarray(15 + 4 + 10 + 4 + 6 + 4);
          expect(new DataView(kdfOptions.buffer, kdfOptions.byteOffset).getUint32(4 + 16)).to.equal(4);
        }
        for (const p of [set.a, set.b]) {
          const wrong = sideBySide(p, 'key', (q) => ['-p', '-P', 'not-it', '-N', 'x', '-f', q]);
          expect(wrong.ours).to.deep.equal(wrong.theirs);
          expect(wrong.ours.code).to.equal(255);
          expect(wrong.ours.stderr).to.match(/^Failed to load key .*: incorrect passphrase supplied to decrypt private key\r\n$/);
          const clear = sideBySide(p, 'key', (q) => ['-p', '-P', 'first-pass', '-N', '', '-f', q]);
          expect(clear.ours).to.deep.equal(clear.theirs);
          expect(theirs(['-y', '-f', clear.a]).stdout.startsWith(pub)).to.equal(true);
        }
      });
    }

    it('prompts through SSH_ASKPASS (old, new, again) as ssh-keygen does, and a mismatch exits 1', () => {
      const askpass = join(dir, 'askpass.sh');
      // answers by prompt: the old passphrase, then the new one twice (or a different second one)
      writeFileSync(
        askpass,
        '#!/bin/sh\ncase "$1" in\n  "Enter old passphrase: ") echo old-pass ;;\n  "Enter new passphrase (empty for no passphrase): ") echo new-pass ;;\n  *) echo "$SECOND" ;;\nesac\n',
        { mode: 0o755 },
      );
      const enc = join(dir, 'prompted');
      copyFileSync(keys.ed25519, enc);
      expect(theirs(['-p', '-N', 'old-pass', '-f', enc]).code).to.equal(0);
      const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0', SECOND: 'new-pass' };
      const ok = sideBySide(enc, 'key', (p) => ['-p', '-f', p], env);
      expect(ok.ours).to.deep.equal(ok.theirs);
      expect(ok.ours.code).to.equal(0);
      expect(theirs(['-y', '-P', 'new-pass', '-f', ok.a]).code).to.equal(0);
      const bad = sideBySide(enc, 'key', (p) => ['-p', '-f', p], { ...env, SECOND: 'other' });
      expect(bad.ours).to.deep.equal(bad.theirs);
      expect(bad.ours.code).to.equal(1);
      expect(bad.ours.stdout).to.include('Pass phrases do not match.  Try again.\n');
    });

    it('a passphrase under 5 characters for PEM, and a missing file, fail as ssh-keygen', () => {
      const short = sideBySide(keys.ecdsa, 'key', (p) => ['-p', '-N', 'abc', '-m', 'PEM', '-f', p]);
      expect(short.ours).to.deep.equal(short.theirs);
      expect(short.ours.code).to.equal(1);
      const missing = join(dir, 'missing');
      expect(ours(['-p', '-N', 'x', '-f', missing])).to.deep.equal(theirs(['-p', '-N', 'x', '-f', missing]));
    });
  });

  describe('-e and -i', () => {
    for (const t of ['ed25519', 'ecdsa', 'rsa'] as const) {
      for (const m of ['RFC4716', 'PKCS8', 'PEM']) {
        it(`-e -m ${m} of a ${t} public and private key prints the same bytes; -i -m ${m} reads it back`, () => {
          for (const f of [keys[t], `${keys[t]}.pub`]) {
            const args = ['-e', '-m', m, '-f', f];
            const o = ours(args);
            expect(o, args.join(' ')).to.deep.equal(theirs(args));
            if (o.code !== 0) continue;
            const exported = join(dir, `exported-${t}-${m}`);
            writeFileSync(exported, o.stdout);
            const back = ['-i', '-m', m, '-f', exported];
            const read = theirs(back);
            expect(ours(back), back.join(' ')).to.deep.equal(read);
            // -i -m PEM reads RSA PUBLIC KEY only: an ECDSA key exported so fails in both
            if (read.code === 0) expect(read.stdout).to.equal(readFileSync(`${keys[t]}.pub`, 'utf8').split(' ').slice(0, 2).join(' ') + '\n');
          }
        });
      }
    }

    it("-i of the wrong format and -e of a missing file fail with ssh-keygen's words and codes", () => {
      const pk8 = join(dir, 'ec.pk8');
      writeFileSync(pk8, theirs(['-e', '-m', 'PKCS8', '-f', keys.ecdsa]).stdout);
      const rfc = join(dir, 'ed.rfc');
      writeFileSync(rfc, theirs(['-e', '-f', keys.ed25519]).stdout);
      for (const args of [
        ['-i', '-m', 'RFC4716', '-f', pk8],
        ['-i', '-m', 'PEM', '-f', pk8],
        ['-i', '-m', 'PKCS8', '-f', rfc],
        ['-e', '-f', join(dir, 'nope')],
        ['-i', '-f', join(dir, 'nope')],
        ['-e', '-m', 'foo', '-f', rfc],
      ]) {
        expect(ours(args), args.join(' ')).to.deep.equal(theirs(args));
      }
    });
  });

  describe('-m PEM|PKCS8 when generating', () => {
    for (const [t, m, label] of [
      ['rsa', 'PEM', 'RSA PRIVATE KEY'],
      ['ecdsa', 'PEM', 'EC PRIVATE KEY'],
      ['rsa', 'PKCS8', 'PRIVATE KEY'],
      ['ecdsa', 'PKCS8', 'PRIVATE KEY'],
      ['ed25519', 'PEM', 'OPENSSH PRIVATE KEY'],
    ] as const) {
      for (const pass of ['', 'pass-phrase']) {
        it(`-t ${t} -m ${m}${pass ? ' -N pass-phrase' : ''}: the same armor as ssh-keygen, read by ssh-keygen -y and by us`, () => {
          const path = join(dir, `gen_${t}_${m}_${pass ? 'enc' : 'plain'}`);
          const r = ours(['-q', '-t', t, ...(t === 'rsa' ? ['-b', '2048'] : []), '-m', m, '-N', pass, '-C', 'x', '-f', path]);
          expect(r.code, r.stderr).to.equal(0);
          const theirsPath = `${path}.theirs`;
          expect(theirs(['-q', '-t', t, ...(t === 'rsa' ? ['-b', '2048'] : []), '-m', m, '-N', pass, '-C', 'x', '-f', theirsPath]).code).to.equal(0);
          const headers = (p: string) =>
            readFileSync(p, 'utf8')
              .split('\n')
              .filter((l) => l.startsWith('-----') || l.includes(': '))
              .map((l) => l.replace(/,[0-9A-F]{32}$/, ',IV'));
          expect(headers(path)).to.deep.equal(headers(theirsPath));
          expect(headers(path)[0]).to.equal(`-----BEGIN ${pass && m === 'PKCS8' ? 'ENCRYPTED ' : ''}${label}-----`);
          const pub = readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
          expect(theirs(['-y', '-P', pass, '-f', path]).stdout.startsWith(pub)).to.equal(true);
          const theirPub = readFileSync(`${theirsPath}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
          expect(ours(['-y', '-P', pass, '-f', theirsPath]).stdout.startsWith(theirPub)).to.equal(true);
          if (pass) expect(theirs(['-y', '-P', 'wrong-pass', '-f', path]).code).to.equal(255);
          // OpenSSL reads the PEM too (its structures, not just the armor)
          const parsed = run('openssl', ['pkey', '-in', path, '-passin', `pass:${pass}`, '-noout', '-text']);
          if (t !== 'ed25519') expect(parsed.code, parsed.stderr).to.equal(0);
        });
      }
    }
  });

  describe('-F, -R, -H on known_hosts', () => {
    let kh: string;
    before(() => {
      const k = (p: string) => readFileSync(`${p}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
      kh = join(dir, 'known_hosts');
      writeFileSync(
        kh,
        `host1,10.0.0.1 ${k(keys.ed25519)}\n[host2]:2222 ${k(keys.ecdsa)} a comment\n# a comment line\n\n` +
          `@cert-authority *.example ${k(keys.ed25519)}\n@revoked host1 ${k(keys.rsa)}\nHost3,host4 ${k(keys.rsa)}\n*.wild ${k(keys.ed25519)}\n` +
          `|1|ESdMrL3tl/yc/eGPUa6z9fm2xEo=|ALUm7uR2RiwKixW4n6Y0fOmE5xQ= ${k(keys.ecdsa)}\n`,
        { mode: 0o640 },
      );
    });

    for (const host of ['host1', '[host2]:2222', 'host2', 'a.example', 'HOST1', '10.0.0.1', 'host4', 'nowhere']) {
      it(`-F ${host} (plain, -l, -H): the same lines and exit code`, () => {
        for (const extra of [[], ['-l'], ['-H'], ['-l', '-E', 'md5']]) {
          const r = sideBySide(kh, 'known_hosts', (p) => ['-F', host, ...extra, '-f', p]);
          if (extra[0] === '-H') {
            const mask = (s: string) => s.replace(/\|1\|[^ ]+/g, 'HASHED');
            expect({ ...r.ours, stdout: mask(r.ours.stdout) }).to.deep.equal({ ...r.theirs, stdout: mask(r.theirs.stdout) });
          } else {
            expect(r.ours, extra.join(' ')).to.deep.equal(r.theirs);
          }
        }
      });
    }

    for (const host of ['host1', '[host2]:2222', 'host4', 'nowhere', 'a.example']) {
      it(`-R ${host}: the same output, file, FILE.old and modes`, () => {
        const r = sideBySide(kh, 'known_hosts', (p) => ['-R', host, '-f', p]);
        expect(r.ours).to.deep.equal(r.theirs);
        expect(readFileSync(r.a, 'utf8')).to.equal(readFileSync(r.b, 'utf8'));
        expect(statSync(r.a).mode & 0o777).to.equal(statSync(r.b).mode & 0o777);
        for (const p of [r.a, r.b]) expect(existsSync(`${p}.old`)).to.equal(host !== 'nowhere' && host !== 'a.example');
        if (existsSync(`${r.a}.old`)) expect(readFileSync(`${r.a}.old`, 'utf8')).to.equal(readFileSync(kh, 'utf8'));
      });
    }

    it('-H hashes every plain name (one line each), keeps markers, wildcards and hashed lines; OpenSSH ssh-keygen -F finds the hashed names', () => {
      const r = sideBySide(kh, 'known_hosts', (p) => ['-H', '-f', p]);
      expect(r.ours).to.deep.equal(r.theirs);
      const mask = (s: string) => s.replace(/\|1\|[^ ]+/g, 'HASHED');
      expect(mask(readFileSync(r.a, 'utf8'))).to.equal(mask(readFileSync(r.b, 'utf8')));
      expect(readFileSync(`${r.a}.old`, 'utf8')).to.equal(readFileSync(kh, 'utf8'));
      for (const host of ['host1', '10.0.0.1', '[host2]:2222', 'host3']) {
        expect(theirs(['-F', host, '-f', r.a]).code, host).to.equal(0);
        expect(mask(ours(['-F', host, '-f', r.b]).stdout)).to.equal(mask(theirs(['-F', host, '-f', r.a]).stdout));
      }
    });

    it('an invalid line, a missing file and -l with -R exit as ssh-keygen', () => {
      const bad = join(dir, 'bad_known_hosts');
      writeFileSync(bad, readFileSync(kh, 'utf8') + '@bogus host ssh-ed25519 AAAA\nonlyhost\n');
      for (const args of [['-H'], ['-R', 'host1'], ['-F', 'host1']]) {
        const r = sideBySide(bad, 'known_hosts', (p) => [...args, '-f', p]);
        expect(r.ours, args.join(' ')).to.deep.equal(r.theirs);
        expect(readFileSync(r.a, 'utf8')).to.equal(readFileSync(bad, 'utf8'));
      }
      const missing = join(dir, 'no_known_hosts');
      expect(ours(['-F', 'x', '-f', missing])).to.deep.equal(theirs(['-F', 'x', '-f', missing]));
      expect(ours(['-l', '-R', 'x', '-f', kh]).code).to.equal(theirs(['-l', '-R', 'x', '-f', kh]).code);
    });
  });

  describe('-Q and -k -u', () => {
    it('KRLs written by each tool give the same -Q lines from both; -u adds to them', () => {
      const ca = keys.ecdsa;
      const user = keys.ed25519;
      expect(theirs(['-q', '-s', ca, '-I', 'one', '-z', '5', `${user}.pub`]).code).to.equal(0);
      copyFileSync(`${keys.rsa}.pub`, join(dir, 'rsa2.pub'));
      expect(theirs(['-q', '-s', ca, '-I', 'two', '-z', '9', join(dir, 'rsa2.pub')]).code).to.equal(0);
      const spec1 = join(dir, 'spec1');
      writeFileSync(spec1, '  serial: 0x5 # hex, as strtoull(…, 0)\nid: nobody\n');
      const spec2 = join(dir, 'spec2');
      writeFileSync(spec2, `sha256: ${readFileSync(`${keys.rsa}.pub`, 'utf8')}`);
      const probe = [`${user}-cert.pub`, join(dir, 'rsa2-cert.pub'), `${user}.pub`, `${keys.rsa}.pub`];
      const krl = join(dir, 'x.krl');
      writeFileSync(krl, '');
      const make = sideBySide(krl, 'revoked.krl', (p) => ['-k', '-f', p, '-s', `${ca}.pub`, spec1]);
      expect(make.ours).to.deep.equal(make.theirs);
      for (const p of [make.a, make.b]) {
        const q = ['-Q', '-f', p, ...probe];
        const o = ours(q);
        expect(o).to.deep.equal(theirs(q));
        expect(o.code).to.equal(1);
        expect(o.stdout.split('\n').map((l) => l.replace(/^.*: /, ''))).to.deep.equal(['REVOKED', 'ok', 'ok', 'ok', '']);
        const u = ['-k', '-u', '-f', p, spec2];
        expect(ours(u).code).to.equal(0);
        const q2 = ['-Q', '-f', p, ...probe];
        expect(ours(q2)).to.deep.equal(theirs(q2));
        expect(
          theirs(q2)
            .stdout.split('\n')
            .map((l) => l.replace(/^.*: /, '')),
        ).to.deep.equal(['REVOKED', 'REVOKED', 'ok', 'REVOKED', '']);
      }
      for (const args of [
        ['-k', '-u', '-f', join(dir, 'none.krl'), spec1],
        ['-Q', '-f', spec1, `${user}.pub`],
        ['-Q', '-f', make.a, join(dir, 'nope.pub')],
      ]) {
        expect(ours(args), args.join(' ')).to.deep.equal(theirs(args));
      }
      // ssh-keygen's fatal() leaves by _exit(): what it had printed to a pipe is lost, so only stderr and the code compare
      const noCa = ['-k', '-f', join(dir, 'y.krl'), spec1];
      const [o, t] = [ours(noCa), theirs(noCa)];
      expect([o.code, o.stderr]).to.deep.equal([t.code, t.stderr]);
    });
  });

  describe('a private key file holding its certificate', () => {
    for (const t of ['ed25519', 'ecdsa', 'rsa'] as const) {
      it(`${t}: loads as the certified key; ssh-keygen -y and ours print the certificate`, async () => {
        const path = keys[t];
        const cert = join(dir, `certified_${t}`);
        copyFileSync(`${path}.pub`, `${cert}.pub`);
        expect(theirs(['-q', '-s', keys.ecdsa, '-I', `id-${t}`, '-n', 'me', `${cert}.pub`]).code).to.equal(0);
        const file = join(dir, `withcert_${t}`);
        writeFileSync(file, withCertificate(readFileSync(path, 'utf8'), readFileSync(`${cert}-cert.pub`, 'utf8')), { mode: 0o600 });
        const line = readFileSync(`${cert}-cert.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
        expect(theirs(['-y', '-f', file]).stdout.startsWith(line)).to.equal(true);
        expect(ours(['-y', '-f', file])).to.deep.equal(theirs(['-y', '-f', file]));
        const key = parsePrivateKey(readFileSync(file, 'utf8'));
        expect(key).to.be.instanceOf(CertifiedPrivateKey);
        expect(key.type).to.equal(`${key.type.replace('-cert-v01@openssh.com', '')}-cert-v01@openssh.com`);
        const sig = await key.sign(key.signatureAlgorithms[0]!, new Uint8Array([1, 2, 3]));
        expect(sig.length).to.be.greaterThan(0);
        // another key's certificate in the file is refused with a typed error
        const other = withCertificate(readFileSync(keys[t === 'ed25519' ? 'rsa' : 'ed25519'], 'utf8'), readFileSync(`${cert}-cert.pub`, 'utf8'));
        expect(() => parsePrivateKey(other)).to.throw(KeyError);
      });
    }
  });
});

/**
 * An unencrypted openssh-key-v1 file rewritten with a certificate (as sshkey_private_serialize
 * writes a certified key): the public section is the certificate, the private section's type is
 * the certificate type, then the certificate and the plain key's private fields less those the
 * certificate holds.
 */
function withCertificate(keyText: string, certLine: string): string {
  const body = base64Decode(keyText.split('\n').slice(1, -2).join(''));
  const r = new Reader(body, 15);
  r.ascii();
  r.ascii();
  r.string();
  r.u32();
  r.string();
  const section = new Reader(r.string(), 0);
  const check = section.raw(8);
  const type = section.ascii();
  const certBlob = base64Decode(certLine.split(' ')[1]!);
  const w = new Writer(4096).raw(check).string(`${type}-cert-v01@openssh.com`).string(certBlob);
  if (type === 'ssh-ed25519') {
    w.string(section.string()).string(section.string());
  } else if (type === 'ssh-rsa') {
    section.mpint();
    section.mpint();
    for (let i = 0; i < 4; i++) w.mpint(section.mpint());
  } else {
    section.string();
    section.string();
    w.mpint(section.mpint());
  }
  w.string(section.string());
  for (let pad = 1; w.length % 8 !== 0; pad++) w.u8(pad);
  const out = new Writer(8192)
    .raw(new TextEncoder().encode('openssh-key-v1\0'))
    .string('none')
    .string('none')
    .string(new Uint8Array(0))
    .u32(1)
    .string(certBlob)
    .string(w.finish())
    .finish();
  return pemEncode('OPENSSH PRIVATE KEY', out);
}
