/**
 * keyboard-interactive with several prompts over several rounds, and the password change
 * request (which OpenSSH's sshd never sends), against python3-asyncssh running a server
 * script generated here: the test decides every prompt and checks every answer the server
 * received (the script reports them on stdout).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { AuthError } from '../../src/errors.js';
import type { KbdChallenge } from '../../src/auth/keyboard-interactive.js';
import type { PasswordChangeRequest } from '../../src/auth/password.js';
import { generateKey } from '../support/sshd.js';

const PYTHON = '/usr/bin/python3';

interface Round {
  name: string;
  instruction: string;
  prompts: { prompt: string; echo: boolean; answer: string }[];
}
interface Config {
  kbdint?: Round[];
  /** password auth: this one is expired and must be changed to `newPassword` */
  oldPassword?: string;
  newPassword?: string;
}

const SCRIPT = String.raw`
import asyncio, json, sys, warnings
warnings.filterwarnings('ignore')
import asyncssh

cfg = json.load(open(sys.argv[1]))
def report(**ev):
    print(json.dumps(ev), flush=True)

def challenge(i):
    r = cfg['kbdint'][i]
    return (r['name'], r['instruction'], '', [(p['prompt'], p['echo']) for p in r['prompts']])

class Server(asyncssh.SSHServer):
    def begin_auth(self, username):
        self.round = 0
        return True
    def kbdint_auth_supported(self):
        return 'kbdint' in cfg
    def get_kbdint_challenge(self, username, lang, submethods):
        report(event='kbdint-start', user=username, submethods=submethods)
        self.round = 0
        return challenge(0)
    def validate_kbdint_response(self, username, responses):
        report(event='kbdint-answers', round=self.round, answers=list(responses))
        want = [p['answer'] for p in cfg['kbdint'][self.round]['prompts']]
        if list(responses) != want:
            return False
        self.round += 1
        return True if self.round == len(cfg['kbdint']) else challenge(self.round)
    def password_auth_supported(self):
        return 'oldPassword' in cfg
    def validate_password(self, username, password):
        report(event='password', password=password)
        if password == cfg['oldPassword']:
            raise asyncssh.PasswordChangeRequired('Your password has expired.')
        return password == cfg['newPassword']
    def change_password(self, username, old_password, new_password):
        report(event='change', old=old_password, new=new_password)
        if old_password != cfg['oldPassword']:
            return False
        if new_password != cfg['newPassword']:
            raise asyncssh.PasswordChangeRequired('That password is too weak.')
        return True

async def handle(process):
    process.stdout.write('hello ' + process.get_extra_info('username') + '\n')
    process.exit(0)

async def main():
    server = await asyncssh.create_server(Server, '127.0.0.1', 0, server_host_keys=[sys.argv[2]], process_factory=handle)
    report(port=server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()

asyncio.run(main())
`;

interface Running {
  port: number;
  hostKeyBlob: string;
  events: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function startServer(cfg: Config): Promise<Running> {
  const probe = spawnSync(PYTHON, ['-c', 'import asyncssh'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error('python3-asyncssh is missing: apt-get install -y python3-asyncssh');
  const dir = mkdtempSync(join(tmpdir(), 'puressh-kbd-'));
  const pub = await generateKey('ed25519', join(dir, 'host_key'));
  writeFileSync(join(dir, 'server.py'), SCRIPT);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const child: ChildProcess = spawn(PYTHON, [join(dir, 'server.py'), join(dir, 'config.json'), join(dir, 'host_key')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        if (typeof ev.port === 'number') resolve(ev.port);
        else events.push(ev);
      }
    });
    child.once('exit', (code) => reject(new Error(`asyncssh server exited (${code}): ${stderr}`)));
  });
  return {
    port,
    hostKeyBlob: Buffer.from(parsePublicKeyLine(pub).key.blob).toString('base64'),
    events,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server reports over a pipe: wait until it has reported `n` events (or 10 s). */
async function eventsSoFar(s: Running, n: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 500 && s.events.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return s.events;
}

function options(s: Running, extra: Partial<NodeConnectOptions>): NodeConnectOptions {
  return {
    host: '127.0.0.1',
    port: s.port,
    username: 'kbduser',
    hostKeyVerifier: (i) => Buffer.from(i.blob).toString('base64') === s.hostKeyBlob,
    timeout: 20_000,
    ...extra,
  };
}

const ROUNDS: Round[] = [
  {
    name: 'Two-factor login',
    instruction: 'Answer both questions.',
    prompts: [
      { prompt: 'Password: ', echo: false, answer: 'hunter2' },
      { prompt: 'Favourite colour: ', echo: true, answer: 'blue' },
    ],
  },
  { name: '', instruction: 'Almost there', prompts: [{ prompt: 'One-time code: ', echo: false, answer: '492817' }] },
  {
    name: 'Last round',
    instruction: '',
    prompts: [
      { prompt: 'City: ', echo: true, answer: 'Zürich' },
      { prompt: 'PIN: ', echo: false, answer: '0000' },
      { prompt: 'Confirm: ', echo: true, answer: 'yes' },
    ],
  },
];

describe('auth against python3-asyncssh (prompts the test controls)', function () {
  this.timeout(60_000);

  describe('keyboard-interactive, 3 rounds with 2, 1 and 3 prompts', () => {
    let s: Running;
    before(async () => {
      s = await startServer({ kbdint: ROUNDS });
    });
    after(() => s?.stop());

    it('every round reaches the callback as sent, every answer reaches the server', async () => {
      s.events.length = 0;
      const seen: KbdChallenge[] = [];
      const answers = new Map(ROUNDS.flatMap((r) => r.prompts.map((p) => [p.prompt, p.answer] as const)));
      const c = await connect(options(s, { keyboardInteractive: (ch) => (seen.push(ch), ch.prompts.map((p) => answers.get(p.prompt)!)) }));
      expect(c.authMethod).to.equal('keyboard-interactive');
      expect(seen.map((ch) => ({ name: ch.name, instruction: ch.instruction, prompts: ch.prompts }))).to.deep.equal(
        ROUNDS.map((r) => ({ name: r.name, instruction: r.instruction, prompts: r.prompts.map(({ prompt, echo }) => ({ prompt, echo })) })),
      );
      expect(await eventsSoFar(s, 4)).to.deep.equal([
        { event: 'kbdint-start', user: 'kbduser', submethods: '' },
        ...ROUNDS.map((r, i) => ({ event: 'kbdint-answers', round: i, answers: r.prompts.map((p) => p.answer) })),
      ]);
      const r = await c.run('x');
      expect(new TextDecoder().decode(r.stdout)).to.equal('hello kbduser\n');
      await c.disconnect();
    });

    it('a wrong answer in round 2 fails the login', async () => {
      s.events.length = 0;
      const e = await connect(
        options(s, {
          keyboardInteractive: (ch) =>
            ch.prompts.map((p) => (p.prompt === 'One-time code: ' ? '000000' : ROUNDS.flatMap((r) => r.prompts).find((q) => q.prompt === p.prompt)!.answer)),
        }),
      ).catch((x) => x);
      expect(e).to.be.instanceOf(AuthError);
      expect((await eventsSoFar(s, 3)).filter((ev) => ev.event === 'kbdint-answers').map((ev) => ev.round)).to.deep.equal([0, 1]);
    });
  });

  describe('password change request', () => {
    let s: Running;
    before(async () => {
      s = await startServer({ oldPassword: 'old-pass', newPassword: 'N3w-Pass!' });
    });
    after(() => s?.stop());

    it('the callback is asked; a refused new password asks again; old and new reach the server', async () => {
      s.events.length = 0;
      const asked: PasswordChangeRequest[] = [];
      const c = await connect(options(s, { password: 'old-pass', passwordChange: (r) => (asked.push(r), r.attempt === 1 ? 'weak' : 'N3w-Pass!') }));
      expect(c.authMethod).to.equal('password');
      expect(asked.map((a) => [a.attempt, a.prompt, a.username])).to.deep.equal([
        [1, 'Your password has expired.', 'kbduser'],
        [2, 'That password is too weak.', 'kbduser'],
      ]);
      expect(await eventsSoFar(s, 3)).to.deep.equal([
        { event: 'password', password: 'old-pass' },
        { event: 'change', old: 'old-pass', new: 'weak' },
        { event: 'change', old: 'old-pass', new: 'N3w-Pass!' },
      ]);
      await c.disconnect();
    });

    it('without a callback: PASSWORD_EXPIRED (libssh2 -15)', async () => {
      const e = await connect(options(s, { password: 'old-pass' })).catch((x) => x);
      expect(e).to.be.instanceOf(AuthError);
      expect(e.code).to.equal('PASSWORD_EXPIRED');
      expect(e.errno).to.equal(-15);
    });
  });
});
