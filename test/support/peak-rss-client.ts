/**
 * Run as a child process: connect to 127.0.0.1:<port> (argv[2]) with the Node entry point,
 * then print one JSON line with how the connection ended and this process's peak RSS
 * (VmHWM from /proc/self/status, KiB), for tests that bound the client's memory use.
 */
import { readFileSync } from 'node:fs';
import { connect } from '../../src/node.js';
import { SshError } from '../../src/errors.js';

const port = Number(process.argv[2]);
let outcome: { code: string; message: string };
try {
  const client = await connect({ host: '127.0.0.1', port, username: 'nobody', hostKeyVerifier: () => true, timeout: 120_000 });
  await client.disconnect();
  outcome = { code: 'CONNECTED', message: '' };
} catch (e) {
  outcome = e instanceof SshError ? { code: e.code, message: e.message } : { code: 'UNEXPECTED', message: String(e) };
}
const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ ...outcome, vmHwmKiB: hwm ? Number(hwm[1]) : 0 }) + '\n');
