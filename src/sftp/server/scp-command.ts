/**
 * The words of an exec request's command line when it runs scp, split as sh(1) would
 * (POSIX XCU 2.2 quoting: backslash, single and double quotes), for an SSH server that
 * serves scp itself instead of starting a shell. Anything that needs a shell to mean what
 * it says (globs, `~`, variables, command substitution, redirections, several commands)
 * makes it refuse, so no command is served with a meaning other than the shell's.
 */

/** Characters that mean something to sh outside quotes (2.2, 2.6, 2.9, 2.13). */
const SPECIAL = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', '\n', '\r']);

/**
 * The arguments after `scp` in `command` (e.g. "scp -t -- 'my dir'" gives
 * `['-t', '--', 'my dir']`), or null if the command is not a plain scp invocation.
 *
 * @example
 * ```ts
 * const args = parseScpCommand(command);
 * if (args) exitStatus = await serveScp(channelStream, fs, args);
 * ```
 */
export function parseScpCommand(command: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    if (word === null && (c === '~' || c === '#')) return null;
    if (c === '\\') {
      if (++i >= command.length) return null;
      if (command[i] !== '\n') word = (word ?? '') + command[i];
      continue;
    }
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let w: string = word ?? '';
      for (i++; ; i++) {
        if (i >= command.length) return null;
        const d = command[i]!;
        if (d === '"') break;
        if (d === '$' || d === '`') return null;
        if (d === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command[i + 1]!)) {
          i++;
          if (command[i] !== '\n') w += command[i];
        } else w += d;
      }
      word = w;
      continue;
    }
    if (SPECIAL.has(c)) return null;
    word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  if (words[0] !== 'scp') return null;
  return words.slice(1);
}
