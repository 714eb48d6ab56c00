/**
 * The sftp CLI's pure parts: glob(3) matching and expansion, sftp's argument splitting with
 * its glob escapes, how names are written (utf8.c mprintf, log.c strnvis), fmt_scaled(3)
 * and strmode(3). The command behaviour itself is compared with OpenSSH's sftp in
 * test/openssh/sftp-commands.test.ts.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { byteCompare, glob, hasMagic, matchComponent, quoteGlob, unquote, type GlobFs } from '../../../src/cli/sftp-glob.js';
import { logVisible, utf8Locale, visible } from '../../../src/cli/sftp-output.js';
import { splitWords, undoGlobEscape } from '../../../src/cli/sftp-commands.js';
import { fmtScaled, strmode } from '../../../src/cli/sftp-ls.js';
import { decodeName } from '../../../src/sftp/names.js';

describe('sftp CLI: glob matching', () => {
  const cases: [string, string, boolean][] = [
    ['caf*', 'cafe.txt', true],
    ['caf*', 'caf', true],
    ['caf*', 'ca', false],
    ['c?f2', 'caf2', true],
    ['c?f2', 'cf2', false],
    ['*.log', 'a.log', true],
    ['*.log', 'a.log.1', false],
    ['[ab].txt', 'b.txt', true],
    ['[ab].txt', 'c.txt', false],
    ['[!ab].txt', 'c.txt', true],
    ['[!ab].txt', 'a.txt', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[]]', ']', true],
    ['[', '[', true],
    ['caf\\*', 'caf*', true],
    ['caf\\*', 'cafe', false],
    ['*é*', 'café', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
  ];
  for (const [p, n, want] of cases) {
    it(`${JSON.stringify(p)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(n)}`, () => expect(matchComponent(p, n)).to.equal(want));
  }

  it('a quoted name matches itself and only needs unquoting to come back', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('/')),
        (s) => {
          expect(matchComponent(quoteGlob(s), s)).to.equal(true);
          expect(unquote(quoteGlob(s))).to.equal(s);
          expect(hasMagic(quoteGlob(s))).to.equal(false);
        },
      ),
    );
  });

  const tree: Record<string, string[] | null> = { '/d/': ['.', '..', '.hid', 'b', 'a', 'sub', 'link'], '/d/sub/': ['x.log', 'y.txt'] };
  const kinds: Record<string, 'f' | 'd' | 'l'> = { '/d': 'd', '/d/a': 'f', '/d/b': 'f', '/d/.hid': 'f', '/d/.': 'd', '/d/..': 'd', '/d/sub': 'd' };
  Object.assign(kinds, { '/d/link': 'l', '/d/sub/x.log': 'f', '/d/sub/y.txt': 'f' });
  const fs: GlobFs<'f' | 'd' | 'l'> = {
    readdir: async (dir) => tree[dir.endsWith('/') ? dir : `${dir}/`] ?? null,
    lstat: async (p) => kinds[p.replace(/\/$/, '')] ?? null,
    stat: async (p) => (kinds[p.replace(/\/$/, '')] === 'l' ? 'd' : (kinds[p.replace(/\/$/, '')] ?? null)),
    isDir: (s) => s === 'd',
    isLink: (s) => s === 'l',
  };

  it('expands in byte order, skips dot files unless the pattern starts with a dot, marks directories', async () => {
    expect(await glob('/d/*', fs, { mark: true })).to.deep.include({ paths: ['/d/a', '/d/b', '/d/link/', '/d/sub/'], matched: 4 });
    expect((await glob('/d/*', fs)).paths).to.deep.equal(['/d/a', '/d/b', '/d/link', '/d/sub']);
    expect((await glob('/d/.*', fs)).paths).to.deep.equal(['/d/.', '/d/..', '/d/.hid']);
    expect((await glob('/d/*/*.log', fs)).paths).to.deep.equal(['/d/sub/x.log']);
    expect((await glob('/d/*', fs, { sort: false })).paths).to.deep.equal(['/d/b', '/d/a', '/d/sub', '/d/link']);
  });

  it('a literal path matches when it exists; nothing matching gives NOCHECK the pattern itself', async () => {
    expect(await glob('/d/a', fs)).to.deep.include({ paths: ['/d/a'], matched: 1 });
    expect(await glob('/d/zz*', fs)).to.deep.include({ paths: [], matched: 0 });
    expect(await glob('/d/zz\\*', fs, { nocheck: true })).to.deep.equal({ paths: ['/d/zz\\*'], stats: [null], matched: 0 });
  });

  it('orders names by their bytes (strcmp), not by UTF-16 code units', () => {
    const latin = decodeName(Uint8Array.from([0xe9])); // an undecodable byte, U+DCE9 in the string
    expect(['\uffff', latin, '\ud7ff', 'é'].sort(byteCompare)).to.deep.equal(['é', latin, '\ud7ff', '\uffff']);
  });
});

describe('sftp CLI: splitting command lines as sftp.c makeargv', () => {
  it('splits on blanks, honours quotes and backslashes, stops at #', () => {
    expect(splitWords('get  a "b c" \'d e\' f\\ g # comment')).to.deep.equal(['get', 'a', 'b c', 'd e', 'f g']);
    expect(splitWords('put "a\\"b"')).to.deep.equal(['put', 'a"b']);
    expect(splitWords('ls "#x"')).to.deep.equal(['ls', '#x']);
    expect(splitWords('')).to.deep.equal([]);
  });
  it('keeps glob characters that were quoted or escaped escaped (for glob to undo)', () => {
    expect(splitWords('ls "caf*" caf\\* c?f \'[x]\'')).to.deep.equal(['ls', 'caf\\*', 'caf\\*', 'c?f', '\\[x]']);
    expect(undoGlobEscape('caf\\*\\?\\[\\\\x\\y')).to.equal('caf*?[\\x\\y');
  });
  it('refuses unterminated quotes and too many arguments', () => {
    expect(() => splitWords('ls "open')).to.throw('Unterminated quoted argument');
    expect(() => splitWords(`rm ${'x '.repeat(130)}`)).to.throw('Too many arguments.');
  });
});

describe('sftp CLI: names on stdout and stderr', () => {
  const name = decodeName(Buffer.from('caf\xc3\xa9 n\xe9e \x01\x7f\\', 'latin1'));
  it('UTF-8 locale: printable characters as they are, other bytes \\ooo', () => {
    expect(visible(name, true).toString('latin1')).to.equal('caf\xc3\xa9 n\\351e \\001\\177\\');
  });
  it('other locales: every byte outside printable ASCII \\ooo', () => {
    expect(visible(name, false).toString('latin1')).to.equal('caf\\303\\251 n\\351e \\001\\177\\');
  });
  it('stderr (strnvis VIS_SAFE|VIS_OCTAL): non-ASCII \\ooo and the backslash doubled', () => {
    expect(logVisible(name).toString('latin1')).to.equal('caf\\303\\251 n\\351e \\001\\177\\\\');
  });
  it('the locale from LC_ALL, LC_CTYPE, LANG in that order', () => {
    expect(utf8Locale({ LANG: 'en_US.UTF-8' })).to.equal(true);
    expect(utf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).to.equal(false);
    expect(utf8Locale({ LC_CTYPE: 'C.utf8' })).to.equal(true);
    expect(utf8Locale({})).to.equal(false);
  });
});

describe('sftp CLI: ls -l fields', () => {
  it('fmt_scaled(3)', () => {
    const want: [bigint, string][] = [
      [0n, '0B'],
      [3n, '3B'],
      [1023n, '1023B'],
      [1024n, '1.0K'],
      [4096n, '4.0K'],
      [5000n, '4.9K'],
      [10239n, '10.0K'],
      [102400n, '100K'],
      [270_582_939_648n, '252G'],
      [23_514_945_126n, '21.9G'],
    ];
    for (const [n, s] of want) expect(fmtScaled(n), String(n)).to.equal(s);
  });
  it('strmode(3), with setuid/setgid/sticky and the file type', () => {
    expect(strmode(0o100644)).to.equal('-rw-r--r-- ');
    expect(strmode(0o040755)).to.equal('drwxr-xr-x ');
    expect(strmode(0o120777)).to.equal('lrwxrwxrwx ');
    expect(strmode(0o106754)).to.equal('-rwsr-sr-- ');
    expect(strmode(0o041777)).to.equal('drwxrwxrwt ');
    expect(strmode(0o107644)).to.equal('-rwSr-Sr-T ');
    expect(strmode(0o010600)).to.equal('prw------- ');
  });
});
