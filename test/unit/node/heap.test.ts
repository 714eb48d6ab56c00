/**
 * keepYoungGenerationSmall (src/node-heap.ts): in a process of its own (it sets a V8 flag for
 * the whole process), data that survives scavenges grows V8's new space unless it was called.
 */
import { expect } from 'chai';
import { execFileSyncWithTimeout } from '../../support/spawn-sync.js';
import { fileURLToPath } from 'node:url';

const heapModule = fileURLToPath(new URL('../../../src/node-heap.ts', import.meta.url));

/** New space's capacity (MiB) before and after a child keeps 40 MB of small objects alive, with or without the call. */
function newSpaceGrowth(call: boolean, env: NodeJS.ProcessEnv = {}): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { keepYoungGenerationSmall } from ${JSON.stringify(heapModule)};
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const before = newSpace();
    if (${call}) keepYoungGenerationSmall();
    const kept = [];
    for (let i = 0; i < 1_000_000; i++) kept.push({ i, s: String(i) });
    console.log(JSON.stringify({ before, after: newSpace(), kept: kept.length }));
  `;
  const out = execFileSyncWithTimeout(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  return JSON.parse(out) as { before: number; after: number };
}

describe('keepYoungGenerationSmall', function () {
  this.timeout(60000);

  it('V8 grows the new space under surviving allocations by default', () => {
    const { before, after } = newSpaceGrowth(false);
    expect(after).to.be.greaterThan(before);
  });

  it('keeps the new space at its size once called', () => {
    const { before, after } = newSpaceGrowth(true);
    expect(after).to.equal(before);
  });

  it("leaves an operator's own semi-space flag alone", () => {
    const { before, after } = newSpaceGrowth(true, { NODE_OPTIONS: '--max-semi-space-size=8' });
    expect(after).to.be.greaterThan(before);
  });
});
