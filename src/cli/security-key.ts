/**
 * FIDO security key identity files (-i id_ed25519_sk) for `puressh ssh`. OpenSSH reaches the
 * authenticator through its SecurityKeyProvider, a shared library that puressh cannot load;
 * puressh signs instead through
 *  1. the ssh-agent, when it holds the key (ssh-add id_ed25519_sk), as ssh uses an agent-held
 *     copy of an identity file's key, or
 *  2. a JavaScript module named by $PURESSH_SK_SIGNER whose default export (or export
 *     `signer`) is a SecurityKeySigner, or a function (possibly async) returning one.
 * With neither, signing fails with a message that says so, and ssh moves on to the next key.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentClient } from '../auth/agent/client.js';
import type { SecurityKeySigner } from '../crypto/keys/sk-common.js';
import { securityKeyOf, withSecurityKeySigner } from '../crypto/keys/sk-attach.js';
import type { PrivateKey, PublicKey } from '../crypto/keys/types.js';
import { SecurityKeyError } from '../errors.js';
import { equalConstantTime } from '../wire/bytes.js';
import { keyLabel } from './host-key.js';
import type { Log } from './io.js';

/** The environment variable naming a signer module. */
export const SK_SIGNER_ENV = 'PURESSH_SK_SIGNER';

const isSigner = (v: unknown): v is SecurityKeySigner => typeof v === 'object' && v !== null && typeof (v as SecurityKeySigner).sign === 'function';

/** Import the signer module at `path` (relative to the working directory). */
export async function loadSignerModule(path: string): Promise<SecurityKeySigner> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new SecurityKeyError(`cannot load ${SK_SIGNER_ENV} module ${path}: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
  }
  let exported = mod.signer ?? mod.default;
  if (typeof exported === 'function') exported = await (exported as () => unknown)();
  if (!isSigner(exported)) throw new SecurityKeyError(`${SK_SIGNER_ENV} module ${path} exports no SecurityKeySigner (an object with sign())`);
  return exported;
}

/** A security key from a file that signs through the agent's copy of it, or explains what is missing. */
class AgentOrNothingKey implements PrivateKey {
  readonly type: string;
  readonly signatureAlgorithms: readonly string[];
  readonly comment: string;
  readonly publicKey: PublicKey;

  constructor(
    readonly key: PrivateKey,
    private readonly path: string,
    private readonly agent: AgentClient | undefined,
    private readonly log: Log,
  ) {
    this.type = key.type;
    this.signatureAlgorithms = key.signatureAlgorithms;
    this.comment = key.comment;
    this.publicKey = key.publicKey;
  }

  async sign(algorithm: string, data: Uint8Array): Promise<Uint8Array> {
    const sk = securityKeyOf(this.key)!;
    let reason = 'no ssh-agent';
    if (this.agent) {
      const held = await this.agent.identities().catch(() => []);
      if (held.some((id) => equalConstantTime(id.blob, sk.publicKey.blob))) return this.agent.sign(this.publicKey.blob, algorithm, data);
      reason = 'the ssh-agent does not hold it';
    }
    const message =
      `security key needed (${reason}); puressh cannot load a SecurityKeyProvider library: ` +
      `add the key to ssh-agent (ssh-add ${this.path}) or set ${SK_SIGNER_ENV} to a JavaScript module exporting a SecurityKeySigner`;
    this.log.error(`sign_and_send_pubkey: signing failed for ${keyLabel(this.type)} "${this.path}": ${message}`);
    throw new SecurityKeyError(message);
  }
}

/**
 * The identity file key ready to sign: itself when it is not a security key; else with the
 * signer module's signer, or through the agent when there is no module.
 */
export function prepareSecurityKey(key: PrivateKey, path: string, signer: SecurityKeySigner | undefined, agent: AgentClient | undefined, log: Log): PrivateKey {
  if (!securityKeyOf(key)) return key;
  if (signer) return withSecurityKeySigner(key, signer);
  return new AgentOrNothingKey(key, path, agent, log);
}
