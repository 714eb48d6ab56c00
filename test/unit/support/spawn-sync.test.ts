import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSyncWithTimeout, spawnSyncWithTimeout } from '../../support/spawn-sync.js';

describe('test support: spawnSyncWithTimeout', () => {
  it('returns a child that ends, whatever its status, after one run', () => {
    const r = spawnSyncWithTimeout('sh', ['-c', 'echo out; echo err >&2; exit 3'], { encoding: 'utf8' }, 5000);
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([3, 'out\n', 'err\n']);
    expect(() => execFileSyncWithTimeout('sh', ['-c', 'exit 3'], { encoding: 'utf8' }, 5000)).to.throw(/exit 3/);
  });

  it('runs a child that hangs once a second time, and fails on a second time-out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puressh-spawn-'));
    try {
      const marker = join(dir, 'started');
      const once = `if [ -e '${marker}' ]; then echo second; else touch '${marker}'; exec sleep 30; fi`;
      expect(execFileSyncWithTimeout('sh', ['-c', once], { encoding: 'utf8' }, 500)).to.equal('second\n');
      expect(existsSync(marker)).to.equal(true);
      expect(() => spawnSyncWithTimeout('sleep', ['30'], { encoding: 'utf8' }, 300)).to.throw(/still running after 300 ms, twice/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
