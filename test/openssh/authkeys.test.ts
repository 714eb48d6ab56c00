/**
 * Differential: the real OpenSSH sshd and puressh's evaluator decide the same authorized_keys
 * lines. For each row the file is rewritten, OpenSSH's ssh logs in with one key or certificate,
 * and sshd's verdict (accepted or not, forced command or not, environment= value) is compared
 * with authorizeKey's for the same file, key, user and address.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { authorizeKey, parseAuthorizedKeys } from '../../src/authkeys/index.js';
import { parsePublicKeyLine, type PublicKey } from '../../src/crypto/keys/index.js';
import { generateKey, startSshd, type Sshd } from '../support/sshd.js';

const REMOTE = 'echo "plain FOO=$FOO"';
const FORCED = 'echo "forced FOO=$FOO"';

interface Login {
  ok: boolean;
  out: string;
}

function login(s: Sshd, keyPath: string): Promise<Login> {
  const args = ['-F', '/dev/null', '-i', keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${s.knownHostsPath}`];
  args.push('-o', 'StrictHostKeyChecking=yes', '-p', String(s.port), `${s.user}@127.0.0.1`, REMOTE);
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 60_000 }, (e, stdout) => resolve({ ok: !e, out: stdout.trim() }));
  });
}

function keygen(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('ssh-keygen', args, (e, _o, stderr) => (e ? reject(new Error(stderr)) : resolve())));
}

describe('authkeys vs OpenSSH sshd: same decisions on authorized_keys lines', function () {
  this.timeout(300_000);
  let s: Sshd;
  const keys: Record<string, { path: string; line: string; presented: PublicKey }> = {};
  before(async () => {
    s = await startSshd({ config: ['PermitUserEnvironment yes'], hostKeyTypes: ['ed25519'] });
    const make = async (name: string, sign?: string[]): Promise<void> => {
      const path = join(s.dir, `id_${name}`);
      const line = await generateKey('ed25519', path);
      let presented = parsePublicKeyLine(line).key;
      if (sign) {
        await keygen(['-q', '-s', join(s.dir, 'id_ca'), '-I', `${name}-id`, '-z', '9', ...sign, `${path}.pub`]);
        presented = parsePublicKeyLine(readFileSync(`${path}-cert.pub`, 'utf8')).key;
      }
      keys[name] = { path, line, presented };
    };
    await make('ca');
    await make('plain');
    await make('other');
    await make('certUser', ['-n', s.user]);
    await make('certOther', ['-n', 'someone-else']);
    await make('certForced', ['-n', s.user, '-O', `force-command=${FORCED}`, '-O', 'source-address=127.0.0.1/32']);
    await make('certFar', ['-n', s.user, '-O', 'source-address=10.0.0.0/8']);
    await make('certExpired', ['-n', s.user, '-V', '20200101:20200102']);
    await make('certNoPrincipals', []);
  });
  after(async () => {
    await s?.stop();
  });

  const P = (): string => keys.plain!.line;
  const CA = (): string => keys.ca!.line;
  const rows: [string, string, () => string][] = [
    ['a plain line', 'plain', () => P()],
    ['another key only', 'plain', () => keys.other!.line],
    ['from= excluding us', 'plain', () => `from="10.0.0.0/8" ${P()}`],
    ['from= including us', 'plain', () => `from="127.0.0.1" ${P()}`],
    ['from= CIDR', 'plain', () => `from="127.0.0.0/8" ${P()}`],
    ['from= negated', 'plain', () => `from="!127.0.0.1,*" ${P()}`],
    ['from= with host bits set', 'plain', () => `from="127.0.0.1/8" ${P()}`],
    ['command=', 'plain', () => `command="${FORCED.replace(/"/g, '\\"')}" ${P()}`],
    ['restrict,pty,command=', 'plain', () => `restrict,pty,command="${FORCED.replace(/"/g, '\\"')}" ${P()}`],
    ['expiry-time in the past', 'plain', () => `expiry-time="20200101" ${P()}`],
    ['expiry-time in the future', 'plain', () => `expiry-time="20991231Z" ${P()}`],
    ['environment=', 'plain', () => `environment="FOO=bar baz" ${P()}`],
    ['environment= twice: first wins', 'plain', () => `environment="FOO=one",environment="FOO=two" ${P()}`],
    ['a bad option line, then a good line', 'plain', () => `bogus ${P()}\nno-pty ${P()}`],
    ['only a bad option line', 'plain', () => `no-pty,bogus ${P()}`],
    ['unterminated quote', 'plain', () => `command="x ${P()}`],
    ['principals= on a plain key', 'plain', () => `principals="x" ${P()}`],
    ['cert-authority on the plain key itself', 'plain', () => `cert-authority ${P()}`],
    ['certificate: cert-authority', 'certUser', () => `cert-authority ${CA()}`],
    ['certificate: CA line without cert-authority', 'certUser', () => CA()],
    ['certificate: other principal', 'certOther', () => `cert-authority ${CA()}`],
    ['certificate: principals= names it', 'certOther', () => `cert-authority,principals="ops,someone-else" ${CA()}`],
    ['certificate: principals= does not name it', 'certUser', () => `cert-authority,principals="ops" ${CA()}`],
    ['certificate: force-command and source-address', 'certForced', () => `cert-authority ${CA()}`],
    ['certificate: same command on both', 'certForced', () => `cert-authority,command="${FORCED.replace(/"/g, '\\"')}" ${CA()}`],
    ['certificate: different commands', 'certForced', () => `cert-authority,command="echo other" ${CA()}`],
    ['certificate: source-address excluding us', 'certFar', () => `cert-authority ${CA()}`],
    ['certificate: expired', 'certExpired', () => `cert-authority ${CA()}`],
    ['certificate: no principals', 'certNoPrincipals', () => `cert-authority ${CA()}`],
    ['certificate: environment= from the CA line', 'certUser', () => `cert-authority,environment="FOO=ca" ${CA()}`],
  ];

  const seen = new Set<string>();
  for (const [name, key, text] of rows) {
    it(name, async () => {
      const body = text() + '\n';
      writeFileSync(s.authorizedKeysPath, body);
      const sshd = await login(s, keys[key]!.path);
      const ours = authorizeKey(keys[key]!.presented, [parseAuthorizedKeys(body, s.authorizedKeysPath)], { user: s.user, address: '127.0.0.1' });
      const predicted = ours.allowed
        ? `${ours.options.forceCommand !== undefined ? 'forced' : 'plain'} FOO=${ours.options.environment.find((e) => e.startsWith('FOO='))?.slice(4) ?? ''}`
        : 'refused';
      const actual = sshd.ok ? sshd.out : 'refused';
      seen.add(actual);
      expect(predicted, ours.log.join('\n')).to.equal(actual);
    });
  }

  it('the table exercised every kind of verdict', () => {
    for (const v of ['refused', 'plain FOO=', 'forced FOO=', 'plain FOO=bar baz', 'plain FOO=one', 'plain FOO=ca']) expect([...seen]).to.include(v);
  });
});
