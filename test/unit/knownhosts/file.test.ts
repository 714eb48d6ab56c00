/**
 * known_hosts files: atomic write-back (a writer killed at any point leaves the old or the
 * new file, never a mix), unrelated lines kept byte for byte, file-backed policies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Ed25519PrivateKey } from '../../../src/crypto/keys/ed25519.js';
import { fingerprintSHA256 } from '../../../src/crypto/fingerprint.js';
import { addKnownHost, fileHostKeyVerifier, loadKnownHosts, saveKnownHosts, writeFileAtomic } from '../../../src/knownhosts/file.js';
import { HostKeyError } from '../../../src/errors.js';
import type { HostKeyInfo } from '../../../src/client.js';

const k1 = new Ed25519PrivateKey(new Uint8Array(32).fill(1)).publicKey;
const k2 = new Ed25519PrivateKey(new Uint8Array(32).fill(2)).publicKey;
const info = (k: typeof k1): HostKeyInfo => ({ type: k.type, algorithm: k.type, blob: k.blob, fingerprint: fingerprintSHA256(k.blob) });
const big = (tag: string) => `# ${tag}\n` + `${tag} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG/XJa2MolDRi1r2XRWMch+T9DtwiuPgVlimU69yjCjE\n`.repeat(40_000);

describe('knownhosts: files', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-khf-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is empty; save creates it (0644) and the directory (0700)', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const db = await loadKnownHosts(path);
    expect(db.toString()).to.equal('');
    db.add('h', 22, k1);
    await saveKnownHosts(path, db);
    expect(statSync(path).mode & 0o777).to.equal(0o644);
    expect(statSync(join(dir, 'sub')).mode & 0o777).to.equal(0o700);
    expect((await loadKnownHosts(path)).check('h', 22, k1).status).to.equal('match');
  });

  it('addKnownHost keeps every other byte and the file mode, leaves no temp file', async () => {
    const path = join(dir, 'known_hosts');
    const original = '# weird   spacing \t\r\n\n\n  bad line ~~~\nh0 ssh-ed25519 AAAA\n@revoked * ' + `${k2.type} ${Buffer.from(k2.blob).toString('base64')}`;
    writeFileSync(path, original);
    chmodSync(path, 0o600);
    const line = await addKnownHost(path, 'new.example', 2222, k1, { comment: 'added' });
    const text = readFileSync(path, 'utf8');
    expect(text).to.equal(`${original}\n${line}\n`);
    expect(line).to.equal(`[new.example]:2222 ssh-ed25519 ${Buffer.from(k1.blob).toString('base64')} added`);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(readdirSync(dir)).to.deep.equal(['known_hosts']);
  });

  it('concurrent addKnownHost calls all land: each appends one whole line', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const lines = await Promise.all(Array.from({ length: 24 }, (_, i) => addKnownHost(path, `h${i}.example`, 22, i % 2 ? k1 : k2)));
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').sort()).to.deep.equal(['', ...lines].sort());
    const db = await loadKnownHosts(path);
    for (let i = 0; i < 24; i++) expect(db.check(`h${i}.example`, 22, i % 2 ? k1 : k2).status, `h${i}`).to.equal('match');
    expect(statSync(join(dir, 'sub')).mode & 0o777).to.equal(0o700);
  });

  it('a writer killed mid-write never leaves a half-written file', async () => {
    const path = join(dir, 'known_hosts');
    const A = big('A');
    const B = big('B');
    writeFileSync(path, A);
    const writer = join(import.meta.dirname, 'atomic-writer.ts');
    const seen = new Set<string>();
    // Kill at a different point each round: after the k-th announced write started.
    for (let round = 0; round < 12; round++) {
      const killAt = 1 + (round % 6);
      const child = spawn(process.execPath, ['--import', 'tsx', writer, path, 'A', 'B'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const n = (buf.match(/^w\d+$/gm) ?? []).length;
          if (n > killAt) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
      });
      const now = readFileSync(path, 'utf8');
      expect(now === A || now === B, `round ${round}: file is ${now.length} bytes, neither version`).to.equal(true);
      seen.add(now === A ? 'A' : 'B');
      // the parsed file is whole: 40000 entries and one comment
      expect(now.length).to.equal(A.length);
    }
    expect(seen.size).to.be.greaterThan(0);
  });

  it('writeFileAtomic replaces content exactly (binary-safe UTF-8)', async () => {
    const path = join(dir, 'f');
    await writeFileAtomic(path, 'héllo\r\nwörld');
    expect(readFileSync(path, 'utf8')).to.equal('héllo\r\nwörld');
  });

  describe('fileHostKeyVerifier', () => {
    it('tofu: first key added to the file, then matched; a changed key refused', async () => {
      const path = join(dir, 'known_hosts');
      writeFileSync(path, '# mine\n');
      const verify = fileHostKeyVerifier(path, { host: 'srv', port: 2200, policy: 'tofu', add: { hashed: true } });
      expect(await verify(info(k1))).to.equal(true);
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('# mine\n|1|')).to.equal(true);
      expect(await verify(info(k1))).to.equal(true);
      expect(readFileSync(path, 'utf8')).to.equal(text);
      const err = await verify(info(k2)).catch((e) => e);
      expect(err).to.be.instanceOf(HostKeyError);
      expect(err.kind).to.equal('mismatch');
      expect(err.message).to.include('[srv]:2200');
      expect(err.message).to.include(fingerprintSHA256(k2.blob));
    });

    it('strict: unknown host refused, file untouched', async () => {
      const path = join(dir, 'known_hosts');
      const verify = fileHostKeyVerifier(path, { host: 'srv', policy: 'strict' });
      const err = await verify(info(k1)).catch((e) => e);
      expect(err).to.be.instanceOf(HostKeyError);
      expect(err.kind).to.equal('unknown');
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });
});
