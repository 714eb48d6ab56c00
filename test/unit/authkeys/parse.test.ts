/**
 * authorized_keys and authorized_principals parsing as sshd reads them (sshd(8) AUTHORIZED_KEYS
 * FILE FORMAT, auth-options.c): the man page's example file, every option, OpenSSH's quoting,
 * bad lines reported with file:line and skipped, and fuzzed input never throwing.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { parseAuthorizedKeys, parseKeyOptions, parsePrincipals, parseAbsoluteTime, KeyOptionsError } from '../../../src/authkeys/index.js';
import { formatPublicKeyLine, generateKeyPair } from '../../../src/crypto/keys/index.js';

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const ED = formatPublicKeyLine(generateKeyPair({ type: 'ed25519' }, rnd).privateKey.publicKey);
const EC = formatPublicKeyLine(generateKeyPair({ type: 'ecdsa', bits: 384 }, rnd).privateKey.publicKey);

function reason(text: string): string {
  try {
    parseKeyOptions(text);
  } catch (e) {
    expect(e).to.be.instanceOf(KeyOptionsError);
    return (e as KeyOptionsError).reason;
  }
  return 'accepted';
}

describe('authkeys: key options (auth-options.c)', () => {
  it('defaults allow everything; restrict takes it all away; later flags give back', () => {
    const d = parseKeyOptions(undefined);
    expect([d.permitPty, d.permitPortForwarding, d.permitAgentForwarding, d.permitX11Forwarding, d.permitUserRc]).to.deep.equal([true, true, true, true, true]);
    const r = parseKeyOptions('restrict,pty,command="nethack"');
    expect([r.restricted, r.permitPty, r.permitPortForwarding, r.permitAgentForwarding, r.permitX11Forwarding, r.permitUserRc]).to.deep.equal([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(r.forceCommand).to.equal('nethack');
    const re = parseKeyOptions('restrict,port-forwarding,agent-forwarding,X11-forwarding,user-rc');
    expect([re.permitPty, re.permitPortForwarding, re.permitAgentForwarding, re.permitX11Forwarding, re.permitUserRc]).to.deep.equal([
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  it('every no- flag, case-insensitively', () => {
    const o = parseKeyOptions('NO-PTY,no-port-forwarding,No-Agent-Forwarding,no-X11-forwarding,no-user-rc,no-touch-required,verify-required,cert-authority');
    expect([o.permitPty, o.permitPortForwarding, o.permitAgentForwarding, o.permitX11Forwarding, o.permitUserRc]).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([o.noRequireUserPresence, o.requireVerify, o.certAuthority]).to.deep.equal([true, true, true]);
  });

  it('values: command, environment (first wins), from, principals, permitopen/permitlisten, tunnel, expiry-time', () => {
    const o = parseKeyOptions(
      'command="echo \\"hi\\" \\\\n",environment="A=1",environment="A=2",environment="B_2=x=y",from="*.example.com,!bad.example.com,10.0.0.0/8",' +
        'principals="ops,dev",permitopen="192.0.2.1:80",permitopen="[::1]:22",permitlisten="8080",permitlisten="localhost:*",tunnel="0",expiry-time="20300101Z",expiry-time="20290101Z"',
    );
    expect(o.forceCommand).to.equal('echo "hi" \\\\n');
    expect(o.environment).to.deep.equal(['A=1', 'B_2=x=y']);
    expect(o.fromPatterns).to.equal('*.example.com,!bad.example.com,10.0.0.0/8');
    expect(o.certPrincipals).to.equal('ops,dev');
    expect(o.permitOpen).to.deep.equal(['192.0.2.1:80', '[::1]:22']);
    expect(o.permitListen).to.deep.equal(['*:8080', 'localhost:*']);
    expect(o.tunnel).to.equal(0);
    expect(o.expiresAt).to.equal(Date.UTC(2029, 0, 1) / 1000);
    expect(parseKeyOptions('tunnel="any"').tunnel).to.equal('any');
  });

  it("refuses with sshd's reasons", () => {
    const table: [string, string][] = [
      ['command="a",command="b"', 'multiple "command" clauses'],
      ['from="a",from="b"', 'multiple "from" clauses'],
      ['principals="a",principals="b"', 'multiple "principals" clauses'],
      ['command=x', 'missing start quote'],
      ['command="x', 'missing end quote'],
      ['ptyx', 'unknown key option'],
      ['restricted', 'unknown key option'],
      ['no-restrict', 'unknown key option'],
      ['frobnicate', 'unknown key option'],
      ['pty,', 'unexpected end-of-options'],
      ['expiry-time="2020"', 'invalid expires time'],
      ['expiry-time="20201301"', 'invalid expires time'],
      ['expiry-time="19700101Z"', 'invalid expires time'],
      ['environment="NOEQUALS"', 'invalid environment string'],
      ['environment="BAD-NAME=1"', 'invalid environment string'],
      ['environment="=1"', 'invalid environment string'],
      ['permitopen="host"', 'invalid permission port'],
      ['permitopen="host:0"', 'invalid permission port'],
      ['permitopen="host:70000"', 'invalid permission port'],
      ['permitopen="[::1:22"', 'invalid permission hostname'],
      ['permitopen="[::1]x22"', 'invalid permission hostname'],
      ['tunnel="x"', 'invalid tun device'],
      ['tunnel="-1"', 'invalid tun device'],
    ];
    for (const [text, want] of table) expect(reason(text), text).to.equal(want);
    expect(reason('permitopen="host:ssh"')).to.equal('accepted');
    expect(reason(',pty')).to.equal('accepted'); // an empty first option is skipped, as sshd does
  });

  it('expiry-time forms: YYYYMMDD[HHMM[SS]] with Z or UTC', () => {
    expect(parseAbsoluteTime('20300101Z')).to.equal(1893456000);
    expect(parseAbsoluteTime('203001010102Z')).to.equal(1893456000 + 62 * 60);
    expect(parseAbsoluteTime('20300101010203utc')).to.equal(1893456000 + 3723);
    expect(parseAbsoluteTime('20300101')).to.equal(new Date(2030, 0, 1).getTime() / 1000);
    expect(parseAbsoluteTime('2030010101')).to.equal(undefined);
    expect(parseAbsoluteTime('2030-1-01')).to.equal(undefined);
  });
});

describe('authkeys: authorized_keys files', () => {
  it("reads sshd(8)'s example file", () => {
    const body = ED.split(' ').slice(1).join(' ');
    const text = [
      '# Comments are allowed at start of line. Blank lines are allowed.',
      '# Plain key, no restrictions',
      `ssh-ed25519 ${body}`,
      '# Forced command, disable PTY and all forwarding',
      `restrict,command="dump /home" ssh-ed25519 ${body}`,
      '# Restriction of ssh -L forwarding destinations',
      `permitopen="192.0.2.1:80",permitopen="192.0.2.2:25" ssh-ed25519 ${body}`,
      '# Restriction of ssh -R forwarding listeners',
      `permitlisten="localhost:8080",permitlisten="[::1]:22000" ssh-ed25519 ${body}`,
      '# Configuration for tunnel forwarding',
      `tunnel="0",command="sh /etc/netstart tun0" ssh-ed25519 ${body}`,
      '# Override of restriction to allow PTY allocation',
      `restrict,pty,command="nethack" ssh-ed25519 ${body}`,
      '',
      `  from="*.sales.example.net,!pc.sales.example.net" ${EC} john@example.net`,
      `command="dump /home",no-pty,no-port-forwarding ${ED}`,
      `permitopen="192.0.2.1:80",permitopen="192.0.2.2:25" ${EC}`,
      `environment="PATH=/bin:/usr/bin" ${ED}`,
      `cert-authority,principals="ops" ${ED}`,
      `expiry-time="20300101" ${ED}`,
    ].join('\n');
    const f = parseAuthorizedKeys(text, '/home/u/.ssh/authorized_keys');
    expect(f.lines.every((l) => l.kind === 'key')).to.equal(true);
    expect(f.lines.map((l) => l.line)).to.deep.equal([3, 5, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20]);
    const k = f.lines.map((l) => (l.kind === 'key' ? l : undefined)!);
    expect(k[0]!.comment).to.equal('');
    expect(k[1]!.options.forceCommand).to.equal('dump /home');
    expect(k[1]!.location).to.equal('/home/u/.ssh/authorized_keys:5');
    expect(k[3]!.options.permitListen).to.deep.equal(['localhost:8080', '[::1]:22000']);
    expect(k[6]!.options.fromPatterns).to.equal('*.sales.example.net,!pc.sales.example.net');
    expect(k[6]!.comment).to.equal('john@example.net');
    expect(k[6]!.key.type).to.equal('ecdsa-sha2-nistp384');
    expect(k[10]!.options.certAuthority).to.equal(true);
  });

  it('reports bad lines with file:line and keeps the rest of the file', () => {
    const text = [
      `pty,bogus ${ED}`,
      `command="unterminated ${ED}`,
      'ssh-ed25519 not-base64!',
      `sk-ssh-ed25519@openssh.com AAAA x`,
      ED,
      `ssh-rsa ${ED.split(' ')[1]}`,
    ].join('\r\n');
    const f = parseAuthorizedKeys(text, 'ak');
    expect(f.lines.map((l) => (l.kind === 'key' ? 'key' : l.message))).to.deep.equal([
      'ak:1: bad key options: unknown key option',
      'ak:2: invalid key option string',
      'ak:3: no key found',
      'ak:4: no key found',
      'key',
      'ak:6: no key found',
    ]);
  });

  it('principals files: options before the last word, # comments anywhere', () => {
    const f = parsePrincipals(['ops', '  dev # the developers', 'from="10.0.0.0/8",command="x y" admin', 'bogus,opts root', '#x', ''].join('\n'), 'p');
    expect(f.lines.map((l) => (l.kind === 'principal' ? `${l.line}:${l.principal}:${l.options.forceCommand ?? ''}` : l.message))).to.deep.equal([
      '1:ops:',
      '2:dev:',
      '3:admin:x y',
      'p:4: bad principals options: unknown key option',
    ]);
  });

  it('fuzz: any text parses without throwing and without hanging', function () {
    this.timeout(60_000);
    const piece = fc.constantFrom(
      '"',
      '\\',
      ',',
      ' ',
      '\t',
      '=',
      '#',
      '\n',
      'no-',
      'pty',
      'command=',
      'from=',
      'restrict',
      'expiry-time=',
      'permitopen=',
      'environment=',
      'tunnel=',
      ED,
      'ssh-ed25519',
      'AAAA',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const f = parseAuthorizedKeys(text, 'fuzz');
        for (const l of f.lines) expect(['key', 'skipped']).to.include(l.kind);
        parsePrincipals(text, 'fuzz');
      }),
      { numRuns: 2000 },
    );
    // a long hostile line stays linear
    parseAuthorizedKeys('"'.repeat(200_000) + ' ' + ED, 'big');
    parseAuthorizedKeys('a,'.repeat(100_000) + ' ' + ED, 'big');
  });
});
