/**
 * Constants: every export tag and every value against Net::SSH2 0.73 as installed (read
 * live from Perl), plus the short-form parsing and the error-name table (quirks included).
 */
import { expect } from 'chai';
import * as F from '../../src/facade/index.js';
import { EXPORT_TAGS, errorName, fxName, parseConstant, constant } from '../../src/facade/constants.js';
import { runPerl } from './support.js';

describe('Net::SSH2 facade constants', function () {
  this.timeout(60_000);

  it('every tag holds the same names as Net::SSH2 0.73 %EXPORT_TAGS, with the same values', async () => {
    const perl = (await runPerl(`
      my %t;
      for my $tag (keys %Net::SSH2::EXPORT_TAGS) {
        $t{$tag} = { map { my $v = eval { no strict 'refs'; &{"Net::SSH2::$_"}() }; ($_ => $v) } @{$Net::SSH2::EXPORT_TAGS{$tag}} };
      }
      out(\\%t);`)) as Record<string, Record<string, number | null>>;
    const tags = EXPORT_TAGS as unknown as Record<string, Record<string, number | undefined>>;
    for (const [tag, names] of Object.entries(perl)) {
      expect(Object.keys(tags[tag]!).sort(), tag).to.deep.equal(Object.keys(names).sort());
      for (const [name, value] of Object.entries(names)) {
        expect(tags[tag]![name] ?? null, name).to.equal(value);
        // and exported by name
        expect((F as Record<string, unknown>)[name] ?? null, `export ${name}`).to.equal(value);
      }
    }
    expect(Object.keys(tags.all!)).to.have.length(183);
    expect(Object.keys(EXPORT_TAGS.disconnect)).to.have.length(15);
    expect(EXPORT_TAGS.disconnect.SSH_DISCONNECT_BY_APPLICATION).to.equal(11);
  });

  it('parseConstant takes short strings as Net::SSH2 does', () => {
    expect(parseConstant('CHANNEL_EXTENDED_DATA', 'merge')).to.equal(2);
    expect(parseConstant('METHOD', 'KEX')).to.equal(0);
    expect(parseConstant('METHOD', 'crypt_cs')).to.equal(2);
    expect(parseConstant('HOSTKEY_HASH', 'sha1')).to.equal(2);
    expect(parseConstant('HOSTKEY_POLICY', 'tofu')).to.equal(3);
    expect(parseConstant('HOSTKEY_POLICY', 'LIBSSH2_HOSTKEY_POLICY_ASK')).to.equal(2);
    expect(parseConstant('FLAG', 'compress')).to.equal(2);
    expect(parseConstant('CALLBACK', 'disconnect')).to.equal(2);
    expect(parseConstant('METHOD', 5)).to.equal(5);
    expect(parseConstant('METHOD', 'bogus')).to.equal(undefined);
    expect(constant('LIBSSH2_FX_LOCK_CONFlICT')).to.equal(17);
  });

  it('error names match Net::SSH2 error() in list context for codes 0..-55 (doubled-prefix quirks too)', async () => {
    const perl = (await runPerl(`
      my $s = Net::SSH2->new; my %n;
      for my $c (-55 .. -1) { $s->_set_error($c, 'm'); $n{$c} = ($s->error)[1] }
      out(\\%n);`)) as Record<string, string>;
    for (const [code, name] of Object.entries(perl)) expect(errorName(Number(code)), code).to.equal(name);
    expect(fxName(2)).to.equal('SSH_FX_NO_SUCH_FILE');
  });
});
