/**
 * A PURESSH_SK_SIGNER module for CLI tests: the software authenticator of the test that
 * spawned the CLI, rebuilt from $PURESSH_TEST_AUTHENTICATOR (its JSON).
 */
import { SoftwareAuthenticator } from './software-authenticator.js';

export default function signer(): SoftwareAuthenticator {
  return SoftwareAuthenticator.fromJson(process.env.PURESSH_TEST_AUTHENTICATOR ?? '{"creds":[]}');
}
