/**
 * `npx tsx scripts/bench-mac.ts`: MAC throughput over 32 KiB packets (the size a bulk channel
 * sends), MB/s (10^6 bytes) of MacState.compute, each the best of BENCH_MAC_ROUNDS (default 3)
 * rounds of ~0.4 s: UMAC with its WebAssembly and its JavaScript UHASH kernel, and
 * HMAC-SHA-256 from the pure provider (noble) and the node provider (OpenSSL). No SSH framing,
 * no cipher. Environment: BENCH_MAC_SIZE (bytes per packet, default 32768).
 */
import { createUmac, jsUhashKernel, type UhashKernelFactory } from '../src/crypto/umac.js';
import { createWasmUhash } from '../src/crypto/wasm/umac.js';
import { nodeProvider } from '../src/crypto/node/index.js';
import { getMac } from '../src/transport/mac/index.js';
import type { MacState } from '../src/crypto/mac-types.js';

const SIZE = Number(process.env.BENCH_MAC_SIZE ?? 32768);
const ROUNDS = Number(process.env.BENCH_MAC_ROUNDS ?? 3);
const ROUND_MS = 400;

const wasmKernel: UhashKernelFactory = (keys) => {
  const k = createWasmUhash(keys);
  if (!k) throw new Error('this runtime has no WebAssembly');
  return k;
};

function umacState(tagLength: 8 | 16, kernel: UhashKernelFactory): MacState {
  const umac = createUmac(new Uint8Array(16).fill(7), tagLength, kernel);
  return {
    length: tagLength,
    compute: (seq, data, out, offset) => umac.tag(0, seq, data, out, offset),
    verify: () => false,
    dispose: () => umac.dispose(),
  };
}

const hmac = getMac('hmac-sha2-256');
const cases: [string, () => MacState][] = [
  ['umac-64, WebAssembly NH', () => umacState(8, wasmKernel)],
  ['umac-64, JavaScript NH', () => umacState(8, jsUhashKernel)],
  ['umac-128, WebAssembly NH', () => umacState(16, wasmKernel)],
  ['umac-128, JavaScript NH', () => umacState(16, jsUhashKernel)],
  ['hmac-sha2-256, node:crypto', () => nodeProvider.mac!('hmac-sha2-256')!(new Uint8Array(32).fill(7))],
  ['hmac-sha2-256, pure (noble)', () => hmac.create(new Uint8Array(32).fill(7))],
];

const packet = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i++) packet[i] = (i * 131 + 7) & 0xff;
const tag = new Uint8Array(64);

function round(state: MacState): number {
  let seq = 0;
  for (let i = 0; i < 50; i++) state.compute(seq++, packet, tag, 0); // warm up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ROUND_MS) {
    for (let i = 0; i < 16; i++) state.compute(seq++, packet, tag, 0);
    n += 16;
  }
  return (n * SIZE) / ((performance.now() - start) / 1000) / 1e6;
}

console.log(`MAC throughput, ${SIZE}-byte packets, best of ${ROUNDS} rounds, node ${process.version}`);
const results = cases.map(([name, make]) => ({ name, state: make(), best: 0 }));
for (let r = 0; r < ROUNDS; r++) for (const c of results) c.best = Math.max(c.best, round(c.state));
for (const c of results) {
  console.log(`${c.name.padEnd(30)} ${c.best.toFixed(0).padStart(6)} MB/s`);
  c.state.dispose();
}
