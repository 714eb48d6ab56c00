/**
 * Runs a check in each way a runtime can deny WebAssembly: no `WebAssembly` global (some
 * sandboxes), and a `WebAssembly.Module` that refuses to compile (a CSP without
 * 'wasm-unsafe-eval', workerd). The global is restored afterwards.
 */
export function eachWayWithoutWebAssembly(check: (how: string) => void): void {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
  const refusing = {
    Module: class {
      constructor() {
        throw new Error('CompileError: WebAssembly.Module(): Wasm code generation disallowed by embedder');
      }
    },
  };
  try {
    for (const [how, value] of [
      ['no WebAssembly global', undefined],
      ['compiling refused', refusing],
    ] as const) {
      Object.defineProperty(globalThis, 'WebAssembly', { value, configurable: true, writable: true });
      check(how);
    }
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
}
