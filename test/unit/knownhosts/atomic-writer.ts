/**
 * Child process for file.test.ts: rewrites a file forever, alternating between two large
 * contents, announcing each write on stdout, until it is killed.
 */
import { writeFileAtomic } from '../../../src/knownhosts/file.js';

const [path, a, b] = process.argv.slice(2) as [string, string, string];
const big = (tag: string) => `# ${tag}\n` + `${tag} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG/XJa2MolDRi1r2XRWMch+T9DtwiuPgVlimU69yjCjE\n`.repeat(40_000);
const contents = [big(a), big(b)];
let i = 0;
for (;;) {
  process.stdout.write(`w${i}\n`);
  await writeFileAtomic(path, contents[i % 2]!);
  i++;
}
