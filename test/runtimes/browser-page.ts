/**
 * The page script of the Chromium test: loads the published universal bundle (the test's
 * build maps the import below to ./puressh.universal.js, served beside this script), connects
 * through the WebSocket bridge and runs the scenario. The outcome is left in
 * `window.puresshOutcome` (a Promise) for the test to read over the DevTools protocol, and
 * shown on the page for the screenshot.
 */
import * as puressh from '../../src/index.js';
import { runScenario, type ScenarioParams, type ScenarioResult } from './scenario.js';

interface PageParams {
  webSocketUrl: string;
  scenario: ScenarioParams;
}

export interface PageOutcome {
  ok: boolean;
  result?: ScenarioResult;
  error?: string;
  /** whether the page's CSP stopped eval (it must: the library may not need it) */
  evalBlocked: boolean;
}

function show(text: string): void {
  const out = document.getElementById('out');
  if (out) out.textContent += text + '\n';
}

function evalBlocked(): boolean {
  try {
    // The CSP has no 'unsafe-eval': this must throw (an EvalError). The probe is the point.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('return 1')();
    return false;
  } catch {
    return true;
  }
}

async function main(): Promise<PageOutcome> {
  const blocked = evalBlocked();
  show(`eval blocked by CSP: ${blocked}`);
  try {
    const params = (await (await fetch('./params.json')).json()) as PageParams;
    show(`connecting through ${params.webSocketUrl}`);
    const result = await runScenario(
      puressh,
      async (options) => puressh.SshClient.connect(await puressh.webSocketStream(params.webSocketUrl), options),
      params.scenario,
    );
    for (const [k, v] of Object.entries(result)) show(`${k}: ${String(v)}`);
    return { ok: true, result, evalBlocked: blocked };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    show(`failed: ${error}`);
    return { ok: false, error, evalBlocked: blocked };
  }
}

(globalThis as { puresshOutcome?: Promise<PageOutcome> }).puresshOutcome = main();
