/**
 * The server's side of the user authentication messages (RFC 4252, RFC 4256), encoded and
 * decoded in one place. The client's side is src/auth/messages.ts.
 */
import { ProtocolError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** SERVICE_REQUEST (RFC 4253 §10): the service name. */
export function decodeServiceRequest(p: Uint8Array): string {
  return new Reader(p, 1, 'SERVICE_REQUEST').ascii('service name');
}

export function serviceAccept(name: string): Uint8Array {
  return new Writer(32).u8(MSG.SERVICE_ACCEPT).string(name).finish().slice();
}

/** The common head of a USERAUTH_REQUEST (RFC 4252 §5); `body` is at the method fields. */
export interface UserauthRequestHead {
  username: string;
  service: string;
  method: string;
  body: Reader;
}

export function decodeUserauthRequest(p: Uint8Array): UserauthRequestHead {
  const r = new Reader(p, 1, 'USERAUTH_REQUEST');
  return { username: r.text('user name'), service: r.ascii('service name'), method: r.ascii('method name'), body: r };
}

/** USERAUTH_FAILURE (RFC 4252 §5.1). */
export function userauthFailure(methods: readonly string[], partialSuccess: boolean): Uint8Array {
  return new Writer(64).u8(MSG.USERAUTH_FAILURE).nameList(methods).bool(partialSuccess).finish().slice();
}

export const USERAUTH_SUCCESS_PACKET: Uint8Array = new Uint8Array([MSG.USERAUTH_SUCCESS]);

/** USERAUTH_BANNER (RFC 4252 §5.4): message and (empty) language tag. */
export function userauthBanner(text: string): Uint8Array {
  return new Writer(64 + text.length * 3).u8(MSG.USERAUTH_BANNER).string(text).string('').finish().slice();
}

/** USERAUTH_PK_OK (RFC 4252 §7): the algorithm and key blob of the acceptable query. */
export function pkOk(algorithm: string, blob: Uint8Array): Uint8Array {
  return new Writer(64 + blob.length).u8(MSG.USERAUTH_PK_OK).string(algorithm).string(blob).finish().slice();
}

/** USERAUTH_PASSWD_CHANGEREQ (RFC 4252 §8): prompt and language tag. */
export function passwordChangeRequest(prompt: string): Uint8Array {
  return new Writer(64 + prompt.length * 3).u8(MSG.USERAUTH_PASSWD_CHANGEREQ).string(prompt).string('').finish().slice();
}

/** One prompt of an INFO_REQUEST (RFC 4256 §3.2). */
export interface InfoPrompt {
  prompt: string;
  /** whether the client may show the answer as it is typed */
  echo: boolean;
}

/** USERAUTH_INFO_REQUEST (RFC 4256 §3.2). */
export function infoRequest(name: string, instruction: string, prompts: readonly InfoPrompt[]): Uint8Array {
  const w = new Writer(128).u8(MSG.USERAUTH_INFO_REQUEST).string(name).string(instruction).string('').u32(prompts.length);
  for (const p of prompts) w.string(p.prompt).bool(p.echo);
  return w.finish().slice();
}

/** USERAUTH_INFO_RESPONSE (RFC 4256 §3.4): exactly `expected` answers. */
export function decodeInfoResponse(p: Uint8Array, expected: number): string[] {
  const r = new Reader(p, 1, 'USERAUTH_INFO_RESPONSE');
  const n = r.u32('num-responses');
  // RFC 4256 §3.4: one response per prompt; OpenSSH disconnects on a mismatch.
  if (n !== expected) throw new ProtocolError(`keyboard-interactive: ${n} responses to ${expected} prompts`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.text('response'));
  r.end();
  return out;
}
