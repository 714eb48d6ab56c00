/** Small async building blocks shared by the layers. */

export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        this.settled = true;
        rej(e);
      };
    });
    // A rejection nobody awaits must not crash the process: the error is reported elsewhere.
    this.promise.catch(() => {});
  }
}

/**
 * An unbounded FIFO of items with awaitable `shift()`. Callers bound it by protocol
 * (windows, request counts); `fail()` rejects current and future waiters.
 */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: Deferred<T> | null = null;
  private error: unknown = null;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.error) return;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve(item);
      return;
    }
    this.items.push(item);
  }

  /** The next item if one is queued now, else undefined (no waiting, no promise). */
  poll(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Next item; rejects once failed and empty. Only one waiter at a time. */
  shift(): Promise<T> {
    if (this.head < this.items.length) return Promise.resolve(this.poll()!);
    if (this.error) return Promise.reject(this.error);
    if (this.waiter) throw new Error('AsyncQueue: concurrent shift()');
    this.waiter = new Deferred<T>();
    return this.waiter.promise;
  }

  fail(err: unknown): void {
    if (this.error) return;
    this.error = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }
}
