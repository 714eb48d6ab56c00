/**
 * `puressh`, the Node entry point: everything `puressh/universal` exports, plus what needs
 * Node: TCP connections ({@link connect}), OpenSSL-backed crypto ({@link nodeProvider}),
 * known_hosts files, the ssh-agent socket, streams and port forwarding over node:net.
 *
 * @packageDocumentation
 */
import { SshClient, type ClientOptions } from './client.js';
import { connectTcp, socketStream } from './node-stream.js';
import type { ByteStream } from './transport/stream.js';
import { nodeLocalFs } from './sftp/node-fs.js';
import { nodeProvider } from './crypto/node/index.js';
import { pureProvider, type CryptoProvider } from './crypto/provider.js';
import { parsePrivateKey as parsePrivateKeyWith, type PrivateKeyOptions } from './crypto/keys/index.js';
import type { PrivateKey } from './crypto/keys/types.js';

// Everything the universal entry exports (./index.ts), listed so that this file states the whole contract.
export {
  AbortError,
  AGENT_CONSTRAIN,
  AGENT_MSG,
  AGENT_SIGN_FLAGS,
  AgentClient,
  AgentError,
  agentKeyFields,
  agentMethod,
  AgentPrivateKey,
  algorithmLists,
  AlgorithmNegotiationError,
  ATTR,
  AuthError,
  Channel,
  ChannelOpenError,
  type Connection,
  ConnectionLostError,
  decodeName,
  decodeTerminalModes,
  DEFAULT_AUTH_RANK,
  DEFAULT_CIPHERS,
  DEFAULT_HOSTKEY_ALGORITHMS,
  DEFAULT_KEX,
  DEFAULT_LIMITS,
  DEFAULT_MACS,
  DEFAULT_PORT,
  describeRefusal,
  DISCONNECT_REASON,
  DisconnectError,
  displayName,
  encodeName,
  encodeTerminalModes,
  EXT,
  fileType,
  fingerprintMD5,
  fingerprintSHA256,
  formatEntry,
  formatPublicKeyLine,
  formatPublicKeyRfc4716,
  Forwarding,
  FX,
  FXF,
  hashHostName,
  hostbasedMethod,
  HostKeyError,
  hostKeyHash,
  HostKeyUpdates,
  hostKeyVerifier,
  hostPortName,
  installAgentForwarding,
  isDirectory,
  isFile,
  isSymlink,
  joinPath,
  Keepalive,
  keyboardInteractiveMethod,
  KeyError,
  KNOWNHOST_CHECK,
  KnownHosts,
  KnownHostsError,
  LIBSSH2_ERROR,
  MacError,
  matchPattern,
  matchPatternList,
  OPEN_FAILURE,
  openDirectStreamlocal,
  openDirectTcpip,
  openFlags,
  parseKnownHosts,
  parseKnownHostsLine,
  parsePublicKey,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  passwordMethod,
  ProtocolError,
  publickeyMethod,
  PublicKeyStatusError,
  PublicKeySubsystem,
  pureProvider,
  rankAuthMethods,
  RemoteListener,
  requestAgentForwarding,
  S_IF,
  ScpError,
  scpGet,
  scpGetFile,
  scpPut,
  scpPutFile,
  Session,
  SftpBadMessageError,
  SftpClient,
  SftpServer,
  SFTP_MAX_PACKET,
  FsError,
  MemoryFs,
  serveScp,
  parseScpCommand,
  SftpConnectionLostError,
  SftpDir,
  SftpEofError,
  SftpError,
  sftpError,
  SftpFailureError,
  SftpFile,
  sftpGet,
  SftpNoConnectionError,
  SftpNoSuchFileError,
  SftpOpUnsupportedError,
  SftpPermissionDeniedError,
  sftpPut,
  shellQuote,
  SIGNALS,
  signFlags,
  SshClient,
  SshError,
  ST,
  SUPPORTED_CIPHERS,
  SUPPORTED_COMPRESSIONS,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  SUPPORTED_KEX,
  SUPPORTED_MACS,
  TERMINAL_MODE,
  TimeoutError,
  type AddConstraints,
  type AddOptions,
  type AgentConnector,
  type AgentIdentity,
  type AgentKeyFields,
  type AlgorithmKind,
  type AlgorithmPreferences,
  type AuthContext,
  type AuthCredentials,
  type AuthMethod,
  type AuthOutcome,
  type ByteStream,
  type ChannelOpenHandler,
  type ChannelOptions,
  type CheckResult,
  type CheckStatus,
  type ClientOptions,
  type CryptoProvider,
  type DirectTcpipOptions,
  type DsaPrivateParts,
  type ErrorCode,
  type ExecOptions,
  type ExecResult,
  type ExitStatus,
  type ExtendedDataMode,
  type FileType,
  type ForwardedConnection,
  type FoundEntry,
  type HashName,
  type HostbasedOptions,
  type HostField,
  type HostKeyDecider,
  type HostKeyHashType,
  type HostKeyInfo,
  type HostKeyPolicyName,
  type HostKeyPolicyOptions,
  type IncomingOpen,
  type KbdOptions,
  type KbdResponder,
  type KeepaliveOptions,
  type KexInitLists,
  type KeyLike,
  type KnownHostEntry,
  type KnownHostsLine,
  type KnownHostsLineContent,
  type LocalFile,
  type LocalFs,
  type LocalStat,
  type Marker,
  type NegotiatedAlgorithms,
  type NistCurve,
  type OpenFlags,
  type OpenOptions,
  type OperationOptions,
  type PasswordChangeCallback,
  type PasswordOptions,
  type PasswordSource,
  type PrivateKey,
  type PrivateKeyOptions,
  type PtyOptions,
  type PublicKey,
  type PublicKeyAttribute,
  type PublicKeyListing,
  type PublicKeyOps,
  type PublicKeyOptions,
  type RandomSource,
  type RsaPrivateParts,
  type RunOptions,
  type ScpFileInfo,
  type ScpHost,
  type ScpPutOptions,
  type ServerHostKey,
  type SftpAttrs,
  type SftpClientOptions,
  type SftpServerOptions,
  type SftpRequestInfo,
  type SftpRequestName,
  type FsErrorCode,
  type FsStats,
  type FsSetAttrs,
  type FsStatVfs,
  type FsOpenFlags,
  type FsFile,
  type FsDir,
  type FsDirEntry,
  type SftpFileSystem,
  type MemoryFsOptions,
  type ScpServerOptions,
  type SftpExtendedAttr,
  type SftpLimits,
  type SftpName,
  type SftpPath,
  type SftpStatVfs,
  type TerminalModeName,
  type TerminalModes,
  type TransferOptions,
  type UploadOptions,
  type WindowSize,
  type WriteOptions,
} from './index.js';
export {
  Certificate,
  CertifiedPrivateKey,
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  DEFAULT_CA_SIGNATURE_ALGORITHMS,
  checkCertificate,
  checkHostCertificate,
  parseCertificateBlob,
  signCertificate,
  verifyCertificateSignature,
  generateKeyPair,
  writeOpenSSHPrivateKey,
  DEFAULT_KDF_ROUNDS,
  isKrl,
  isRevoked,
  parseKrl,
  writeKrl,
  type CertificateCheck,
  type CertificateFields,
  type CertOption,
  type GeneratedKeyPair,
  type HostCertificateVerdict,
  type KeyGenSpec,
  type KeyMaterial,
  type RandomBytes,
  type PrivateKeyWriteOptions,
  type Krl,
  type KrlCertificates,
  type KrlContents,
} from './index.js';
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
} from './index.js';
export { loadAuthorizedKeys, loadAuthorizedPrincipals, type UserAccount } from './authkeys/node-strict-modes.js';
export { socketStream, connectTcp } from './node-stream.js';
export { commandStream, type CommandStreamOptions } from './node-command-stream.js';

// SFTP on Node: get/put use node:fs unless told otherwise; streams over remote files.
export { nodeLocalFs } from './sftp/node-fs.js';
export { NodeFs, type NodeFsOptions } from './sftp/server/node-fs.js';
export {
  createReadStream as sftpReadStream,
  createWriteStream as sftpWriteStream,
  type SftpReadStreamOptions,
  type SftpWriteStreamOptions,
} from './sftp/node-streams.js';
export { channelDuplex, channelStderr, channelStreams, type ChannelDuplexOptions } from './connection/node-stream.js';
export {
  pipeChannel,
  forwardLocal,
  forwardRemote,
  relayListener,
  type ForwardingClient,
  type ForwardTarget,
  type LocalForward,
  type LocalForwardOptions,
  type RemoteForward,
  type RemoteForwardOptions,
} from './connection/node-forward.js';
export { socksProxy, type SocksOptions } from './connection/socks.js';

export { nodeProvider } from './crypto/node/index.js';
export { loadKnownHosts, saveKnownHosts, addKnownHost, fileHostKeyVerifier, writeFileAtomic } from './knownhosts/file.js';
export { nodeAgent, unixSocketAgent } from './auth/agent/node.js';

/**
 * parsePrivateKey of the universal entry, with the node:crypto provider by default: the key's
 * public half then comes from OpenSSL (noble's first derivation on a curve builds a base-point
 * table: 25-60 ms, kept in the heap for good; bench/README.md). `options` as a string is the passphrase.
 */
export function parsePrivateKey(text: string | Uint8Array, options?: string | PrivateKeyOptions): PrivateKey {
  const o = typeof options === 'string' ? { passphrase: options } : options;
  return parsePrivateKeyWith(text, { ...o, provider: o?.provider ?? nodeProvider });
}

/** Options of {@link connect}: the client options plus where to connect and which crypto to use. */
export interface NodeConnectOptions extends Omit<ClientOptions, 'crypto'> {
  /** 'node' (default): bulk crypto over node:crypto; 'pure': the noble JS code; or a provider */
  crypto?: 'node' | 'pure' | CryptoProvider;
  /** the server's name: whom to connect to over TCP, and what host key checks are about */
  host: string;
  port?: number;
  /** TCP connect timeout in ms */
  connectTimeout?: number;
  signal?: AbortSignal;
  /**
   * Run the connection over this stream instead of opening a TCP connection, e.g. a
   * direct-tcpip channel of another connection (`(await jump.forwardOut(host, port)).byteStream()`,
   * ssh's ProxyJump).
   */
  stream?: ByteStream;
}

/** OpenSSH's default set, AES-GCM first: the fastest order on node:crypto. */
export const NODE_PREFERRED_CIPHERS: readonly string[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'chacha20-poly1305@openssh.com',
];

/** Connect over TCP, run the handshake, verify the host key and authenticate. */
export async function connect(options: NodeConnectOptions): Promise<SshClient> {
  const stream = options.stream ?? socketStream(await connectTcp(options.host, options.port ?? 22, options.connectTimeout, options.signal));
  const crypto = options.crypto === 'pure' ? pureProvider : options.crypto === undefined || options.crypto === 'node' ? nodeProvider : options.crypto;
  // Default cipher order follows the provider: with OpenSSL's AES, GCM is several times
  // faster than chacha20-poly1305 (Node has no Poly1305); in pure JS it is the reverse.
  const algorithms =
    crypto === nodeProvider && !options.algorithms?.cipher ? { ...options.algorithms, cipher: [...NODE_PREFERRED_CIPHERS] } : options.algorithms;
  return SshClient.connect(stream, { ...options, crypto, algorithms, localFs: options.localFs ?? nodeLocalFs });
}
