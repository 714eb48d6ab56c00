/**
 * The "keyboard-interactive" method (RFC 4256): the server sends INFO_REQUESTs (a name, an
 * instruction and prompts, each with an echo flag) and we answer each with INFO_RESPONSE,
 * for as many rounds as the server wants, until SUCCESS or FAILURE.
 */
import { AuthError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { decodeFailure, userauthRequest } from './messages.js';
import { unexpected } from './reply.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

/** One prompt of an INFO_REQUEST (RFC 4256 §3.2). */
export interface KbdPrompt {
  prompt: string;
  /** whether the answer may be shown while typed */
  echo: boolean;
}

/** One INFO_REQUEST (RFC 4256 §3.2). */
export interface KbdChallenge {
  /** the user name being authenticated */
  username: string;
  name: string;
  instruction: string;
  /** deprecated language tag, usually empty */
  language: string;
  prompts: KbdPrompt[];
}

/**
 * Answers one round: one string per prompt, in order. Return null to give up (the method
 * then ends as failed, so the next method can be tried).
 */
export type KbdResponder = (challenge: KbdChallenge) => readonly string[] | null | Promise<readonly string[] | null>;

/** Options of {@link keyboardInteractiveMethod}. */
export interface KbdOptions {
  /** RFC 4256 §3.1 submethods hint (e.g. "pam"); empty by default */
  submethods?: string[];
  /** stop after this many rounds (a server could ask forever); default 32 */
  maxRounds?: number;
}

/** RFC 4256 §3.2 */
export function decodeInfoRequest(payload: Uint8Array): Omit<KbdChallenge, 'username'> {
  const r = new Reader(payload, 1, 'USERAUTH_INFO_REQUEST');
  const name = r.text('name');
  const instruction = r.text('instruction');
  const language = r.ascii('language tag');
  const count = r.u32('num-prompts');
  // Each prompt takes at least 5 bytes: bound the count before allocating.
  if (count > r.remaining / 5) r.raw(count * 5, 'prompts');
  const prompts: KbdPrompt[] = [];
  for (let i = 0; i < count; i++) prompts.push({ prompt: r.text('prompt'), echo: r.bool('echo') });
  r.end();
  return { name, instruction, language, prompts };
}

/** RFC 4256 §3.4 */
export function encodeInfoResponse(answers: readonly string[]): Uint8Array {
  const w = new Writer(64).u8(MSG.USERAUTH_INFO_RESPONSE).u32(answers.length);
  for (const a of answers) w.string(a);
  return w.finish().slice();
}

/**
 * keyboard-interactive with a responder callback, or with a password that answers every
 * prompt that does not echo (Net::SSH2's "keyboard-auto"); echoed prompts get "".
 * @example keyboardInteractiveMethod(({ prompts }) => prompts.map((p) => ask(p.prompt, p.echo)))
 */
export function keyboardInteractiveMethod(responder: KbdResponder | string, options: KbdOptions = {}): AuthMethod {
  const respond: KbdResponder = typeof responder === 'string' ? ({ prompts }) => prompts.map((p) => (p.echo ? '' : responder)) : responder;
  const maxRounds = options.maxRounds ?? 32;
  return {
    name: 'keyboard-interactive',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      // RFC 4256 §3.1: language tag (deprecated, empty), submethods
      await ctx.send(
        userauthRequest(ctx.username, 'keyboard-interactive')
          .string('')
          .string((options.submethods ?? []).join(','))
          .finish()
          .slice(),
      );
      let gaveUp = false;
      for (let round = 0; ; round++) {
        const reply = await ctx.next();
        if (reply[0] === MSG.USERAUTH_SUCCESS) return { success: true };
        if (reply[0] === MSG.USERAUTH_FAILURE) return { success: false, failure: decodeFailure(reply) };
        if (reply[0] !== MSG.USERAUTH_INFO_REQUEST) throw unexpected('keyboard-interactive', reply);
        if (round >= maxRounds) throw new AuthError(`keyboard-interactive: the server asked more than ${maxRounds} rounds`);
        const challenge = { username: ctx.username, ...decodeInfoRequest(reply) };
        ctx.debug?.(`keyboard-interactive round ${round + 1}: ${challenge.prompts.length} prompt(s)`);
        const answers = gaveUp ? null : await respond(challenge);
        if (answers === null) {
          // RFC 4256 has no abort: answer with empty strings until the server gives up too.
          gaveUp = true;
          await ctx.send(encodeInfoResponse(challenge.prompts.map(() => '')));
          continue;
        }
        if (answers.length !== challenge.prompts.length) {
          throw new AuthError(`keyboard-interactive: ${answers.length} answer(s) for ${challenge.prompts.length} prompt(s)`, [], 'BAD_USE');
        }
        await ctx.send(encodeInfoResponse(answers));
      }
    },
  };
}
