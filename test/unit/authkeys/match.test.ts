/**
 * OpenSSH's match.c and addrmatch.c semantics: glob patterns, negated lists, host-and-address
 * lists with CIDR (IPv4 in inet_aton forms, IPv6), strict CIDR lists, match_user, match_list.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { addrMatchCidrList, addrMatchList, normalizeRemoteAddress, parseIpAddress } from '../../../src/match/address.js';
import { matchHostAndIp, matchHostname, matchList, matchPattern, matchPatternList, matchUser } from '../../../src/match/pattern.js';

describe('match: match.c patterns', () => {
  const cases: [string, string, boolean][] = [
    ['host.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['a', '?', true],
    ['ab', '?', false],
    ['', '*', true],
    ['', '', true],
    ['abc', 'a*c', true],
    ['abcbc', 'a*bc', true],
    ['abcbd', 'a*bc', false],
    ['Host', 'host', false],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '*a*a*a*a*a*a*a*a*a*a*c', false],
  ];
  for (const [s, p, want] of cases) it(`match_pattern(${JSON.stringify(s)}, ${JSON.stringify(p)}) = ${want}`, () => expect(matchPattern(s, p)).to.equal(want));

  it('agrees with a regular expression translation on random inputs', () => {
    const ch = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 12 }), fc.string({ unit: ch, maxLength: 8 }), (s, p) => {
        const re = new RegExp('^' + p.replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
        expect(matchPattern(s, p)).to.equal(re.test(s));
      }),
    );
  });

  it('pattern lists: a negated match vetoes, case folded only when asked', () => {
    expect(matchPatternList('bob', 'a*,!bob,b*', false)).to.equal(-1);
    expect(matchPatternList('bill', 'a*,!bob,b*', false)).to.equal(1);
    expect(matchPatternList('carl', 'a*,!bob,b*', false)).to.equal(0);
    expect(matchPatternList('bob', 'BOB', false)).to.equal(0);
    expect(matchPatternList('bob', 'BOB', true)).to.equal(1);
    expect(matchHostname('Web1.Example.COM', '*.EXAMPLE.com,!db*')).to.equal(1);
    expect(matchPatternList('x', 'x,' + 'y'.repeat(1023), false)).to.equal(0); // an over-long sub-pattern fails the list
  });

  it('match_list: first client entry in the server list, exactly', () => {
    expect(matchList('ops,dev', 'dev,admin')).to.equal('dev');
    expect(matchList('ops', 'o*')).to.equal(undefined);
    expect(matchList('a', 'b,,a')).to.equal(undefined);
  });

  it('match_user with user@host lists', () => {
    expect(matchUser('alice', 'gw', '10.0.0.5', 'alice@10.0.0.0/8')).to.equal(1);
    expect(matchUser('alice', 'gw', '11.0.0.5', 'alice@10.0.0.0/8')).to.equal(0);
    expect(matchUser('bob', 'gw', '10.0.0.5', 'alice@10.0.0.0/8')).to.equal(0);
    expect(matchUser('alice', 'gw', '10.0.0.5', 'al*')).to.equal(1);
    expect(matchUser('alice', 'gw', '10.0.0.5', 'alice@10.0.0.1/8')).to.equal(-1);
  });
});

describe('match: addrmatch.c address lists', () => {
  it('reads addresses as getaddrinfo(AI_NUMERICHOST) does', () => {
    expect([...parseIpAddress('127.1')!]).to.deep.equal([127, 0, 0, 1]);
    expect([...parseIpAddress('0x7f.0.0.010')!]).to.deep.equal([127, 0, 0, 8]);
    expect([...parseIpAddress('10.0')!]).to.deep.equal([10, 0, 0, 0]);
    expect(parseIpAddress('09.1.1.1')).to.equal(undefined);
    expect(parseIpAddress('1.2.3.256')).to.equal(undefined);
    expect(parseIpAddress('1.2.3.')).to.equal(undefined);
    expect(parseIpAddress('10.0.0.*')).to.equal(undefined);
    expect([...parseIpAddress('::1')!]).to.deep.equal([...new Array<number>(15).fill(0), 1]);
    expect([...parseIpAddress('::ffff:1.2.3.4')!].slice(10)).to.deep.equal([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIpAddress('1::2::3')).to.equal(undefined);
    expect(parseIpAddress('12345::')).to.equal(undefined);
    expect(parseIpAddress('1:2:3:4:5:6:7:8:9')).to.equal(undefined);
    expect(normalizeRemoteAddress('::ffff:192.0.2.1')).to.equal('192.0.2.1');
  });

  it('CIDR and wildcard entries, negation, malformed lists', () => {
    expect(addrMatchList('192.0.2.7', '192.0.2.0/24')).to.equal(1);
    expect(addrMatchList('192.0.2.7', '!192.0.2.0/28,192.0.2.0/24')).to.equal(-1);
    expect(addrMatchList('192.0.2.77', '!192.0.2.0/28,192.0.2.0/24')).to.equal(1);
    expect(addrMatchList('192.0.2.7', '192.0.2.*')).to.equal(1);
    expect(addrMatchList('192.0.2.7', '10.0.0.0/8')).to.equal(0);
    expect(addrMatchList('192.0.2.7', '192.0.2.1/24')).to.equal(-2); // host bits set
    expect(addrMatchList('192.0.2.7', 'a,,b')).to.equal(-2);
    expect(addrMatchList('192.0.2.7', '!')).to.equal(-2);
    expect(addrMatchList('2001:db8::5', '2001:db8::/32')).to.equal(1);
    expect(addrMatchList('2001:db9::5', '2001:db8::/32')).to.equal(0);
    expect(addrMatchList('192.0.2.7', '0.0.0.0/0')).to.equal(1);
    expect(addrMatchList('::1', '0.0.0.0/0')).to.equal(0); // families never match across
    expect(addrMatchList('192.0.2.7', '192.0.2.0/33')).to.equal(-2);
    expect(addrMatchList(undefined, '192.0.2.0/24,*.example.com')).to.equal(0);
  });

  it('strict CIDR lists (certificate source-address)', () => {
    expect(addrMatchCidrList('10.1.2.3', '10.0.0.0/8,192.0.2.1')).to.equal(1);
    expect(addrMatchCidrList('10.1.2.3', '192.0.2.1')).to.equal(0);
    expect(addrMatchCidrList('10.1.2.3', '10.*')).to.equal(-1);
    expect(addrMatchCidrList('10.1.2.3', '10.0.0.0/8,')).to.equal(-1);
    expect(addrMatchCidrList('10.1.2.3', '10.0.0.1/8')).to.equal(-1);
    expect(addrMatchCidrList('not-an-address', '10.0.0.0/8')).to.equal(0);
  });

  it('from= host-and-address lists (match_host_and_ip)', () => {
    expect(matchHostAndIp('gw.example.com', '192.0.2.7', '*.example.com')).to.equal(1);
    expect(matchHostAndIp('gw.example.com', '192.0.2.7', '192.0.2.0/24,!gw.*')).to.equal(0);
    expect(matchHostAndIp('gw.example.com', '192.0.2.7', '!192.0.2.7,*')).to.equal(0);
    expect(matchHostAndIp('GW.EXAMPLE.COM', '192.0.2.7', '*.example.com')).to.equal(1);
    expect(matchHostAndIp('gw', '192.0.2.7', '10.0.0.0/8')).to.equal(0);
    expect(matchHostAndIp('gw', '192.0.2.7', '192.0.2.1/24')).to.equal(-1);
  });
});
