/**
 * The "password" method (RFC 4252 §8), including the server's password change request
 * (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ), answered through a callback.
 */
import { AuthError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { decodeFailure, userauthRequest } from './messages.js';
import { unexpected } from './reply.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

/** A password, or a function asked for it when the server wants it (null: give up). */
export type PasswordSource = string | (() => Promise<string | null> | string | null);

/** What the server said when it asked for a new password. */
export interface PasswordChangeRequest {
  username: string;
  /** the server's prompt (e.g. "You are required to change your password immediately") */
  prompt: string;
  language: string;
  /** 1 for the first request, 2 if the server refused the first new password, … */
  attempt: number;
}

/** Return the new password, or null to give up (authentication then fails with PASSWORD_EXPIRED). */
export type PasswordChangeCallback = (request: PasswordChangeRequest) => Promise<string | null> | string | null;

/** Options of {@link passwordMethod}. */
export interface PasswordOptions {
  /** answers SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; without it an expired password is an error */
  onPasswordChange?: PasswordChangeCallback | undefined;
  /** give up after this many refused new passwords (default 3) */
  maxChangeAttempts?: number;
}

function decodeChangeRequest(payload: Uint8Array): { prompt: string; language: string } {
  const r = new Reader(payload, 1, 'USERAUTH_PASSWD_CHANGEREQ');
  const prompt = r.text('prompt');
  const language = r.ascii('language tag');
  return { prompt, language };
}

const expired = () => new AuthError('password expired: the server asks for a password change', [], 'PASSWORD_EXPIRED');

/** The "password" method (RFC 4252 §8); a password change request is answered by `onPasswordChange`. */
export function passwordMethod(source: PasswordSource, options: PasswordOptions = {}): AuthMethod {
  const maxChange = options.maxChangeAttempts ?? 3;
  return {
    name: 'password',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      const password = typeof source === 'string' ? source : await source();
      if (password === null) return { success: false, failure: { methods: [], partialSuccess: false } };
      await ctx.send(userauthRequest(ctx.username, 'password').bool(false).string(password).finish().slice());
      for (let attempt = 1; ; attempt++) {
        const reply = await ctx.next();
        switch (reply[0]) {
          case MSG.USERAUTH_SUCCESS:
            return { success: true };
          case MSG.USERAUTH_FAILURE:
            return { success: false, failure: decodeFailure(reply) };
          case MSG.USERAUTH_PASSWD_CHANGEREQ: {
            const req = decodeChangeRequest(reply);
            if (!options.onPasswordChange || attempt > maxChange) throw expired();
            ctx.debug?.('server requests a password change');
            const next = await options.onPasswordChange({ username: ctx.username, ...req, attempt });
            if (next === null) throw expired();
            // RFC 4252 §8: boolean TRUE, old password, new password
            await ctx.send(userauthRequest(ctx.username, 'password').bool(true).string(password).string(next).finish().slice());
            break;
          }
          default:
            throw unexpected('password', reply);
        }
      }
    },
  };
}
