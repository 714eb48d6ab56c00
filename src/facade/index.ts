/**
 * `puressh/net-ssh2`: the Net::SSH2 API (classes, constants, export tags) over puressh.
 * Node-only (paths, sockets, the terminal). See docs/net-ssh2.md.
 */
export { SSH2, SSH2 as NetSSH2, VERSION, type SSH2Options } from './ssh2.js';
export { Channel } from './channel.js';
export { SFTP } from './sftp.js';
export { File } from './file.js';
export { Dir } from './dir.js';
export { KnownHosts } from './knownhosts.js';
export { PublicKey, type PublicKeyAttr, type PublicKeyEntry } from './publickey.js';
export { Listener } from './listener.js';
export type { StatHash } from './attrs.js';
export type { AuthParams } from './auth-rank.js';
export type { KeyboardCallback } from './auth.js';
export type { HostkeyPolicy } from './check-hostkey.js';
export type { PollItem } from './poll.js';
export { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_TRUNC, O_EXCL } from './node-io.js';
export * from './constants.js';
