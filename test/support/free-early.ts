/**
 * Mocha setup (.mocharc.json `require`): the tests run as Node 22+ and the CLI do, with
 * released packets freed at once (src/node-free.ts). A buffer freed while something still
 * reads it then reads as empty, so the suite's hash and transcript checks catch it.
 */
import { enableEarlyFree } from '../../src/node-free.js';

enableEarlyFree();
