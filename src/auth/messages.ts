/** User authentication messages (RFC 4252, RFC 4256), encoded and decoded in one place. */
import { ProtocolError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

export const SERVICE_USERAUTH = 'ssh-userauth';
export const SERVICE_CONNECTION = 'ssh-connection';

export function serviceRequest(name: string): Uint8Array {
  return new Writer(32).u8(MSG.SERVICE_REQUEST).string(name).finish().slice();
}

/** RFC 4252 §5: the common head of every USERAUTH_REQUEST; method fields follow. */
export function userauthRequest(user: string, method: string): Writer {
  return new Writer(256).u8(MSG.USERAUTH_REQUEST).string(user).string(SERVICE_CONNECTION).string(method);
}

/** USERAUTH_FAILURE (RFC 4252 §5.1). */
export interface UserauthFailure {
  /** the methods that can continue */
  methods: string[];
  /** whether the attempt succeeded but more methods are required */
  partialSuccess: boolean;
}

export function decodeFailure(payload: Uint8Array): UserauthFailure {
  const r = new Reader(payload, 1, 'USERAUTH_FAILURE');
  const methods = r.nameList('authentications that can continue');
  const partialSuccess = r.bool('partial success');
  return { methods, partialSuccess };
}

export function decodeBanner(payload: Uint8Array): string {
  const r = new Reader(payload, 1, 'USERAUTH_BANNER');
  return r.text('message');
}

export function expectServiceAccept(payload: Uint8Array, name: string): void {
  if (payload[0] !== MSG.SERVICE_ACCEPT) throw new ProtocolError(`expected SERVICE_ACCEPT, got message ${payload[0]}`);
  const r = new Reader(payload, 1, 'SERVICE_ACCEPT');
  const got = r.ascii('service name');
  if (got !== name) throw new ProtocolError(`server accepted service ${JSON.stringify(got)}, we asked for ${name}`);
}
