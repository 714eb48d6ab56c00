/** SFTP v3 client and SCP (universal: no node:* imports). */
export { SftpClient, DEFAULT_LIMITS, openFlags, type SftpClientOptions, type OpenFlags } from './client.js';
export { SftpFile } from './file.js';
export { SftpDir } from './dir.js';
export { SftpEngine, type SftpStream } from './engine.js';
export { fileType, isDirectory, isFile, isSymlink, type SftpAttrs, type SftpExtendedAttr, type FileType } from './attrs.js';
export { FX, FXF, FXP, ATTR, S_IF, ST, EXT } from './constants.js';
export * from './errors.js';
export { encodeName, decodeName, displayName, joinPath, type SftpPath } from './names.js';
export type { SftpName, SftpStatVfs, SftpLimits } from './packets.js';
export type { LocalFs, LocalFile, LocalStat } from './local.js';
export { sftpGet, sftpPut, type TransferOptions } from './transfer.js';
export { ScpError, scpGet, scpPut, scpGetFile, scpPutFile, shellQuote, type ScpFileInfo, type ScpPutOptions, type ScpHost } from './scp.js';
