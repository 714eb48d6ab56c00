/** StrictModes as sshd checks it (misc.c safe_path), and its log lines, on real files. */
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadAuthorizedKeys } from '../../../src/node.js';

describe('authkeys: StrictModes (safe_path)', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'puressh-strict-')));
  const home = join(base, 'home');
  const file = join(home, '.ssh', 'authorized_keys');
  const account = { name: 'u', uid: userInfo().uid, home };
  before(() => {
    chmodSync(base, 0o755);
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    chmodSync(home, 0o755);
    writeFileSync(file, 'bogus\n', { mode: 0o600 });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('a safe path is read', async () => {
    const r = await loadAuthorizedKeys(file, account);
    expect(r.log).to.deep.equal([]);
    expect(r.file?.lines.length).to.equal(1);
  });

  it('a group-writable file or directory is refused in sshd words', async () => {
    chmodSync(file, 0o620);
    expect((await loadAuthorizedKeys(file, account)).log).to.deep.equal([`Authentication refused: bad ownership or modes for file ${file}`]);
    chmodSync(file, 0o600);
    chmodSync(join(home, '.ssh'), 0o770);
    const r = await loadAuthorizedKeys(file, account);
    expect(r.file).to.equal(null);
    expect(r.log).to.deep.equal([`Authentication refused: bad ownership or modes for directory ${join(home, '.ssh')}`]);
    expect((await loadAuthorizedKeys(file, account, false)).file).not.to.equal(null);
    chmodSync(join(home, '.ssh'), 0o700);
  });

  it('a missing file or a directory is reported as sshd does', async () => {
    expect((await loadAuthorizedKeys(join(home, 'nope'), account)).log).to.deep.equal([
      `Could not open user 'u' authorized keys '${join(home, 'nope')}': No such file or directory`,
    ]);
    expect((await loadAuthorizedKeys(join(home, '.ssh'), account)).log).to.deep.equal([
      `User 'u' authorized keys '${join(home, '.ssh')}' is not a regular file`,
    ]);
  });
});
