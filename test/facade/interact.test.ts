/**
 * auth_password_interact reads the password from a real terminal (a pseudo-terminal from
 * util-linux `script`) without echo, restores the terminal afterwards (also on Ctrl-C), and
 * from piped stdin reads one line per try. The password must never appear in the output.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { startFixture, type Fixture } from './support.js';

const FACADE = new URL('../../src/facade/index.ts', import.meta.url).pathname;

/** A child node process running `body` (with `ss` connected to sshd) and printing markers. */
function childScript(f: Fixture, body: string): string {
  return `
import { SSH2 } from ${JSON.stringify(FACADE)};
const ss = new SSH2({ timeout: 30000 });
await ss.connect(${JSON.stringify(f.sshd.host)}, ${f.sshd.port});
process.stdout.write('READY\\n');
${body}
process.exit(0);
`;
}

interface Run {
  output(): string;
  send(text: string): void;
  waitFor(re: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

function run(argv: string[], env: Record<string, string> = {}): Run {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const listeners: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const l of listeners.slice()) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    output: () => out,
    send: (text) => void child.stdin.write(text),
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(out)) {
            listeners.splice(listeners.indexOf(check), 1);
            resolve();
          }
        };
        listeners.push(check);
        void exited.then(() => (re.test(out) ? resolve() : reject(new Error(`exited before ${re}: ${out}`))));
        check();
      }),
    exited,
  };
}

/** `node --import tsx --input-type=module -e script` inside a pseudo-terminal. */
function inPty(script: string): Run {
  const cmd = ['node', '--import', 'tsx', '--input-type=module', '-e', script].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return run(['script', '-qfec', cmd, '/dev/null'], { TERM: 'dumb' });
}

describe('Net::SSH2 facade: auth_password_interact on a terminal and on a pipe', function () {
  this.timeout(120_000);
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.sshd.stop();
  });

  it('on a pseudo-terminal: no echo of the password, one retry after a wrong one, echo restored afterwards', async () => {
    const r = inPty(
      childScript(
        f,
        `const rc = await ss.auth_password_interact(${JSON.stringify(f.user.name)});
process.stdout.write('RESULT ' + rc + ' raw=' + process.stdin.isRaw + '\\n');
const seen = await ss._ask_user('visible? ', true);
process.stdout.write('GOT ' + seen + '\\n');`,
      ),
    );
    await r.waitFor(/READY/);
    await r.waitFor(/password\? /);
    r.send('wrong-Secret-1\r');
    await r.waitFor(/Password authentication failed!\r?\n.*password\? /s);
    r.send(`${f.user.password}\r`);
    await r.waitFor(/visible\? /);
    r.send('shown-text\r');
    expect(await r.exited).to.equal(0);
    const out = r.output();
    expect(out).to.match(/RESULT true raw=false/);
    expect(out).to.not.include(f.user.password);
    expect(out).to.not.include('wrong-Secret-1');
    // echo is back on: the terminal itself shows the typed text, then the program prints it
    expect(out).to.match(/visible\? shown-text\r?\n[^]*GOT shown-text/);
  });

  it('on a pseudo-terminal: backspace edits the hidden line; Ctrl-C restores the terminal and raises SIGINT', async () => {
    const r = inPty(
      childScript(
        f,
        `process.on('SIGINT', () => { process.stdout.write('SIGINT raw=' + process.stdin.isRaw + ' error=' + ss.error() + '\\n'); process.exit(0); });
const rc = await ss.auth_password_interact(${JSON.stringify(f.user.name)});
process.stdout.write('RESULT ' + rc + '\\n');
await new Promise((r) => setTimeout(r, 60000));`,
      ),
    );
    await r.waitFor(/password\? /);
    r.send(`${f.user.password}xy\x7f\x7f\r`);
    await r.waitFor(/RESULT/);
    expect(r.output()).to.match(/RESULT true/);
    expect(r.output()).to.not.include(f.user.password);
    const c = inPty(
      childScript(
        f,
        `process.on('SIGINT', () => { process.stdout.write('SIGINT raw=' + process.stdin.isRaw + '\\n'); process.exit(0); });
const rc = await ss.auth_password_interact(${JSON.stringify(f.user.name)});
process.stdout.write('RESULT ' + rc + ' error=' + ss.error() + '\\n');
await new Promise((r) => setTimeout(r, 60000));`,
      ),
    );
    await c.waitFor(/password\? /);
    c.send('secret-typed\x03');
    await c.waitFor(/SIGINT/);
    expect(await c.exited).to.equal(0);
    // the handler runs with the terminal back in normal mode (RESULT may print before it or not at all)
    expect(c.output()).to.match(/SIGINT raw=false/);
    expect(c.output()).to.not.match(/RESULT true/);
    expect(c.output()).to.not.include('secret-typed');
    r.send('\x03');
    await r.exited;
  });

  it('on piped stdin: one line per try (several lines in one chunk), the prompt on stderr, no password in the output', async () => {
    const r = run([
      'node',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      childScript(
        f,
        `const rc = await ss.auth_password_interact(${JSON.stringify(f.user.name)});
process.stdout.write('RESULT ' + rc + '\\n');`,
      ),
    ]);
    await r.waitFor(/READY/);
    r.send(`wrong-1\nwrong-2\n${f.user.password}\n`);
    expect(await r.exited).to.equal(0);
    const out = r.output();
    expect(out).to.match(/RESULT true/);
    expect(out.match(/password\? /g)).to.have.length(3);
    expect(out.match(/Password authentication failed!/g)).to.have.length(2);
    expect(out).to.not.include(f.user.password);
    expect(out).to.not.include('wrong-1');
  });
});
