/**
 * FIDO security keys through `puressh sshd`, beside Debian's OpenSSH 9.2 sshd with the same
 * authorized_keys line and the same PubkeyAuthOptions: puressh's client signs with the
 * software authenticator (OpenSSH's ssh would need a hardware token or a SecurityKeyProvider
 * library), and both servers must give the same verdict and, when they refuse, the same
 * error line (auth2-pubkey.c). Cases: the user-presence flag cleared (refused; accepted with
 * no-touch-required), verify-required without the user-verification flag (refused) and with
 * it, PubkeyAuthOptions touch-required overriding no-touch-required, PubkeyAuthOptions
 * verify-required for every key.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { fingerprintSHA256, parsePublicKeyLine, type PrivateKey } from '../../src/index.js';
import { AuthError } from '../../src/errors.js';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { logMatching, startSshd, type Sshd } from '../support/sshd.js';

type Server = Pick<Sshd | PuresshSshd, 'host' | 'port' | 'user' | 'hostKeys' | 'authorizedKeysPath' | 'logs'>;

interface Case {
  /** what the case is, for the test title */
  title: string;
  /** authorized_keys options before the key */
  options: string;
  userPresence: boolean;
  userVerification: boolean;
  /** the refusal's reason, or null when the login is accepted */
  refused: 'user presence (authenticator touch)' | 'user verification' | null;
}

/** Per sshd_config, the cases run against both servers. */
const CONFIGS: { config: string[]; cases: Case[] }[] = [
  {
    config: [],
    cases: [
      { title: 'a touch: accepted', options: '', userPresence: true, userVerification: false, refused: null },
      { title: 'no touch: refused', options: '', userPresence: false, userVerification: false, refused: 'user presence (authenticator touch)' },
      { title: 'no touch, no-touch-required: accepted', options: 'no-touch-required', userPresence: false, userVerification: false, refused: null },
      {
        title: 'verify-required, not verified: refused',
        options: 'verify-required',
        userPresence: true,
        userVerification: false,
        refused: 'user verification',
      },
      { title: 'verify-required, verified: accepted', options: 'verify-required', userPresence: true, userVerification: true, refused: null },
      {
        title: 'no-touch-required,verify-required, no touch, not verified: refused',
        options: 'no-touch-required,verify-required',
        userPresence: false,
        userVerification: false,
        refused: 'user verification',
      },
    ],
  },
  {
    config: ['PubkeyAuthOptions touch-required'],
    cases: [
      {
        title: 'no touch, no-touch-required: refused',
        options: 'no-touch-required',
        userPresence: false,
        userVerification: false,
        refused: 'user presence (authenticator touch)',
      },
      { title: 'a touch, no-touch-required: accepted', options: 'no-touch-required', userPresence: true, userVerification: false, refused: null },
    ],
  },
  {
    config: ['PubkeyAuthOptions verify-required'],
    cases: [
      { title: 'not verified: refused', options: '', userPresence: true, userVerification: false, refused: 'user verification' },
      { title: 'verified: accepted', options: '', userPresence: true, userVerification: true, refused: null },
    ],
  },
];

const ALGORITHMS = ['ed25519', 'ecdsa-p256'] as const;

function clientOptions(server: Server, key: PrivateKey): NodeConnectOptions {
  const known = new Set(Object.values(server.hostKeys).map((hk) => Buffer.from(parsePublicKeyLine(hk.publicLine).key.blob).toString('base64')));
  return {
    host: server.host,
    port: server.port,
    username: server.user,
    hostKeyVerifier: (info) => known.has(Buffer.from(info.blob).toString('base64')),
    privateKeys: [key],
    timeout: 30_000,
  };
}

/** The command's output, or "refused" on an authentication failure. */
async function attempt(server: Server, key: PrivateKey): Promise<string> {
  let c;
  try {
    c = await connect(clientOptions(server, key));
  } catch (e) {
    if (e instanceof AuthError) return 'refused';
    throw e;
  }
  try {
    const r = await c.run('echo security-key-accepted');
    return `${r.code}: ${new TextDecoder().decode(r.stdout)}`;
  } finally {
    await c.disconnect();
  }
}

/** The server's refusal line for the key with this fingerprint, its port number masked. */
function refusalLine(server: Server, fingerprint: string): string | undefined {
  const line = server
    .logs()
    .split(/\r?\n/)
    .find((l) => l.includes(`${fingerprint} signature for`) && l.includes('requirement not met'));
  return line?.replace(/ port \d+ /, ' port N ');
}

describe('puressh sshd: security-key options beside OpenSSH sshd', function () {
  this.timeout(180_000);

  for (const { config, cases } of CONFIGS) {
    describe(config.length ? config.join('; ') : 'default PubkeyAuthOptions', () => {
      let sshd: Sshd | undefined;
      let psshd: PuresshSshd | undefined;
      before(async () => {
        [sshd, psshd] = await Promise.all([startSshd({ hostKeyTypes: ['ed25519'], config }), startPuresshSshd({ hostKeyTypes: ['ed25519'], config })]);
      });
      after(async () => {
        await sshd?.stop();
        await psshd?.stop();
      });

      for (const alg of ALGORITHMS) {
        for (const c of cases) {
          it(`${alg}: ${c.title} — the same verdict and log line from both`, async () => {
            const auth = new SoftwareAuthenticator();
            auth.userPresence = c.userPresence;
            auth.userVerification = c.userVerification;
            const { key, publicLine } = auth.enroll(alg);
            const line = c.options ? `${c.options} ${publicLine}` : publicLine;
            const fp = fingerprintSHA256(key.publicKey.blob);
            const verdicts: Record<string, string> = {};
            const lines: Record<string, string | undefined> = {};
            for (const [name, server] of [
              ['OpenSSH', sshd!],
              ['puressh', psshd!],
            ] as const) {
              writeFileSync(server.authorizedKeysPath, line + '\n', { mode: 0o600 });
              verdicts[name] = await attempt(server, key);
              if (c.refused) await logMatching(server, new RegExp(`${fp.replace(/[+/]/g, '\\$&')} signature for .* requirement not met`));
              lines[name] = refusalLine(server, fp);
            }
            const expected = c.refused ? 'refused' : '0: security-key-accepted\n';
            const label = alg === 'ed25519' ? 'ED25519-SK' : 'ECDSA-SK';
            const why = c.refused
              ? `public key ${label} ${fp} signature for ${sshd!.user} from 127.0.0.1 port N rejected: ${c.refused} requirement not met `
              : undefined;
            expect({ verdicts, lines }).to.deep.equal({ verdicts: { OpenSSH: expected, puressh: expected }, lines: { OpenSSH: why, puressh: why } });
          });
        }
      }
    });
  }
});
