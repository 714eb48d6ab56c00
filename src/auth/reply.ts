import { ProtocolError } from '../errors.js';
import { msgName } from '../wire/constants.js';

export function unexpected(method: string, reply: Uint8Array): ProtocolError {
  return new ProtocolError(`userauth ${method}: unexpected ${msgName(reply[0] ?? 0)} from server`);
}
