/** known_hosts: parsing, matching, checking and editing (universal; file I/O is in ./file.ts). */
export { KnownHosts, KNOWNHOST_CHECK, formatEntry, type AddOptions, type CheckResult, type CheckStatus, type FoundEntry, type KeyLike } from './db.js';
export { hashHostName, hashedNameMatches } from './hashed.js';
export { hostPortName, matchPattern, matchPatternList, hostFieldMatches, DEFAULT_PORT } from './match.js';
export { KnownHostsError, parseKnownHosts, parseKnownHostsLine, type HostField, type KnownHostEntry, type KnownHostsLine, type Marker } from './parse.js';
export { hostKeyVerifier, describeRefusal, type HostKeyDecider, type HostKeyPolicyName, type HostKeyPolicyOptions } from './policy.js';
export { checkHostCertificate, type HostCertificateVerdict } from './certificate.js';
