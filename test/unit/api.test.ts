/**
 * The public API contract: each entry point of package.json's "exports" lists its exports one
 * by one, internals stay out, and the API reference builds with every export documented.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import * as universal from '../../src/index.js';
import * as node from '../../src/node.js';
import * as facade from '../../src/facade/index.js';
import { EXPORT_TAGS } from '../../src/facade/constants.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRIES = ['src/index.ts', 'src/node.ts', 'src/facade/index.ts'];

describe('public API', function () {
  this.timeout(300_000);

  it('package.json exports the three entry points and the single-file bundle; browsers and Workers get the universal core', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string } & Record<string, { default: string; types: string }>>;
    };
    // Where node:* does not exist, importing 'puressh' must give the core that does not need it.
    for (const condition of ['browser', 'worker', 'workerd'])
      expect(pkg.exports['.']![condition], condition).to.deep.equal({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(Object.fromEntries(Object.entries(pkg.exports).map(([k, v]) => [k, v.default]))).to.deep.equal({
      '.': './dist/bundle/node.js',
      './universal': './dist/bundle/index.js',
      './bundle': './dist/puressh.universal.js',
      './net-ssh2': './dist/bundle/facade.js',
    });
  });

  it('no entry point re-exports a whole module (export *)', () => {
    for (const f of ENTRIES) expect(readFileSync(join(root, f), 'utf8'), f).not.to.match(/export\s*\*/);
  });

  it('the universal core leaves connection and SFTP internals out, and has the pure provider', () => {
    const names = Object.keys(universal);
    for (const internal of [
      'Connection',
      'DEFAULT_WINDOW',
      'DEFAULT_MAX_PACKET',
      'SftpEngine',
      'FramedStream',
      'relay',
      'FXP',
      'registerCipher',
      'registerMac',
    ]) {
      expect(names, internal).not.to.include(internal);
    }
    expect(universal.pureProvider.name).to.equal('pure');
    expect(typeof universal.SshClient.connect).to.equal('function');
  });

  it('the Node entry is the universal core plus the Node parts', () => {
    const extra = Object.keys(node).filter((n) => !(n in universal));
    // parsePrivateKey is the Node entry's own: the universal one with the node:crypto provider by default.
    const own = ['parsePrivateKey'];
    for (const n of Object.keys(universal)) {
      if (own.includes(n))
        expect(node[n as keyof typeof node], n)
          .to.be.a('function')
          .and.not.equal(universal[n as keyof typeof universal]);
      else expect((node as Record<string, unknown>)[n], n).to.equal((universal as Record<string, unknown>)[n]);
    }
    expect(extra.sort()).to.deep.equal(
      [
        'NODE_PREFERRED_CIPHERS',
        'NodeFs',
        'addKnownHost',
        'channelDuplex',
        'channelStderr',
        'channelStreams',
        'commandStream',
        'connect',
        'connectTcp',
        'enableEarlyFree',
        'fileHostKeyVerifier',
        'keepYoungGenerationSmall',
        'loadAuthorizedKeys',
        'loadAuthorizedPrincipals',
        'forwardLocal',
        'listen',
        'forwardRemote',
        'loadKnownHosts',
        'nodeAgent',
        'nodeLocalFs',
        'nodeProvider',
        'pipeChannel',
        'relayListener',
        'saveKnownHosts',
        'sftpReadStream',
        'sftpWriteStream',
        'socketStream',
        'socksProxy',
        'startWebSocketProxy',
        'unixSocketAgent',
        'writeFileAtomic',
      ].sort(),
    );
  });

  it("the Net::SSH2 facade exports its classes and every name of Net::SSH2's :all tag", () => {
    for (const [name, value] of Object.entries(EXPORT_TAGS.all)) expect((facade as Record<string, unknown>)[name], name).to.equal(value);
    for (const c of ['SSH2', 'NetSSH2', 'Channel', 'SFTP', 'File', 'Dir', 'KnownHosts', 'PublicKey', 'Listener']) expect(facade, c).to.have.property(c);
  });

  it('npm run docs: TypeDoc builds the reference with no warning (every export documented)', async () => {
    const { stdout, stderr } = await promisify(execFile)(join(root, 'node_modules/.bin/typedoc'), ['--out', join(root, 'docs/api')], { cwd: root });
    expect(`${stdout}${stderr}`).not.to.match(/\[warning\]|\[error\]/);
  });
});
