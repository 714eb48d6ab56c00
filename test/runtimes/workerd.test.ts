/**
 * The example Cloudflare Worker (examples/worker/) in workerd, Cloudflare's runtime, against
 * OpenSSH's sshd: bundled the way wrangler bundles it (conditions workerd, worker, browser;
 * cloudflare:sockets external) with `puressh` resolved to the published bundle, served by the
 * example's config.capnp with its outbound network opened to loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { build } from 'esbuild';
import { fingerprintSHA256, parsePublicKeyLine } from '../../src/index.js';
import { WORKERD, compilePieces, requireRuntime, type CompiledPieces } from '../support/runtimes.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/worker/', import.meta.url));

describe('Cloudflare Workers: the example Worker in workerd', function () {
  this.timeout(180_000);
  let pieces: CompiledPieces;
  let sshd: Sshd;
  let workerd: ChildProcess | undefined;
  let logs = '';

  before(async () => {
    [pieces, sshd] = await Promise.all([compilePieces(), startSshd({ hostKeyTypes: ['ed25519'] })]);
  });
  after(async () => {
    if (workerd && workerd.exitCode === null) {
      const exited = new Promise((r) => workerd!.once('exit', r));
      workerd.kill('SIGKILL');
      await exited;
    }
    await sshd?.stop();
    await pieces?.remove();
  });

  it('runs a command over SSH and returns its output', async () => {
    const bin = requireRuntime(WORKERD);
    await build({
      entryPoints: [join(EXAMPLE, 'worker.js')],
      outfile: join(pieces.dir, 'worker.bundle.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      external: ['cloudflare:sockets'],
      plugins: [{ name: 'published-bundle', setup: (b) => b.onResolve({ filter: /^puressh$/ }, () => ({ path: pieces.universalBundle })) }],
      logLevel: 'warning',
    });
    // The example's config, its network opened to this machine's loopback only.
    const config = readFileSync(join(EXAMPLE, 'config.capnp'), 'utf8').replace('allow = ["public"]', 'allow = ["local"]');
    expect(config).to.contain('allow = ["local"]');
    writeFileSync(join(pieces.dir, 'config.capnp'), config);
    copyFileSync(join(EXAMPLE, 'worker.js'), join(pieces.dir, 'worker.js'));

    const port = await freePort();
    workerd = spawn(bin, ['serve', join(pieces.dir, 'config.capnp'), `--socket-addr=http=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SSH_HOST: sshd.host,
        SSH_PORT: String(sshd.port),
        SSH_USER: sshd.user,
        SSH_PRIVATE_KEY: readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'),
        SSH_HOST_KEY_FINGERPRINT: fingerprintSHA256(parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine).key.blob),
        SSH_COMMAND: 'echo worker-ok; printf %s puressh | sha256sum; echo "$SSH_CONNECTION" | cut -d\' \' -f3',
      },
    });
    for (const s of [workerd.stdout!, workerd.stderr!]) s.on('data', (b: Buffer) => (logs += b.toString('utf8')));

    let response: Response | undefined;
    for (let i = 0; i < 200 && !response; i++) {
      try {
        response = await fetch(`http://127.0.0.1:${port}/`);
      } catch {
        if (workerd.exitCode !== null) throw new Error(`workerd exited:\n${logs}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(response, logs).to.not.equal(undefined);
    const body = await response!.text();
    expect(response!.status, `${body}\n${logs}`).to.equal(200);
    expect(response!.headers.get('x-exit-status')).to.equal('0');
    const digest = createHash('sha256').update('puressh').digest('hex');
    expect(body).to.equal(`worker-ok\n${digest}  -\n127.0.0.1\n`);
  });
});
