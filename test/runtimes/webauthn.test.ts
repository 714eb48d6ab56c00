/**
 * WebAuthn in headless Chromium: a virtual authenticator (DevTools WebAuthn domain, CTAP2 over
 * USB, user verified, presence simulated) registers a credential in a page of
 * http://localhost (a secure context; rpId "localhost") through the library's
 * registerWebAuthnKey; its sk-ecdsa-sha2-nistp256@openssh.com line goes into authorized_keys,
 * and the page logs in over the WebSocket bridge with a
 * webauthn-sk-ecdsa-sha2-nistp256@openssh.com signature (the library's webauthn signer over
 * navigator.credentials.get) and runs a command: to OpenSSH 9.2's sshd, then to puressh sshd.
 * The same credential presented as a key of another application (its signature still for
 * "localhost") is refused by both. The page is served under the runtimes test's strict CSP.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { fingerprintSHA256, formatPublicKeyLine, parsePublicKeyLine, SkEcdsaPublicKey } from '../../src/index.js';
import { startWebSocketProxy, type WebSocketProxy } from '../../src/node.js';
import { pageHtml, pageOutcome, startPageServer, strictCsp, type PageServer } from '../support/browser-page-server.js';
import { Chromium } from '../support/chromium.js';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { CHROMIUM, compilePieces, requireRuntime, type CompiledPieces } from '../support/runtimes.js';
import { logMatching, startSshd, type Sshd } from '../support/sshd.js';
import type { LoginParams, LoginResult, RegisterResult } from './webauthn-page.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const COMMAND = 'echo signed-in-through-webauthn; id -un';

interface VirtualCredential {
  credentialId: string;
  rpId?: string;
  signCount: number;
}

describe('WebAuthn in headless Chromium: a virtual authenticator logs in to sshd', function () {
  this.timeout(300_000);
  let pieces: CompiledPieces | undefined;
  let sshd: Sshd | undefined;
  let psshd: PuresshSshd | undefined;
  let proxy: WebSocketProxy | undefined;
  let web: PageServer | undefined;
  let chromium: Chromium | undefined;
  let session = '';
  let authenticatorId = '';
  let reg: RegisterResult;

  before(async () => {
    requireRuntime(CHROMIUM);
    [pieces, sshd, psshd] = await Promise.all([
      compilePieces(),
      startSshd({ hostKeyTypes: ['ed25519'], config: ['LogLevel DEBUG1'] }),
      startPuresshSshd({ hostKeyTypes: ['ed25519'], config: ['LogLevel DEBUG1'] }),
    ]);
    web = await startPageServer();
    // http://localhost is a secure context (WebAuthn needs one) and "localhost" a valid rpId; 127.0.0.1 is not.
    const origin = `http://localhost:${web.port}`;
    proxy = await startWebSocketProxy({
      targets: { sshd: { host: sshd.host, port: sshd.port }, puressh: { host: psshd.host, port: psshd.port } },
      allowedOrigins: [origin],
    });
    web.serve(
      {
        '/': ['text/html', pageHtml('puressh: WebAuthn in Chromium', './webauthn-page.js')],
        '/webauthn-page.js': ['text/javascript', readFileSync(pieces.webauthnPage)],
        '/puressh.universal.js': ['text/javascript', readFileSync(pieces.universalBundle)],
      },
      strictCsp(proxy.port),
    );
    chromium = await Chromium.launch();
    session = await chromium.open(`${origin}/`);
    await chromium.send('WebAuthn.enable', { enableUI: false }, session);
    const added = await chromium.send(
      'WebAuthn.addVirtualAuthenticator',
      {
        options: {
          protocol: 'ctap2',
          transport: 'usb',
          hasResidentKey: false,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      },
      session,
    );
    authenticatorId = (added as { authenticatorId: string }).authenticatorId;
    expect(await pageOutcome(chromium, session), chromium.pageLog().join('\n')).to.equal('loaded');
    reg = (await chromium.evaluate(session, `puresshWebAuthn.register('alice')`)) as RegisterResult;
  });

  after(async () => {
    if (chromium && session) {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'chromium-webauthn.png'), await chromium.screenshot(session).catch(() => Buffer.alloc(0)));
    }
    await chromium?.close();
    await proxy?.close();
    await web?.close();
    await sshd?.stop();
    await psshd?.stop();
    await pieces?.remove();
  });

  const credentials = async (): Promise<VirtualCredential[]> =>
    ((await chromium!.send('WebAuthn.getCredentials', { authenticatorId }, session)) as { credentials: VirtualCredential[] }).credentials;

  function login(target: 'sshd' | 'puressh', hostKeyLine: string, application?: string): Promise<LoginResult> {
    const params: LoginParams = {
      webSocketUrl: `ws://127.0.0.1:${proxy!.port}/?token=${target}`,
      user: sshd!.user,
      hostKeyFingerprint: fingerprintSHA256(parsePublicKeyLine(hostKeyLine).key.blob),
      command: COMMAND,
      ...(application !== undefined ? { application } : {}),
    };
    return chromium!.evaluate(session, `puresshWebAuthn.login(${JSON.stringify(params)})`) as Promise<LoginResult>;
  }

  const authorize = (path: string, line: string): void => writeFileSync(path, line + '\n', { mode: 0o600 });

  it('registers a credential: an sk-ecdsa-sha2-nistp256@openssh.com key whose application is the rpId', async () => {
    expect(reg.application).to.equal('localhost');
    const key = parsePublicKeyLine(reg.publicKeyLine).key;
    expect(key).to.be.instanceOf(SkEcdsaPublicKey);
    expect((key as SkEcdsaPublicKey).application).to.equal('localhost');
    expect(reg.publicKeyLine).to.match(/^sk-ecdsa-sha2-nistp256@openssh\.com AAAA[A-Za-z0-9+/=]+ alice@localhost$/);
    const creds = await credentials();
    expect(creds.map((c) => [c.credentialId, c.rpId, c.signCount])).to.deep.equal([[reg.keyHandle, 'localhost', 1]]);
  });

  it('logs in to OpenSSH sshd with a WebAuthn signature and runs a command', async () => {
    authorize(sshd!.authorizedKeysPath, reg.publicKeyLine);
    const r = await login('sshd', sshd!.hostKeys.ed25519!.publicLine);
    expect(r, chromium!.pageLog().join('\n')).to.deep.equal({ ok: true, stdout: `signed-in-through-webauthn\n${sshd!.user}\n`, code: 0 });
    const fp = fingerprintSHA256(parsePublicKeyLine(reg.publicKeyLine).key.blob);
    expect(sshd!.logs()).to.match(
      new RegExp(`Accepted publickey for ${sshd!.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ECDSA-SK ${fp.replace(/[+/]/g, '\\$&')}`),
    );
    // one assertion by the virtual authenticator, and sshd saw its counter
    expect((await credentials()).map((c) => c.signCount)).to.deep.equal([2]);
  });

  it('logs in to puressh sshd the same way', async () => {
    authorize(psshd!.authorizedKeysPath, reg.publicKeyLine);
    const r = await login('puressh', psshd!.hostKeys.ed25519!.publicLine);
    expect(r, chromium!.pageLog().join('\n')).to.deep.equal({ ok: true, stdout: `signed-in-through-webauthn\n${psshd!.user}\n`, code: 0 });
    const fp = fingerprintSHA256(parsePublicKeyLine(reg.publicKeyLine).key.blob);
    expect(psshd!.logs()).to.include(`ssh2: ECDSA-SK ${fp}`);
    expect(psshd!.logs()).to.match(new RegExp(`Accepted publickey for ${psshd!.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ECDSA-SK`));
    expect((await credentials()).map((c) => c.signCount)).to.deep.equal([3]);
  });

  it('a key line with another application is refused: the key matches, its signature (for "localhost") does not', async () => {
    const point = (parsePublicKeyLine(reg.publicKeyLine).key as SkEcdsaPublicKey).point;
    const other = new SkEcdsaPublicKey(point, 'ssh:');
    const fp = fingerprintSHA256(other.blob);
    for (const [target, server] of [
      ['sshd', sshd!],
      ['puressh', psshd!],
    ] as const) {
      authorize(server.authorizedKeysPath, formatPublicKeyLine(other, 'alice@ssh'));
      const r = await login(target, server.hostKeys.ed25519!.publicLine, 'ssh:');
      expect(r.ok, `${target}: ${JSON.stringify(r)}`).to.equal(false);
      expect(r.error).to.match(/^AuthError: /);
      const failed = new RegExp(`Failed publickey for ${server.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ECDSA-SK ${fp.replace(/[+/]/g, '\\$&')}`);
      const log = await logMatching(server, failed);
      expect(log, `${target}:\n${log}`).to.match(failed);
    }
    // sshd found the key in authorized_keys: it refused the signature, not the key
    expect(sshd!.logs()).to.match(new RegExp(`authorized_keys:1: matching key found: ECDSA-SK ${fp.replace(/[+/]/g, '\\$&')}`));
  });
});
