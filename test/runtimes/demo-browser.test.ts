/**
 * `npm run demo:browser` as a person uses it, in headless Chromium over the DevTools protocol:
 * the page shows the host key's fingerprint (compared with `ssh-keygen -l`), the test accepts it,
 * types a command into the terminal and reads its answer off the screen, sees its own file in the
 * SFTP list, uploads a file through the file input and downloads one through the page's link
 * (both compared by SHA-256), and no Content-Security-Policy violation is reported.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startBrowserDemo, type BrowserDemo } from '../../scripts/demo-browser.js';
import { Chromium } from '../support/chromium.js';
import { CHROMIUM, requireRuntime } from '../support/runtimes.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('npm run demo:browser in headless Chromium', function () {
  this.timeout(300_000);
  let demo: BrowserDemo | undefined;
  let chromium: Chromium | undefined;
  let local: string;

  before(async () => {
    requireRuntime(CHROMIUM);
    local = await mkdtemp(join(tmpdir(), 'puressh-demo-browser-'));
    demo = await startBrowserDemo();
  });
  after(async () => {
    await chromium?.close();
    await demo?.stop();
    if (local) await rm(local, { recursive: true, force: true });
  });

  /** Evaluate `expression` in the page until it is truthy; returns its value. */
  async function waitFor(session: string, expression: string, what: string): Promise<unknown> {
    for (let i = 0; i < 1200; i++) {
      const state = await chromium!.evaluate(session, 'document.body?.dataset.state');
      if (state === 'failed') break;
      const value = await chromium!.evaluate(session, expression);
      if (value) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = await chromium!.evaluate(session, "document.getElementById('status').textContent");
    throw new Error(`page never showed ${what}; status: ${String(status)}\n${chromium!.pageLog().join('\n')}`);
  }

  it('serves the page under a policy without unsafe-eval or unsafe-inline', async () => {
    const res = await fetch(demo!.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.match(/script-src 'self'(;|$)/);
    expect(csp).to.match(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).to.include(`connect-src 'self' ws://127.0.0.1:${demo!.bridge.port}`);
    expect(csp).not.to.include('unsafe-');
    // The nonce is fresh per response and only on the page's own script tag.
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(await res.text()).to.include(`nonce="${nonce}"`);
    expect((await fetch(demo!.url)).headers.get('content-security-policy')).not.to.equal(csp);
  });

  it('host key, shell, SFTP list, upload and download, with no CSP violation', async () => {
    const d = demo!;
    const listed = randomBytes(300 * 1024);
    writeFileSync(join(d.directory, 'listed-by-test.bin'), listed);
    const upload = randomBytes(200 * 1024 + 7);
    writeFileSync(join(local, 'uploaded-by-test.bin'), upload);
    const downloads = join(local, 'downloads');
    mkdirSync(downloads);
    const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${d.sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' });

    chromium = await Chromium.launch();
    const c = chromium;
    await c.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
    const session = await c.open(d.url);
    await c.send('Emulation.setDeviceMetricsOverride', { width: 1200, height: 760, deviceScaleFactor: 1, mobile: false }, session);
    try {
      // The host key, before anything is sent: the one ssh-keygen -l names.
      await waitFor(session, "document.body?.dataset.state === 'verify'", 'the host key prompt');
      const shown = await c.evaluate(session, "document.getElementById('fingerprint').textContent");
      expect(shown).to.equal(d.hostKeyFingerprint);
      expect(keygen.split(/\s+/)[1]).to.equal(shown);
      await c.evaluate(session, "document.getElementById('accept').click()");

      await waitFor(session, "document.body?.dataset.state === 'ready'", 'the login');
      expect(await c.evaluate(session, "document.getElementById('status').textContent")).to.match(new RegExp(`^Logged in as ${d.sshd.user} \\(publickey\\)`));
      expect(d.sshd.logs()).to.match(/Accepted publickey for /);

      // The SFTP list shows the file the test put there.
      await waitFor(session, 'document.querySelector(\'#file-list tr[data-name="listed-by-test.bin"]\') !== null', 'the file list');
      expect(await c.evaluate(session, 'document.querySelector(\'#file-list tr[data-name="hello.txt"]\') !== null')).to.equal(true);

      // Type into the terminal as a person would; read the answer off the screen.
      const screen = "document.querySelector('#terminal .xterm-rows').textContent";
      await waitFor(session, `/[$#]/.test(${screen})`, 'a shell prompt');
      await c.evaluate(session, "document.querySelector('#terminal .xterm-helper-textarea').focus()");
      await c.send('Input.insertText', { text: 'echo hello-$((6*7))' }, session);
      for (const type of ['keyDown', 'keyUp']) {
        await c.send(
          'Input.dispatchKeyEvent',
          { type, key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, ...(type === 'keyDown' ? { text: '\r' } : {}) },
          session,
        );
      }
      await waitFor(session, `${screen}.includes('hello-42')`, 'hello-42 in the terminal');

      // Upload through the page's file input.
      const { root } = (await c.send('DOM.getDocument', {}, session)) as { root: { nodeId: number } };
      const { nodeId } = (await c.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#upload' }, session)) as { nodeId: number };
      await c.send('DOM.setFileInputFiles', { nodeId, files: [join(local, 'uploaded-by-test.bin')] }, session);
      await waitFor(session, `document.getElementById('transfer').textContent === 'Uploaded uploaded-by-test.bin (${upload.length} bytes)'`, 'the upload done');
      expect(sha256(readFileSync(join(d.directory, 'uploaded-by-test.bin')))).to.equal(sha256(upload));
      await waitFor(session, 'document.querySelector(\'#file-list tr[data-name="uploaded-by-test.bin"]\') !== null', 'the uploaded file listed');

      // Download through the page's Blob link, saved by Chromium.
      await c.evaluate(session, 'document.querySelector(\'#file-list tr[data-name="listed-by-test.bin"] button\').click()');
      await waitFor(
        session,
        `document.getElementById('transfer').textContent === 'Downloaded listed-by-test.bin (${listed.length} bytes)'`,
        'the download done',
      );
      for (let i = 0; i < 600 && !c.events.some((e) => e.method === 'Browser.downloadProgress' && e.params.state === 'completed'); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const progress = c.events.filter((e) => e.method === 'Browser.downloadProgress').map((e) => e.params.state);
      expect(progress).to.include('completed');
      expect(sha256(readFileSync(join(downloads, 'listed-by-test.bin')))).to.equal(sha256(listed));

      expect(await c.evaluate(session, 'document.body?.dataset.state')).to.equal('ready');
      expect(c.pageLog().filter((l) => /Content.Security.Policy|Refused to/i.test(l))).to.deep.equal([]);
    } finally {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'demo-browser.png'), await c.screenshot(session));
    }
  });

  it('a rejected host key ends the connection before any login', async () => {
    const c = chromium ?? (chromium = await Chromium.launch());
    const session = await c.open(demo!.url);
    await waitFor(session, "document.body?.dataset.state === 'verify'", 'the host key prompt');
    const attempts = (demo!.sshd.logs().match(/Accepted publickey/g) ?? []).length;
    await c.evaluate(session, "document.getElementById('reject').click()");
    for (let i = 0; i < 300 && (await c.evaluate(session, 'document.body?.dataset.state')) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await c.evaluate(session, "document.getElementById('status').textContent")).to.equal('Failed: HostKeyError: Host key verification failed.');
    expect(await c.evaluate(session, "document.getElementById('file-list').children.length")).to.equal(0);
    expect((demo!.sshd.logs().match(/Accepted publickey/g) ?? []).length).to.equal(attempts);
  });
});
