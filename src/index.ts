/**
 * `puressh/universal`: the SSH client core with no `node:*` import, for any JavaScript
 * runtime given a {@link ByteStream}. This list is the contract: a name not exported here
 * (or by the Node entry `puressh`, or the facade `puressh/net-ssh2`) is internal and may
 * change without notice.
 *
 * @packageDocumentation
 */

// The client and its options.
export { SshClient, algorithmLists } from './client.js';
export type { ClientOptions, HostKeyInfo, AlgorithmPreferences, NegotiatedAlgorithms, ExecResult, RunOptions } from './client.js';
export type { ByteStream } from './transport/stream.js';
// Byte streams for runtimes other than Node: a WebSocket (browsers, through a bridge), a WHATWG
// stream pair (Deno.connect, Cloudflare Workers' connect()), a Bun socket.
export { webSocketStream, WEBSOCKET_BINARY_PROTOCOL, type WebSocketLike, type WebSocketEventLike, type WebSocketStreamOptions } from './streams/websocket.js';
export { webStreamPair, type WebStreamPair, type ReadableStreamReaderLike, type WritableStreamWriterLike } from './streams/web-streams.js';
export { bunSocketStream, type BunConnect, type BunSocketHandlers, type BunSocketLike } from './streams/bun.js';
export type { KexInitLists } from './transport/negotiate.js';
export type { RandomSource } from './kex/types.js';

// Algorithms: the names puressh implements and its default preference order.
export { DEFAULT_KEX, SUPPORTED_KEX } from './kex/index.js';
export { DEFAULT_CIPHERS, SUPPORTED_CIPHERS } from './transport/cipher/index.js';
export { DEFAULT_MACS, SUPPORTED_MACS } from './transport/mac/index.js';
export { SUPPORTED_COMPRESSIONS } from './transport/compression.js';
export { DEFAULT_HOSTKEY_ALGORITHMS, SUPPORTED_HOSTKEY_ALGORITHMS } from './crypto/keys/index.js';
export { pureProvider } from './crypto/provider.js';
export type { CryptoProvider, PublicKeyOps, NistCurve, HashName, RsaPrivateParts, DsaPrivateParts } from './crypto/provider.js';
export type { CipherAlgorithm, CipherState, BlockCipherState, AeadCipherState } from './crypto/cipher-types.js';
export type { MacAlgorithm, MacState } from './crypto/mac-types.js';

// Channels, sessions, forwarding.
export type { Connection, OpenOptions, ChannelOpenHandler } from './connection/connection.js';
export { Channel } from './connection/channel.js';
export type { ChannelOptions, WriteOptions, ExitStatus, ExtendedDataMode } from './connection/channel.js';
export type { IncomingOpen } from './connection/messages.js';
export { AbortError, type OperationOptions } from './connection/abort.js';
export { Session, SIGNALS, type ExecOptions } from './connection/session.js';
export {
  TERMINAL_MODE,
  encodeTerminalModes,
  decodeTerminalModes,
  type PtyOptions,
  type TerminalModes,
  type TerminalModeName,
  type WindowSize,
} from './connection/pty.js';
export { Forwarding, RemoteListener, openDirectTcpip, openDirectStreamlocal, type ForwardedConnection, type DirectTcpipOptions } from './connection/forward.js';
export { Keepalive, type KeepaliveOptions } from './connection/keepalive.js';
export { HostKeyUpdates, type ServerHostKey } from './connection/hostkeys.js';

// The server (RFC 4252 userauth, RFC 4254 connection protocol, sshd's limits).
export { SshServer, IncomingConnection, type SshServerOptions, type ServerLimits, type AcceptOptions } from './server/server.js';
export {
  ServerConnection,
  type ConnectionHandlers,
  type DirectTcpipRequest,
  type DirectStreamlocalRequest,
  type TcpipForwardRequest,
  type ServerConnectionOptions,
} from './server/connection.js';
export { ServerSession, type SessionHandler, type SessionStart, type PtyRequest } from './server/session.js';
export type {
  ServerAuthHandlers,
  AuthRequest,
  PasswordRequest,
  PasswordVerdict,
  PublicKeyRequest,
  HostbasedRequest,
  KeyboardInteractiveRequest,
  InfoChallenge,
  InfoPrompt,
  AuthVerdict,
  AuthPermissions,
  AuthenticatedUser,
  PeerInfo,
  ServerClock,
  UserSettings,
} from './server/types.js';
export type { HostKeySigner } from './server/hostkeys.js';
export type { ServerAlgorithmPreferences } from './server/algorithms.js';
export { parseAuthenticationMethods, userSpecificDelay } from './server/auth-policy.js';
export { parseMaxStartups, type MaxStartups, type PenaltyOptions } from './server/limits.js';
export { connectInMemory, memoryStreamPair, type InMemoryPair, type InMemoryClientOptions } from './server/memory-pair.js';
export type { AuthAttemptEvent } from './server/userauth.js';
export type { GlobalRequestAnswer } from './connection/connection.js';
export type { TransportEvents } from './transport/transport.js';

// Errors.
export {
  SshError,
  ProtocolError,
  DisconnectError,
  ConnectionLostError,
  TimeoutError,
  MacError,
  AlgorithmNegotiationError,
  HostKeyError,
  AuthError,
  ChannelOpenError,
  KeyError,
  LIBSSH2_ERROR,
  DISCONNECT_REASON,
  OPEN_FAILURE,
  type ErrorCode,
  type AlgorithmKind,
} from './errors.js';

// OpenSSH certificates (PROTOCOL.certkeys), key generation and revocation lists (PROTOCOL.krl).
export {
  Certificate,
  CertifiedPrivateKey,
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  DEFAULT_CA_SIGNATURE_ALGORITHMS,
  checkCertificate,
  parseCertificateBlob,
  signCertificate,
  verifyCertificateSignature,
  type CertificateCheck,
  type CertificateFields,
  type CertOption,
  generateKeyPair,
  writeOpenSSHPrivateKey,
  writePemPrivateKey,
  formatPublicKeyPem,
  type PemKeyFormat,
  DEFAULT_KDF_ROUNDS,
  type GeneratedKeyPair,
  type KeyGenSpec,
  type KeyMaterial,
  type RandomBytes,
  type PrivateKeyWriteOptions,
  isKrl,
  isRevoked,
  parseKrl,
  writeKrl,
  type Krl,
  type KrlCertificates,
  type KrlContents,
} from './crypto/keys/index.js';
export { checkHostCertificate, type HostCertificateVerdict } from './knownhosts/certificate.js';

// Keys and fingerprints.
export {
  parsePrivateKey,
  parsePublicKey,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  formatPublicKeyLine,
  formatPublicKeyRfc4716,
  type PrivateKeyOptions,
} from './crypto/keys/index.js';
export type { PrivateKey, PublicKey } from './crypto/keys/types.js';
export { fingerprintSHA256, fingerprintMD5, hostKeyHash, type HostKeyHashType } from './crypto/fingerprint.js';

// User authentication (RFC 4252, 4256; OpenSSH PROTOCOL.agent).
export { passwordMethod, type PasswordOptions, type PasswordSource, type PasswordChangeCallback, type PasswordChangeRequest } from './auth/password.js';
export { publickeyMethod, type PublicKeyOptions } from './auth/publickey.js';
export { keyboardInteractiveMethod, type KbdOptions, type KbdResponder, type KbdChallenge, type KbdPrompt } from './auth/keyboard-interactive.js';
export { hostbasedMethod, type HostbasedOptions } from './auth/hostbased.js';
export { rankAuthMethods, DEFAULT_AUTH_RANK, type AuthCredentials } from './auth/rank.js';
export type { AuthMethod, AuthContext, AuthOutcome } from './auth/types.js';
export type { UserauthFailure } from './auth/messages.js';
export { AgentClient, AgentPrivateKey, type AgentConnector } from './auth/agent/client.js';
export { agentKeyFields, type AgentKeyFields } from './auth/agent/keys.js';
export { installAgentForwarding, requestAgentForwarding } from './auth/agent/forward.js';
export { AGENT_CONSTRAIN, AGENT_MSG, AGENT_SIGN_FLAGS, AgentError, signFlags, type AddConstraints, type AgentIdentity } from './auth/agent/protocol.js';
export { agentMethod } from './auth/agent/method.js';

// known_hosts.
export {
  KnownHosts,
  KNOWNHOST_CHECK,
  formatEntry,
  type AddOptions,
  type CheckResult,
  type CheckStatus,
  type FoundEntry,
  type KeyLike,
} from './knownhosts/db.js';
export { hashHostName } from './knownhosts/hashed.js';
export { hostPortName, matchPattern, matchPatternList, DEFAULT_PORT } from './knownhosts/match.js';
export {
  KnownHostsError,
  parseKnownHosts,
  parseKnownHostsLine,
  type HostField,
  type KnownHostEntry,
  type KnownHostsLine,
  type KnownHostsLineContent,
  type KnownHostsOther,
  type Marker,
} from './knownhosts/parse.js';
export { hostKeyVerifier, describeRefusal, type HostKeyDecider, type HostKeyPolicyName, type HostKeyPolicyOptions } from './knownhosts/policy.js';

// SFTP v3 (draft-ietf-secsh-filexfer-02) and SCP.
export { SftpClient, DEFAULT_LIMITS, openFlags, type SftpClientOptions, type OpenFlags } from './sftp/client.js';
export { SftpFile } from './sftp/file.js';
export { SftpDir } from './sftp/dir.js';
export { fileType, isDirectory, isFile, isSymlink, type SftpAttrs, type SftpExtendedAttr, type FileType } from './sftp/attrs.js';
export { FX, FXF, ATTR, S_IF, ST, EXT } from './sftp/constants.js';
export {
  SftpError,
  SftpEofError,
  SftpNoSuchFileError,
  SftpPermissionDeniedError,
  SftpFailureError,
  SftpBadMessageError,
  SftpNoConnectionError,
  SftpConnectionLostError,
  SftpOpUnsupportedError,
  sftpError,
} from './sftp/errors.js';
export { encodeName, decodeName, displayName, joinPath, type SftpPath } from './sftp/names.js';
export type { SftpName, SftpStatVfs, SftpLimits } from './sftp/packets.js';
export type { LocalFs, LocalFile, LocalStat } from './sftp/local.js';
export type { SftpStream } from './sftp/engine.js';
export type { UploadOptions } from './sftp/upload.js';
export { sftpGet, sftpPut, type TransferOptions } from './sftp/transfer.js';
export { ScpError, scpGet, scpPut, scpGetFile, scpPutFile, shellQuote, type ScpFileInfo, type ScpPutOptions, type ScpHost } from './sftp/scp.js';

// The SFTP server side: the engine over any ByteStream and the file systems it serves.
export { SftpServer, SFTP_MAX_PACKET, type SftpServerOptions, type SftpRequestInfo, type SftpRequestName } from './sftp/server/server.js';
export {
  FsError,
  type FsErrorCode,
  type FsStats,
  type FsSetAttrs,
  type FsStatVfs,
  type FsOpenFlags,
  type FsFile,
  type FsDir,
  type FsDirEntry,
  type SftpFileSystem,
} from './sftp/server/fs.js';
export { MemoryFs, type MemoryFsOptions } from './sftp/server/memory-fs.js';
// The SCP server side (scp -t / scp -f) over the same file systems.
export { serveScp, type ScpServerOptions } from './sftp/server/scp.js';
export { parseScpCommand } from './sftp/server/scp-command.js';

// FIDO security keys (OpenSSH PROTOCOL.u2f): sk-ssh-ed25519 and sk-ecdsa-sha2-nistp256, signing through a SecurityKeySigner.
export {
  SecurityKeyPrivateKey,
  SkEd25519PublicKey,
  SkEcdsaPublicKey,
  SECURITY_KEY_ALGORITHMS,
  SK_USER_PRESENCE,
  SK_USER_VERIFICATION,
  SK_RESIDENT_KEY,
  securityKeyOf,
  securityKeyPolicyProblem,
  withSecurityKeySigner,
  type SecurityKeyMaterial,
  type SecurityKeyPolicy,
  type SecurityKeySignatureInfo,
  type SecurityKeySigner,
  type SecurityKeySignRequest,
  type SecurityKeySignResponse,
  type SkPublicKey,
  type SkPrivateFields,
} from './crypto/keys/index.js';
export { SecurityKeyError } from './errors.js';
export type { SecurityKeyServerPolicy } from './server/types.js';
export {
  webauthnSigner,
  registerWebAuthnKey,
  type WebAuthnCredentials,
  type WebAuthnOptions,
  type WebAuthnRegisterOptions,
  type WebAuthnRegistration,
  type WebAuthnAssertion,
  type WebAuthnAttestation,
  type WebAuthnBytes,
} from './auth/webauthn.js';
export { checkSecurityKeySignature, type SecurityKeyCheckContext } from './authkeys/index.js';

// The publickey subsystem (RFC 4819).
export { PublicKeySubsystem, PublicKeyStatusError, type PublicKeyAttribute, type PublicKeyListing } from './publickey/client.js';
// The server's decision on a public key: authorized_keys, principals, TrustedUserCAKeys, RevokedKeys (sshd(8)).
export {
  authorizeCertificate,
  authorizeKey,
  KeyOptionsError,
  parseAuthorizedKeys,
  parsePrincipals,
  parsePublicKeyList,
  parseRevokedKeys,
  type AuthorizedKey,
  type AuthorizedKeysFile,
  type AuthorizedKeysLine,
  type AuthorizedKeysProblem,
  type AuthorizedPrincipal,
  type AuthorizedPrincipalsFile,
  type AuthorizedPrincipalsLine,
  type AuthorizedPrincipalsProblem,
  type KeyAuthorization,
  type KeyAuthorizationContext,
  type KeyAuthorizationSource,
  type KeyOptions,
  type PublicKeyList,
  type RevokedKeys,
  type TrustedUserCaConfig,
} from './authkeys/index.js';
