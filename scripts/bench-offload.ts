/**
 * `npx tsx scripts/bench-offload.ts`: what moving AES-GCM decryption off the main thread
 * would cost and save, before any transport is built around it. Opens BENCH_OFFLOAD_PACKETS
 * (default 16384, i.e. 512 MiB) aes128-gcm packets of 32 KiB as the transport does (length as
 * AAD, a node:crypto context per packet, a copy of each packet as if cut from a read buffer):
 *
 * - inline: on the main thread;
 * - worker: in a worker_threads Worker, packets transferred (not copied) in batches of 1, 8
 *   and 32, four batches in flight, plaintexts transferred back;
 * - webcrypto: `crypto.subtle.decrypt`, whose jobs run on libuv's thread pool, 4 and 16 in flight.
 *
 * Prints wall time, the main thread's CPU time (/proc/self/task/<pid>/stat, 10 ms ticks), the
 * whole process's, and the resident memory a started Worker adds at idle. Linux only.
 */
import { Worker } from 'node:worker_threads';
import { createCipheriv, createDecipheriv, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PACKET = 32768;
const COUNT = Number(process.env.BENCH_OFFLOAD_PACKETS ?? 16384);
const key = randomBytes(16);
const nonce = randomBytes(12);
const aad = Buffer.from([0, 0, 0x80, 0x00]);
const body = randomBytes(PACKET);
const sealer = createCipheriv('aes-128-gcm', key, nonce);
sealer.setAAD(aad);
const ciphertext = Buffer.concat([sealer.update(body), sealer.final()]);
const tag = sealer.getAuthTag();
/** length ‖ ciphertext ‖ tag, as it arrives */
const wirePacket = Buffer.concat([aad, ciphertext, tag]);

/** The worker's code, as plain CommonJS: it decrypts each batch and transfers the plaintexts back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createDecipheriv } = require('node:crypto');
const key = Buffer.from(workerData.key), nonce = Buffer.from(workerData.nonce);
parentPort.on('message', (packets) => {
  const out = packets.map((ab) => {
    const packet = new Uint8Array(ab), end = packet.length - 16;
    const d = createDecipheriv('aes-128-gcm', key, nonce);
    d.setAAD(packet.subarray(0, 4));
    d.setAuthTag(packet.subarray(end));
    const plain = d.update(packet.subarray(4, end));
    d.final();
    return plain.buffer;
  });
  parentPort.postMessage(out, out);
});`;

function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function vmRssKiB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

/** A packet as the decoder has it: copied out of the read buffer into memory of its own. */
function receivedPacket(): Uint8Array {
  const p = new Uint8Array(wirePacket.length);
  p.set(wirePacket);
  return p;
}

function openInline(packet: Uint8Array): Buffer {
  const end = packet.length - 16;
  const d = createDecipheriv('aes-128-gcm', key, nonce);
  d.setAAD(packet.subarray(0, 4));
  d.setAuthTag(packet.subarray(end));
  const plain = d.update(packet.subarray(4, end));
  d.final();
  return plain;
}

function check(n: number): void {
  if (n !== PACKET) throw new Error(`a plaintext of ${n} bytes, expected ${PACKET}`);
}

async function inline(): Promise<void> {
  for (let i = 0; i < COUNT; i++) check(openInline(receivedPacket()).length);
}

async function worker(batch: number): Promise<void> {
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { key, nonce } });
  let sent = 0;
  let received = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < 4 && sent < COUNT) {
        const packets: ArrayBuffer[] = [];
        for (; packets.length < batch && sent < COUNT; sent++) packets.push(receivedPacket().buffer as ArrayBuffer);
        inFlight++;
        w.postMessage(packets, packets);
      }
    };
    w.on('error', reject);
    w.on('message', (plaintexts: ArrayBuffer[]) => {
      for (const p of plaintexts) check(p.byteLength);
      received += plaintexts.length;
      inFlight--;
      if (received === COUNT) resolve();
      else pump();
    });
    pump();
  });
  await w.terminate();
}

async function subtle(depth: number): Promise<void> {
  const cryptoKey = await webcrypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  let sent = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const one = (): void => {
      sent++;
      const packet = receivedPacket();
      webcrypto.subtle
        .decrypt({ name: 'AES-GCM', iv: nonce, additionalData: packet.subarray(0, 4), tagLength: 128 }, cryptoKey, packet.subarray(4))
        .then((plain) => {
          check(plain.byteLength);
          if (++done === COUNT) resolve();
          else if (sent < COUNT) one();
        }, reject);
    };
    for (let i = 0; i < depth; i++) one();
  });
}

async function idleWorkerRssMiB(): Promise<number> {
  const before = vmRssKiB();
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { key, nonce } });
  await new Promise<void>((resolve) => {
    w.once('message', () => resolve());
    const p = receivedPacket().buffer as ArrayBuffer;
    w.postMessage([p], [p]);
  });
  await new Promise((r) => setTimeout(r, 200));
  const after = vmRssKiB();
  await w.terminate();
  return (after - before) / 1024;
}

const cases: [string, () => Promise<void>][] = [
  ['inline', inline],
  ['worker, batches of 1', () => worker(1)],
  ['worker, batches of 8', () => worker(8)],
  ['worker, batches of 32', () => worker(32)],
  ['webcrypto, 4 in flight', () => subtle(4)],
  ['webcrypto, 16 in flight', () => subtle(16)],
];

console.log(`aes128-gcm, ${COUNT} packets of ${PACKET} bytes (${((COUNT * PACKET) / 2 ** 20).toFixed(0)} MiB)`);
console.log('way                        wall ms   main-thread CPU ms   process CPU ms');
for (const [name, run] of cases) {
  const t0 = performance.now();
  const main0 = mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  console.log(
    `${name.padEnd(26)} ${wall.toFixed(0).padStart(7)}   ${String(mainThreadCpuMs() - main0).padStart(18)}   ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(14)}`,
  );
}
console.log(`a started Worker adds ${(await idleWorkerRssMiB()).toFixed(1)} MiB of resident memory at idle`);
