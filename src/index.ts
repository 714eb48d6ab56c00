/**
 * The universal entry point: no `node:*` imports, runs anywhere JavaScript runs given a ByteStream.
 */
export { SshClient, algorithmLists } from './client.js';
export type { ClientOptions, HostKeyInfo, AlgorithmPreferences, NegotiatedAlgorithms, ExecResult } from './client.js';
export { Channel } from './connection/channel.js';
export type { ExitStatus, ExtendedDataMode } from './connection/channel.js';
export { Connection, DEFAULT_WINDOW, DEFAULT_MAX_PACKET } from './connection/connection.js';
export type { OpenOptions, ChannelOpenHandler, ConnectionOptions } from './connection/connection.js';
export type { ChannelOptions, WriteOptions } from './connection/channel.js';
export type { RunOptions } from './client.js';
export { AbortError, type OperationOptions } from './connection/abort.js';
export { Session, SIGNALS, type ExecOptions } from './connection/session.js';
export { TERMINAL_MODE, encodeTerminalModes, decodeTerminalModes, type PtyOptions, type TerminalModes, type WindowSize } from './connection/pty.js';
export { Forwarding, RemoteListener, openDirectTcpip, openDirectStreamlocal, type ForwardedConnection, type DirectTcpipOptions } from './connection/forward.js';
export { Keepalive, type KeepaliveOptions } from './connection/keepalive.js';
export { HostKeyUpdates, type ServerHostKey } from './connection/hostkeys.js';
export type { ByteStream } from './transport/stream.js';
export * from './errors.js';
export { parsePrivateKey, parsePublicKeyBlob, parsePublicKeyLine, DEFAULT_HOSTKEY_ALGORITHMS, SUPPORTED_HOSTKEY_ALGORITHMS } from './crypto/keys/index.js';
export type { PrivateKeyOptions } from './crypto/keys/index.js';
export type { PrivateKey, PublicKey } from './crypto/keys/types.js';
export { fingerprintSHA256, fingerprintMD5, hostKeyHash } from './crypto/fingerprint.js';
export { DEFAULT_KEX, SUPPORTED_KEX } from './kex/index.js';
export { DEFAULT_CIPHERS, SUPPORTED_CIPHERS } from './transport/cipher/index.js';
export { DEFAULT_MACS, SUPPORTED_MACS } from './transport/mac/index.js';
export { SUPPORTED_COMPRESSIONS } from './transport/compression.js';
export * from './sftp/index.js';
export * from './knownhosts/index.js';
export * from './auth/agent/index.js';
export { keyboardInteractiveMethod } from './auth/keyboard-interactive.js';
export { passwordMethod } from './auth/password.js';
export { hostbasedMethod } from './auth/hostbased.js';
export { publickeyMethod } from './auth/publickey.js';
export { rankAuthMethods, DEFAULT_AUTH_RANK } from './auth/rank.js';
export type { AuthMethod, AuthContext } from './auth/types.js';
export { parsePublicKey, formatPublicKeyLine, formatPublicKeyRfc4716 } from './crypto/keys/index.js';
export { PublicKeySubsystem, PublicKeyStatusError, type PublicKeyAttribute, type PublicKeyListing } from './publickey/client.js';
