/**
 * wire/free: a freed buffer's memory is gone at once (every view reads as empty), and only
 * buffers that can be freed are touched. The suite runs with transfer enabled
 * (test/support/free-early.ts), as Node 22+ and the CLI run.
 */
import { expect } from 'chai';
import { freeBuffer } from '../../../src/wire/free.js';

describe('wire/free: freeBuffer', () => {
  it('detaches the whole ArrayBuffer a view lies in: every view of it reads as empty', () => {
    const whole = new Uint8Array(4096).fill(7);
    const view = whole.subarray(100, 200);
    const other = new Uint8Array(whole.buffer, 3000, 10);
    freeBuffer(view);
    expect(whole.buffer.byteLength).to.equal(0);
    expect([whole.length, view.length, other.length]).to.deep.equal([0, 0, 0]);
  });

  it('leaves a SharedArrayBuffer alone, and a detached buffer freed twice is no error', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(1);
    freeBuffer(shared);
    expect(shared.length).to.equal(64);
    expect(shared[63]).to.equal(1);
    const b = new Uint8Array(16);
    freeBuffer(b);
    freeBuffer(b);
    expect(b.length).to.equal(0);
  });
});
