/**
 * The universal core outside Node, against OpenSSH's sshd: Deno and Bun (the published bundle
 * over their own sockets, and the Node entry over their Node compatibility), headless Chromium
 * (the bundle under a strict CSP, through the WebSocket bridge), and the published bundle's
 * size. Every run does the same session (scenario.ts) and is checked by hashes computed here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { fingerprintSHA256, parsePublicKeyLine } from '../../src/index.js';
import { startWebSocketProxy, type WebSocketProxy } from '../../src/node.js';
import { Chromium } from '../support/chromium.js';
import { pageHtml, pageOutcome, startPageServer, strictCsp, type PageServer } from '../support/browser-page-server.js';
import { BUN, CHROMIUM, DENO, compilePieces, requireRuntime, type CompiledPieces, type Runtime } from '../support/runtimes.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { EXEC_SEED, GET_SEED, PUT_SEED, testBytes, type ScenarioParams, type ScenarioResult } from './scenario.js';

const MIB = 1024 * 1024;
/** The published bundle's budget: a little over its size when the budget was set (506 KiB, 181 KiB gzipped). */
const BUDGET = { raw: 560 * 1024, gzip: 200 * 1024 };
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * MIB, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

function resultLine(stdout: string): ScenarioResult & { runtime: string } {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('other JavaScript runtimes against OpenSSH sshd', function () {
  this.timeout(300_000);
  let pieces: CompiledPieces;
  let sshd: Sshd;
  let params: ScenarioParams;
  let remoteDir: string;
  let hostKeyFingerprint: string;
  const expected = {
    exec: sha256(testBytes(MIB, EXEC_SEED)),
    put: sha256(testBytes(MIB, PUT_SEED)),
    get: sha256(testBytes(MIB, GET_SEED)),
  };

  before(async () => {
    [pieces, sshd] = await Promise.all([compilePieces(), startSshd({ hostKeyTypes: ['ed25519'] })]);
    remoteDir = join(sshd.dir, 'files');
    mkdirSync(remoteDir);
    writeFileSync(join(remoteDir, 'get.bin'), testBytes(MIB, GET_SEED));
    hostKeyFingerprint = fingerprintSHA256(parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key.blob);
    params = {
      user: sshd.user,
      privateKey: readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'),
      hostKeyFingerprint,
      remoteDir,
      bytes: MIB,
    };
  });
  after(async () => {
    await sshd?.stop();
    await pieces?.remove();
  });

  /** The scenario's answers, each checked against what the test computed itself. */
  function check(r: ScenarioResult): void {
    expect(r.hostKeyFingerprint).to.equal(hostKeyFingerprint);
    expect(r.execSentSha256).to.equal(expected.exec);
    expect(r.execEchoSha256).to.equal(expected.exec);
    expect(r.remoteSha256).to.equal(expected.exec);
    expect(r.getSha256).to.equal(expected.get);
    expect(r.putSha256).to.equal(expected.put);
    expect(sha256(readFileSync(join(remoteDir, 'put.bin')))).to.equal(expected.put);
  }

  it('the published bundle is one ES module without node:* imports, within its size budget', () => {
    const text = readFileSync(pieces.universalBundle, 'utf8');
    expect(text).not.to.match(/from\s*["']node:|import\(\s*["']node:|require\(/);
    console.log(`      puressh.universal.js: ${pieces.universalSize.raw} bytes, ${pieces.universalSize.gzip} gzipped`);
    expect(pieces.universalSize.raw).to.be.below(BUDGET.raw);
    expect(pieces.universalSize.gzip).to.be.below(BUDGET.gzip);
  });

  const runtimes = [
    {
      name: 'Deno',
      runtime: DENO,
      args: (kind: string) => ['run', ...(kind === 'node' ? ['-A'] : ['--allow-net=127.0.0.1', '--allow-env=PURESSH_JOB', '--allow-read'])],
    },
    { name: 'Bun', runtime: BUN, args: () => ['run'] },
  ];
  /** Runs the scenario in `runtime` and returns its RESULT line. */
  async function runIn(runtime: Runtime, args: string[], kind: 'universal' | 'node', scenario: ScenarioParams): Promise<ScenarioResult & { runtime: string }> {
    const bin = requireRuntime(runtime);
    const entry = kind === 'universal' ? pieces.universalBundle : pieces.nodeEntryBundle;
    const job = { entryUrl: pathToFileURL(entry).href, kind, host: sshd.host, port: sshd.port, params: scenario };
    const stdout = await run(bin, [...args, pieces.runner], {
      PURESSH_JOB: JSON.stringify(job),
      DENO_DIR: join(pieces.dir, 'deno-cache'),
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    });
    return resultLine(stdout);
  }

  for (const { name, runtime, args } of runtimes) {
    for (const kind of ['universal', 'node'] as const) {
      const what = kind === 'universal' ? 'the published bundle over its own sockets' : 'the Node entry over its Node compatibility';
      it(`${name} runs ${what}: host key, publickey, 1 MiB exec, SFTP get and put`, async () => {
        const r = await runIn(runtime, args(kind), kind, params);
        expect(r.runtime).to.equal(name.toLowerCase());
        check(r);
      });
    }
    // Bun's node:crypto has no ChaCha20: the Node entry's provider must fall back to the pure
    // code there (it failed with "Unknown cipher"); Deno's checks the tag with OpenSSL's AEAD.
    it(`${name} runs the Node entry with chacha20-poly1305@openssh.com (32 KiB packets)`, async () => {
      const cipher = 'chacha20-poly1305@openssh.com';
      const r = await runIn(runtime, args('node'), 'node', { ...params, cipher });
      expect([r.runtime, r.cipher]).to.deep.equal([name.toLowerCase(), cipher]);
      check(r);
    });
  }

  describe('headless Chromium through the WebSocket bridge', () => {
    let proxy: WebSocketProxy;
    let web: PageServer | undefined;
    let chromium: Chromium | undefined;

    after(async () => {
      await chromium?.close();
      await proxy?.close();
      await web?.close();
    });

    it('loads the published bundle under a strict CSP (no eval) and runs the session', async () => {
      requireRuntime(CHROMIUM);
      web = await startPageServer();
      const origin = `http://127.0.0.1:${web.port}`;
      proxy = await startWebSocketProxy({ targets: { sshd: { host: sshd.host, port: sshd.port } }, allowedOrigins: [origin] });
      web.serve(
        {
          '/': ['text/html', pageHtml('puressh in Chromium', './browser-page.js')],
          '/browser-page.js': ['text/javascript', readFileSync(pieces.browserPage)],
          '/puressh.universal.js': ['text/javascript', readFileSync(pieces.universalBundle)],
          '/params.json': ['application/json', JSON.stringify({ webSocketUrl: `ws://127.0.0.1:${proxy.port}/?token=sshd`, scenario: params })],
        },
        strictCsp(proxy.port),
      );
      chromium = await Chromium.launch();
      const session = await chromium.open(`${origin}/`);
      // The page script sets puresshOutcome as it starts; wait for the script to have run.
      const outcome = await pageOutcome<{ ok: boolean; error?: string; evalBlocked: boolean; result?: ScenarioResult }>(chromium, session);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'chromium-session.png'), await chromium.screenshot(session));
      expect(outcome, chromium.pageLog().join('\n')).to.not.equal(undefined);
      expect(outcome!.ok, `${outcome!.error}\n${chromium.pageLog().join('\n')}`).to.equal(true);
      expect(outcome!.evalBlocked).to.equal(true);
      check(outcome!.result!);
      expect(chromium.pageLog().filter((l) => /Content Security Policy|Refused/.test(l))).to.deep.equal([
        // Only the page's own eval probe trips the policy.
        ...chromium.pageLog().filter((l) => /unsafe-eval/.test(l)),
      ]);
    });
  });
});
