/**
 * Runs the `puressh` CLI from source (through tsx), for tests that spawn it like a user would,
 * without needing a build: `node --import tsx test/support/puressh-cli.ts ssh ...`.
 */
import { cli } from '../../src/cli/main.js';

await cli(process.argv.slice(2));
