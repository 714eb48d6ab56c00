/**
 * The bundles' stand-ins for modules that build tables when evaluated
 * (scripts/first-use.ts): loading a bundle must not evaluate them, and
 * the first call must reach the real module and give its results.
 */
import { expect } from 'chai';
import { build } from 'esbuild';
import { createContext, runInContext } from 'node:vm';
import { ctr } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { EVALUATED_ON_FIRST_USE, evaluatedOnFirstUse } from '../../../scripts/first-use.js';

const ENTRY = `
import { ctr } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
export const aesCtr = (key, iv, data) => ctr(key, iv).encrypt(data);
export const edPublic = (seed) => ed25519.getPublicKey(seed);
export const p256Public = (secret) => p256.getPublicKey(secret);
export const hasPoint = () => 'Point' in p256;
export const kemLengths = () => ml_kem768.lengths;
`;

interface Bundle {
  aesCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  edPublic(seed: Uint8Array): Uint8Array;
  p256Public(secret: Uint8Array): Uint8Array;
  hasPoint(): boolean;
  kemLengths(): unknown;
}

describe('CLI bundle: modules evaluated on first use', function () {
  this.timeout(60000);
  let code: string;

  before(async () => {
    const out = await build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      write: false,
      logLevel: 'silent',
      plugins: [evaluatedOnFirstUse(EVALUATED_ON_FIRST_USE)],
    });
    code = out.outputFiles[0]!.text;
  });

  /** Runs the bundle in a new realm whose typed arrays count how many 256×256 tables were made. */
  function load(): { exports: Bundle; tables: () => number } {
    const context = createContext({ module: { exports: {} }, TextEncoder, crypto: globalThis.crypto });
    runInContext(
      `globalThis.tables = 0;
       for (const T of [Uint32Array, Uint16Array]) {
         globalThis[T.name] = class extends T { constructor(...a) { super(...a); if (a[0] === 65536) globalThis.tables++; } };
       }`,
      context,
    );
    runInContext(`(function (module, exports) { ${code}\n})(module, module.exports)`, context);
    return { exports: (context.module as { exports: Bundle }).exports, tables: () => context.tables as number };
  }

  it('evaluates none of them when the bundle loads', () => {
    const { tables } = load();
    expect(tables()).to.equal(0);
  });

  it('gives the real modules’ results at the first call, building the tables then', () => {
    const { exports, tables } = load();
    const key = new Uint8Array(16).fill(1);
    const iv = new Uint8Array(16).fill(2);
    const data = new Uint8Array(100).map((_, i) => i);
    expect(Buffer.from(exports.aesCtr(key, iv, data))).to.deep.equal(Buffer.from(ctr(key, iv).encrypt(data)));
    expect(tables()).to.be.greaterThan(0);
    const seed = new Uint8Array(32).fill(3);
    expect(Buffer.from(exports.edPublic(seed))).to.deep.equal(Buffer.from(ed25519.getPublicKey(seed)));
    expect(Buffer.from(exports.p256Public(seed))).to.deep.equal(Buffer.from(p256.getPublicKey(seed)));
    expect(exports.hasPoint()).to.equal(true);
    expect(exports.kemLengths()).to.deep.equal(ml_kem768.lengths);
  });

  it('builds the real modules into the bundle rather than requiring them at run time', () => {
    expect(code).to.not.match(/require\("@noble\//);
  });
});
