/**
 * serveScp over an in-memory pipe and MemoryFs (and a confined NodeFs): the exact bytes a
 * client sees for scp -t and scp -f runs, failures and malformed records worded as
 * OpenSSH's scp words them, and a fuzz of the sink's record parser (typed errors, no
 * hang, nothing allocated for a size that was only announced). Plus parseScpCommand.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryFs } from '../../../src/sftp/server/memory-fs.js';
import { NodeFs } from '../../../src/sftp/server/node-fs.js';
import { serveScp } from '../../../src/sftp/server/scp.js';
import { parseScpCommand } from '../../../src/sftp/server/scp-command.js';
import { parseRecord, ScpRecordError } from '../../../src/sftp/scp-protocol.js';
import type { SftpFileSystem } from '../../../src/sftp/server/fs.js';
import type { ByteStream } from '../../../src/transport/stream.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Run serveScp with `input` as everything the client sends; returns what the server sent. */
async function run(fs: SftpFileSystem, args: string[], input: Uint8Array | string, chunk = 7): Promise<{ out: string; status: number; stderr: string }> {
  const data = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  let pos = 0;
  const sent: Uint8Array[] = [];
  const stream: ByteStream = {
    read: async () => {
      if (pos >= data.length) return null;
      const c = data.subarray(pos, pos + chunk);
      pos += c.length;
      return c;
    },
    write: (b) => void sent.push(b.slice()),
    close: () => {},
  };
  let stderr = '';
  const status = await serveScp(stream, fs, args, { stderr: (t) => (stderr += t) });
  return { out: latin1(Buffer.concat(sent)), status, stderr };
}

function memFs(): MemoryFs {
  const fs = new MemoryFs({ home: '/home/u', now: () => 1_700_000_000 });
  fs.writeFile('/home/u/a.txt', 'hello', 0o640);
  fs.mkdirp('/home/u/d/e');
  fs.writeFile('/home/u/d/e/f', 'F');
  return fs;
}

describe('serveScp (scp -t / scp -f) over MemoryFs', () => {
  it('sink: a file into a directory, acknowledged at each step', async () => {
    const fs = memFs();
    const r = await run(fs, ['-t', '--', '.'], 'C0604 6 new.txt\nworld!\0');
    expect(r).to.deep.equal({ out: '\0\0\0', status: 0, stderr: '' });
    expect(latin1(fs.readFile('/home/u/new.txt')!)).to.equal('world!');
    expect((await fs.stat(enc('/home/u/new.txt'))).mode & 0o7777).to.equal(0o604);
  });

  it('sink -p: times and the exact mode (set-id bits only with -p); without -p they are dropped', async () => {
    const fs = memFs();
    const r = await run(fs, ['scp', '-p', '-t', 'x'], 'T1000000000 0 1100000000 0\nC4755 1 ignored-name\nZ\0');
    expect(r.out).to.equal('\0\0\0\0');
    const st = await fs.stat(enc('/home/u/x'));
    expect([st.mode & 0o7777, st.mtime, st.atime]).to.deep.equal([0o4755, 1000000000, 1100000000]);
    await run(fs, ['-t', 'y'], 'C4755 1 n\nZ\0');
    expect((await fs.stat(enc('/home/u/y'))).mode & 0o7777).to.equal(0o755);
  });

  it('sink -r: D/E records build nested directories; -d refuses a target that is not one', async () => {
    const fs = memFs();
    const r = await run(fs, ['-r', '-d', '-t', 'd'], 'D0755 0 top\nC0644 2 a\nhi\0D0700 0 in\nC0600 0 z\n\0E\nE\n');
    expect(r).to.deep.include({ status: 0 });
    expect(latin1(fs.readFile('/home/u/d/top/a')!)).to.equal('hi');
    expect(fs.readFile('/home/u/d/top/in/z')!.length).to.equal(0);
    expect((await fs.stat(enc('/home/u/d/top/in'))).mode & 0o777).to.equal(0o700);
    expect(await run(fs, ['-r', '-d', '-t', 'a.txt'], '')).to.deep.include({ out: '\x01scp: a.txt: Not a directory\n', status: 1 });
    expect(await run(fs, ['-t', 'd'], 'D0755 0 top\n')).to.deep.include({ out: '\0\x01scp: protocol error: received directory without -r\n', status: 1 });
  });

  it('source: C record, data, final 0; -p adds the T record', async () => {
    const fs = memFs();
    await fs.setstat(enc('/home/u/a.txt'), { mtime: 1234567890, atime: 1234567891 });
    expect(await run(fs, ['-f', 'a.txt'], '\0\0\0')).to.deep.equal({ out: 'C0640 5 a.txt\nhello\0', status: 0, stderr: '' });
    expect((await run(fs, ['-p', '-f', '/home/u/a.txt/'], '\0\0\0\0')).out).to.equal('T1234567890 0 1234567891 0\nC0640 5 a.txt\nhello\0');
  });

  it('source -r: D, the files, E', async () => {
    const r = await run(memFs(), ['-r', '-f', 'd'], '\0'.repeat(10));
    expect(r).to.deep.equal({ out: 'D0755 0 d\nD0755 0 e\nC0644 1 f\nF\0E\nE\n', status: 0, stderr: '' });
  });

  it('failures as OpenSSH scp reports them: warnings go on, the status is 1', async () => {
    const fs = memFs();
    fs.writeFile('/home/u/locked', 'x', 0o000);
    expect(await run(fs, ['-f', 'nope', 'locked', 'd', 'a.txt'], '\0'.repeat(5))).to.deep.include({
      out: '\x01scp: nope: No such file or directory\n\x01scp: locked: Permission denied\n\x01scp: d: not a regular file\nC0640 5 a.txt\nhello\0',
      status: 1,
    });
    // a file onto a directory, a missing parent, several targets, a client's own warning
    const sink = await run(fs, ['-t', '.'], 'C0644 1 d\nC0644 1 a.txt\nQ\0\x01scp: local: oops\n');
    expect(sink).to.deep.include({ out: '\0\x01scp: ./d: Is a directory\n\0\0', status: 1 });
    expect(await run(fs, ['-t', 'no/such/f'], 'C0644 1 x\n')).to.deep.include({ out: '\0\x01scp: no/such/f: No such file or directory\n', status: 1 });
    expect(await run(fs, ['-t', 'a', 'b'], '')).to.deep.include({ out: '\x01scp: ambiguous target\n', status: 1 });
    expect(await run(fs, ['-t', '.'], '\x02scp: fatal\nC0644 1 zz\nz\0')).to.deep.include({ out: '\0', status: 1 });
    expect(fs.readFile('/home/u/zz')).to.equal(undefined);
  });

  it("malformed records end the run with OpenSSH's reason", async () => {
    const cases: [string, string][] = [
      ['\n', 'protocol error: unexpected <newline>'],
      ['C0644 1 ok\nx\0junk\n', 'protocol error: expected control record'],
      ['No match.\n', 'No match.'],
      ['C064 1 x\n', 'protocol error: bad mode'],
      ['C0648 1 x\n', 'protocol error: bad mode'],
      ['C0644x1 x\n', 'protocol error: mode not delimited'],
      ['C0644 x x\n', 'protocol error: size not present'],
      ['C0644 1x x\n', 'protocol error: size not delimited'],
      ['C0644 99999999999999999999 x\n', 'protocol error: size out of range'],
      ['C0644 1 a/b\n', 'error: unexpected filename: a/b'],
      ['C0644 1 ..\n', 'error: unexpected filename: ..'],
      ['C0644 1 \n', 'error: unexpected filename: '],
      ['T1 0 2\n', 'protocol error: atime.sec not delimited'],
      ['T1 1000000 2 0\n', 'protocol error: mtime.usec not delimited'],
      ['Tx\n', 'protocol error: mtime.sec not present'],
      ['C0644 1', 'protocol error: lost connection'],
    ];
    for (const [input, why] of cases) {
      const r = await run(memFs(), ['-t', '.'], input);
      expect(r.status, input).to.equal(1);
      expect(r.out.slice(r.out.lastIndexOf('\x01')), input).to.equal(`\x01scp: ${why}\n`);
    }
  });

  it('a huge announced size with little data: nothing allocated for it, "Broken pipe" when the input ends', async () => {
    const fs = new MemoryFs({ maxBytes: 1024 * 1024 });
    const before = process.memoryUsage().arrayBuffers;
    const r = await run(fs, ['-t', 'big'], `C0644 ${Number.MAX_SAFE_INTEGER} big\n0123456789`, 3);
    expect(process.memoryUsage().arrayBuffers - before).to.be.below(64 * 1024 * 1024);
    expect(r).to.deep.include({ out: '\0\0\x01scp: Broken pipe\n', status: 1 });
    expect(latin1(fs.readFile('/big')!)).to.equal('0123456789');
  });

  it('a full file system: the data is still read, the failure reported after it, the next file goes on', async () => {
    const fs = new MemoryFs({ maxBytes: 4 });
    const r = await run(fs, ['-t', '/'], 'C0644 8 a\n12345678\0C0644 2 b\nok\0', 1000);
    expect(r.out, JSON.stringify(r.out)).to.equal('\0\0\x01scp: /a: No space left on device\n\0\0');
    expect(r.status).to.equal(1);
    expect(latin1(fs.readFile('/b')!)).to.equal('ok');
  });

  it('usage errors go to stderr with status 1', async () => {
    expect(await run(memFs(), ['-Z', '-t', '.'], '')).to.deep.include({ out: '', status: 1 });
    expect((await run(memFs(), ['.'], '')).stderr).to.match(/^usage: scp /);
  });

  it('fuzz: any input to the sink ends with status 0 or 1, never a throw or a hang', async () => {
    const record = fc.oneof(
      fc.constantFrom('E\n', '\0', '\n', 'D0755 0 d\n', 'C0644 3 f\nabc\0', 'T1 0 2 0\n', '\x01scp: w\n', '\x02scp: f\n', 'C0644 1000000000000 huge\n'),
      fc.string({ maxLength: 40 }).map((s) => `C${s}\n`),
      fc.string({ maxLength: 40 }).map((s) => `T${s}\n`),
      fc.string({ maxLength: 40 }).map((s) => `D${s}\n`),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 12 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), async (recs, recursive, chunk) => {
        const fs = new MemoryFs({ maxBytes: 1 << 20 });
        const r = await run(fs, [...(recursive ? ['-r'] : []), '-p', '-t', '/'], recs.join(''), chunk);
        expect([0, 1]).to.include(r.status);
      }),
      { numRuns: 300 },
    );
  });

  it('fuzz: parseRecord returns a record or throws ScpRecordError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.constantFrom(0x43, 0x44, 0x54, 0x45, 0x01), (b, k) => {
        b[0] = k;
        try {
          const rec = parseRecord(b);
          if (rec.kind === 'C' || rec.kind === 'D') expect(Number.isSafeInteger(rec.size) && rec.size >= 0 && !rec.name.includes(0x2f)).to.equal(true);
        } catch (e) {
          expect(e).to.be.instanceOf(ScpRecordError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('serveScp over a confined NodeFs', () => {
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'puressh-scp-root-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('targets outside the root land inside it', async () => {
    const fs = new NodeFs({ root });
    try {
      expect((await fs.stat(enc('.'))).mode & 0o170000).to.equal(0o040000);
      const r = await run(fs, ['-t', '../../../../escaped'], 'C0644 2 x\nhi\0');
      expect(r).to.deep.include({ out: '\0\0\0', status: 0 });
      expect(readFileSync(join(root, 'escaped'), 'utf8')).to.equal('hi');
      // the root has no tmp directory: refused inside the root, never written outside
      const r2 = await run(fs, ['-t', '/tmp/escaped-scp'], 'C0644 2 x\nhi\0');
      expect(r2.out.startsWith('\0\x01scp: /tmp/escaped-scp: No such file or directory\n')).to.equal(true);
      expect(existsSync('/tmp/escaped-scp')).to.equal(false);
    } finally {
      fs.dispose();
    }
  });
});

describe('parseScpCommand', () => {
  it('splits as sh does and refuses what needs a shell', () => {
    expect(parseScpCommand('scp -v -r -p -d -t -- target')).to.deep.equal(['-v', '-r', '-p', '-d', '-t', '--', 'target']);
    expect(parseScpCommand(`scp -f 'my file' a\\ b "q\\"x\\y" 'it'\\''s'`)).to.deep.equal(['-f', 'my file', 'a b', 'q"x\\y', "it's"]);
    expect(parseScpCommand(`scp  -f\t'*.txt'`)).to.deep.equal(['-f', '*.txt']);
    for (const bad of [
      'scp -f *.txt',
      'scp -f ~/x',
      'scp -f $HOME',
      'scp -f `id`',
      'scp -t x; rm y',
      'scp -t x > y',
      'ls -t x',
      'sudo scp -t x',
      'scp -f "a$b"',
      "scp -f 'open",
    ])
      expect(parseScpCommand(bad), bad).to.equal(null);
  });
});
