/**
 * The server's decision on a public key: authorized_keys and authorized_principals files,
 * key options, certificates through cert-authority or TrustedUserCAKeys, RevokedKeys.
 */
export { parseKeyOptions, certificateKeyOptions, mergeKeyOptions, defaultKeyOptions, KeyOptionsError, type KeyOptions } from './options.js';
export { parseAbsoluteTime } from './time.js';
export {
  parseAuthorizedKeys,
  parseAuthorizedKeysLine,
  parsePrincipals,
  type AuthorizedKey,
  type AuthorizedKeysFile,
  type AuthorizedKeysLine,
  type AuthorizedKeysProblem,
  type AuthorizedPrincipal,
  type AuthorizedPrincipalsFile,
  type AuthorizedPrincipalsLine,
  type AuthorizedPrincipalsProblem,
} from './parse.js';
export { parsePublicKeyList, parseRevokedKeys, keyIsRevoked, type PublicKeyList, type RevokedKeys } from './revoked.js';
export {
  authorizeKey,
  authorizeCertificate,
  type KeyAuthorization,
  type KeyAuthorizationContext,
  type KeyAuthorizationSource,
  type TrustedUserCaConfig,
} from './evaluate.js';
export { checkSecurityKeySignature, type SecurityKeyCheckContext } from './security-key.js';
