/**
 * The ssh-agent protocol (draft-miller-ssh-agent; OpenSSH PROTOCOL.agent): message numbers,
 * constraint and flag values, and the encoders/decoders for every message we use.
 * Each message travels as uint32 length + body; the body starts with the message number.
 */
import { SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';

/** ssh-agent message numbers (draft-miller-ssh-agent §5.1). */
export const AGENT_MSG = {
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  EXTENSION: 27,
  EXTENSION_FAILURE: 28,
} as const;

/** draft-miller-ssh-agent §4.2.6: key constraints */
export const AGENT_CONSTRAIN = { LIFETIME: 1, CONFIRM: 2, EXTENSION: 255 } as const;

/** draft-miller-ssh-agent §4.5.1: signature flags (RFC 8332 §3.2 for RSA) */
export const AGENT_SIGN_FLAGS = { RSA_SHA2_256: 2, RSA_SHA2_512: 4 } as const;

/** OpenSSH's AGENT_MAX_LEN: larger messages are refused */
export const AGENT_MAX_MESSAGE = 256 * 1024;

/** The agent refused, failed or spoke nonsense (libssh2's AGENT_PROTOCOL code). */
export class AgentError extends SshError {
  override name = 'AgentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('AGENT_PROTOCOL', message, options);
  }
}

/** One key the agent holds, with its comment. */
export interface AgentIdentity {
  /** public key blob (RFC 4253 §6.6) */
  blob: Uint8Array;
  comment: string;
  /** key type from the blob, e.g. "ssh-ed25519" */
  type: string;
}

/** Constraints on a key added to the agent (lifetime, confirmation). */
export interface AddConstraints {
  /** the agent forgets the key after this many seconds */
  lifetime?: number;
  /** the agent asks the user (ssh-askpass) before each use */
  confirm?: boolean;
}

/** Flags for a signature algorithm: rsa-sha2-* need a flag, everything else 0. */
export function signFlags(algorithm: string): number {
  if (algorithm === 'rsa-sha2-256') return AGENT_SIGN_FLAGS.RSA_SHA2_256;
  if (algorithm === 'rsa-sha2-512') return AGENT_SIGN_FLAGS.RSA_SHA2_512;
  return 0;
}

const w = (type: number) => new Writer(64).u8(type);

export const encode = {
  requestIdentities: () => w(AGENT_MSG.REQUEST_IDENTITIES).finish().slice(),
  sign: (blob: Uint8Array, data: Uint8Array, flags: number) => w(AGENT_MSG.SIGN_REQUEST).string(blob).string(data).u32(flags).finish().slice(),
  removeIdentity: (blob: Uint8Array) => w(AGENT_MSG.REMOVE_IDENTITY).string(blob).finish().slice(),
  removeAll: () => w(AGENT_MSG.REMOVE_ALL_IDENTITIES).finish().slice(),
  lock: (passphrase: string) => w(AGENT_MSG.LOCK).string(passphrase).finish().slice(),
  unlock: (passphrase: string) => w(AGENT_MSG.UNLOCK).string(passphrase).finish().slice(),
  /**
   * §4.2.5: `keyFields` is string key type + the type's private fields (the same layout as an
   * OpenSSH private key section, PROTOCOL.key), then the comment and any constraints.
   */
  addIdentity(keyFields: Uint8Array, comment: string, c: AddConstraints = {}): Uint8Array {
    const constrained = c.lifetime !== undefined || c.confirm === true;
    const out = w(constrained ? AGENT_MSG.ADD_ID_CONSTRAINED : AGENT_MSG.ADD_IDENTITY)
      .raw(keyFields)
      .string(comment);
    if (c.lifetime !== undefined) out.u8(AGENT_CONSTRAIN.LIFETIME).u32(c.lifetime);
    if (c.confirm) out.u8(AGENT_CONSTRAIN.CONFIRM);
    return out.finish().slice();
  },
};

function asAgentError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AgentError) throw e;
    if (e instanceof SshError) throw new AgentError(`malformed agent reply: ${e.message}`);
    throw e;
  }
}

/** §4.4: IDENTITIES_ANSWER */
export function decodeIdentities(body: Uint8Array): AgentIdentity[] {
  expectType(body, AGENT_MSG.IDENTITIES_ANSWER, 'list identities');
  return asAgentError(() => {
    const r = new Reader(body, 1, 'agent identities answer');
    const n = r.u32('nkeys');
    if (n > r.remaining / 8) throw new AgentError(`agent claims ${n} keys in a ${body.length}-byte reply`);
    const out: AgentIdentity[] = [];
    const utf8 = new TextDecoder('utf-8');
    for (let i = 0; i < n; i++) {
      const blob = r.string('key blob').slice();
      const comment = utf8.decode(r.string('comment'));
      const type = new Reader(blob, 0, 'agent key blob').ascii('key type');
      out.push({ blob, comment, type });
    }
    r.end();
    return out;
  });
}

/** §4.5: SIGN_RESPONSE → the signature blob */
export function decodeSignResponse(body: Uint8Array): Uint8Array {
  expectType(body, AGENT_MSG.SIGN_RESPONSE, 'sign');
  return asAgentError(() => {
    const r = new Reader(body, 1, 'agent sign response');
    const sig = r.string('signature').slice();
    r.end();
    return sig;
  });
}

/** SUCCESS, or an AgentError naming the operation. */
export function expectSuccess(body: Uint8Array, what: string): void {
  expectType(body, AGENT_MSG.SUCCESS, what);
}

function expectType(body: Uint8Array, type: number, what: string): void {
  if (body.length === 0) throw new AgentError(`agent ${what}: empty reply`);
  if (body[0] === type) return;
  if (body[0] === AGENT_MSG.FAILURE || body[0] === AGENT_MSG.EXTENSION_FAILURE) throw new AgentError(`agent refused: ${what}`);
  throw new AgentError(`agent ${what}: unexpected reply type ${body[0]}`);
}
