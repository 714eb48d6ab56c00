import { expect } from 'chai';
import { TERMINAL_MODE as M } from '../../../src/connection/pty.js';
import { decodeWaitStatus } from '../../../src/server/node-session.js';
import { encodeWaiterSpec, WaiterReader } from '../../../src/server/node-session-waiter.js';
import { SUPERUSER_PATH, USER_PATH, sessionEnvironment } from '../../../src/server/session-env.js';
import { sttyArguments } from '../../../src/server/stty-modes.js';

const connection = { clientAddr: '192.0.2.7', clientPort: 40022, serverAddr: '192.0.2.1', serverPort: 2222 };

describe('server/session-env: the environment as sshd builds it (session.c do_setup_env)', () => {
  it('puts the client variables first, replaced by sshd own, then SetEnv, then the SSH_* ones', () => {
    const env = sessionEnvironment({
      user: { name: 'alice', uid: 1000, home: '/home/alice' },
      shell: '/bin/bash',
      clientEnv: [
        ['LANG', 'C.UTF-8'],
        ['USER', 'mallory'],
        ['SSH_CLIENT', 'forged'],
      ],
      setEnv: { PATH: '/opt/bin', SSH_CONNECTION: 'forged', FOO: 'bar' },
      term: 'xterm-256color',
      tty: '/dev/pts/3',
      connection,
      authSocketPath: '/tmp/ssh-abc/agent.12',
      originalCommand: 'ls -l',
      tz: 'UTC',
    });
    expect(env).to.deep.equal([
      ['LANG', 'C.UTF-8'],
      ['USER', 'alice'],
      ['SSH_CLIENT', '192.0.2.7 40022 2222'],
      ['LOGNAME', 'alice'],
      ['HOME', '/home/alice'],
      ['PATH', '/opt/bin'],
      ['MAIL', '/var/mail/alice'],
      ['SHELL', '/bin/bash'],
      ['TZ', 'UTC'],
      ['TERM', 'xterm-256color'],
      ['SSH_AUTH_SOCK', '/tmp/ssh-abc/agent.12'],
      ['SSH_CONNECTION', '192.0.2.7 40022 192.0.2.1 2222'],
      ['FOO', 'bar'],
      ['SSH_TTY', '/dev/pts/3'],
      ['SSH_ORIGINAL_COMMAND', 'ls -l'],
    ]);
  });

  it("gives root the superuser PATH and others Debian's default; drops names with '=' or NUL", () => {
    const base = { shell: '/bin/sh', connection, clientEnv: { 'A=B': 'x', C: 'nul\0' } };
    const root = new Map(sessionEnvironment({ ...base, user: { name: 'root', uid: 0, home: '/root' } }));
    const user = new Map(sessionEnvironment({ ...base, user: { name: 'bob', uid: 1001, home: '/home/bob' } }));
    expect(root.get('PATH')).to.equal(SUPERUSER_PATH);
    expect(user.get('PATH')).to.equal(USER_PATH);
    expect([...user.keys()]).to.deep.equal(['USER', 'LOGNAME', 'HOME', 'PATH', 'MAIL', 'SHELL', 'SSH_CLIENT', 'SSH_CONNECTION']);
  });
});

describe('server/stty-modes: pty-req terminal modes as stty arguments', () => {
  it('maps characters, flags, sizes and speeds; skips what Linux lacks', () => {
    expect(
      sttyArguments([
        [M.VINTR, 3],
        [M.VERASE, 127],
        [M.VEOF, 255],
        [M.VKILL, 21],
        [M.VEOL, 65],
        [M.VSTATUS, 20],
        [M.ECHO, 0],
        [M.ICANON, 1],
        [M.IUTF8, 1],
        [M.CS8, 1],
        [M.CS7, 0],
        [M.TTY_OP_ISPEED, 38400],
        [M.TTY_OP_OSPEED, 12345],
      ]),
    ).to.deep.equal(['intr', '^C', 'erase', '^?', 'eof', 'undef', 'kill', '^U', 'eol', '65', '-echo', 'icanon', 'iutf8', 'cs8', 'ispeed', '38400']);
  });
});

describe('server/node-session: wait statuses and the waiter protocol', () => {
  it('decodes exit codes, RFC 4254 signals, other signals and core dumps', () => {
    expect(decodeWaitStatus(3 << 8)).to.deep.equal({ status: 3 });
    expect(decodeWaitStatus(130 << 8)).to.deep.equal({ status: 130 });
    expect(decodeWaitStatus(15)).to.deep.equal({ signal: 'TERM', osSignal: 'TERM', coreDumped: false });
    expect(decodeWaitStatus(11 | 0x80)).to.deep.equal({ signal: 'SEGV', osSignal: 'SEGV', coreDumped: true });
    expect(decodeWaitStatus(7)).to.deep.equal({ signal: 'SIG@openssh.com', osSignal: 'BUS', coreDumped: false });
  });

  it('frames the spec with its length and refuses NUL', () => {
    const b = encodeWaiterSpec({ home: '/h', file: '/bin/sh', argv0: 'sh', args: ['-c', 'x'], env: [['A', '1']] });
    expect(b.toString('latin1')).to.equal('24\n/h\0/bin/sh\0sh\x002\0-c\0x\0A=1');
    expect(() => encodeWaiterSpec({ home: '/h', file: '/bin/sh', argv0: 'sh', args: ['a\0b'], env: [] })).to.throw(/NUL/);
  });

  it('reads reports split across chunks and ignores junk', () => {
    const r = new WaiterReader();
    expect(r.push(Buffer.from('T /dev/pts/4\nP 12'))).to.deep.equal([{ kind: 'tty', path: '/dev/pts/4' }]);
    expect(r.push(Buffer.from('3\nnoise\nX 256\n'))).to.deep.equal([
      { kind: 'pid', pid: 123 },
      { kind: 'exit', status: 256 },
    ]);
  });
});
