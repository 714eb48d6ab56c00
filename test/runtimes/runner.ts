/**
 * Runs the scenario in Deno or Bun, compiled to JS by the test (test/runtimes/runtimes.test.ts).
 * Reads a JSON job from the PURESSH_JOB environment variable: which puressh module to load
 * (`entry`: the universal bundle, or the Node entry bundled for the Node compatibility
 * layers), where sshd is, and the scenario parameters. Prints one line: RESULT <json>.
 *
 * With the universal bundle the connection uses the runtime's own sockets (Deno.connect,
 * Bun.connect); with the Node entry it uses connect() over node:net.
 */
import type { ByteStream, ClientOptions, SshClient } from '../../src/index.js';
import { runScenario, type ScenarioApi, type ScenarioParams } from './scenario.js';

interface Job {
  entryUrl: string;
  kind: 'universal' | 'node';
  host: string;
  port: number;
  params: ScenarioParams;
}

interface DenoGlobal {
  env: { get(name: string): string | undefined };
  connect(options: { hostname: string; port: number }): Promise<unknown>;
}

const g = globalThis as { Deno?: DenoGlobal; Bun?: unknown; process?: { env: Record<string, string | undefined> } };
const jobText = g.Deno ? g.Deno.env.get('PURESSH_JOB') : g.process?.env.PURESSH_JOB;
if (!jobText) throw new Error('PURESSH_JOB is not set');
const job = JSON.parse(jobText) as Job;

type UniversalModule = ScenarioApi & {
  SshClient: { connect(stream: ByteStream, options: ClientOptions): Promise<SshClient> };
  webStreamPair(pair: unknown): Promise<ByteStream>;
  bunSocketStream(target: { hostname: string; port: number }): Promise<ByteStream>;
};
type NodeModule = ScenarioApi & { connect(options: ClientOptions & { host: string; port: number }): Promise<SshClient> };

let connect: (options: ClientOptions) => Promise<SshClient>;
let api: ScenarioApi;
if (job.kind === 'universal') {
  const m = (await import(job.entryUrl)) as UniversalModule;
  api = m;
  connect = async (options) => {
    const stream = g.Deno
      ? await m.webStreamPair(await g.Deno.connect({ hostname: job.host, port: job.port }))
      : await m.bunSocketStream({ hostname: job.host, port: job.port });
    return m.SshClient.connect(stream, options);
  };
} else {
  const m = (await import(job.entryUrl)) as NodeModule;
  api = m;
  connect = (options) => m.connect({ ...options, host: job.host, port: job.port });
}
const result = await runScenario(api, connect, job.params);
console.log(`RESULT ${JSON.stringify({ runtime: g.Deno ? 'deno' : g.Bun ? 'bun' : 'node', ...result })}`);
