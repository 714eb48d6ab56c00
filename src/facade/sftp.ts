/**
 * Net::SSH2::SFTP over the core SftpClient. Failures set the session error to
 * LIBSSH2_ERROR_SFTP_PROTOCOL and this object's `error()` to the SSH_FX status.
 */
import type { SftpClient } from '../sftp/client.js';
import { FXF } from '../sftp/constants.js';
import { SftpError } from '../sftp/errors.js';
import { SshError } from '../errors.js';
import { fromPairs, toStatHash, type StatHash } from './attrs.js';
import { fxName } from './constants.js';
import { Dir } from './dir.js';
import { File } from './file.js';
import { O_APPEND, O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY } from './node-io.js';
import type { SSH2 } from './ssh2.js';

const RENAME_OVERWRITE = 1;

/** Net::SSH2::SFTP: an SFTP session. */
export class SFTP {
  /** the last SSH_FX status */
  private fx = 0;

  /** @internal made by SSH2.sftp() */
  constructor(
    private readonly ssh2: SSH2,
    /** the core client */
    readonly core: SftpClient,
  ) {}

  /** Net::SSH2::SFTP's `session`: the SSH2 object. */
  session(): SSH2 {
    return this.ssh2;
  }

  /** @internal an SFTP I/O method of `owner` (this, a File or a Dir) under the session's blocking rules */
  _run<T>(owner: object, method: string, args: readonly unknown[], op: () => Promise<T>): Promise<T | undefined> {
    return this.ssh2._io(owner, method, args, op, {
      onFail: (e) => {
        if (e instanceof SftpError) this.fx = e.status;
      },
    });
  }

  /** The last SFTP status (LIBSSH2_FX_*). */
  error(): number {
    return this.fx;
  }

  /** List context: [code, "SSH_FX_<NAME>"], or [] when there is none. */
  error_list(): [] | [number, string] {
    return this.fx === 0 ? [] : [this.fx, fxName(this.fx)];
  }

  /** Net::SSH2::SFTP's `die_with_error`: throw with the SFTP error appended. */
  die_with_error(...message: string[]): never {
    const e = this.error_list();
    throw new Error([...message, e.length ? `SFTP error ${e[0]} ${e[1]}` : 'no SFTP error registered'].join(': '));
  }

  /** POSIX O_* flags (default O_RDONLY); mode (default 0666) applies when creating. */
  open(path: string, flags = 0, mode = 0o666): Promise<File | undefined> {
    return this._run(this, 'open', [path, flags, mode], async () => {
      let f = flags;
      let l = 0;
      if (f & O_RDWR) {
        l |= FXF.READ | FXF.WRITE;
        f &= ~O_RDWR;
      } else if (f & O_WRONLY) {
        l |= FXF.WRITE;
        f &= ~O_WRONLY;
      } else l |= FXF.READ;
      for (const [o, x] of [
        [O_APPEND, FXF.APPEND],
        [O_CREAT, FXF.CREAT],
        [O_TRUNC, FXF.TRUNC],
        [O_EXCL, FXF.EXCL],
      ] as const) {
        if (f & o) {
          l |= x;
          f &= ~o;
        }
      }
      if (f) throw new SshError('INVAL', `Net::SSH2::SFTP::open: unknown flag value: ${f}`);
      return new File(this, await this.core.open(path, l, l & FXF.CREAT ? { permissions: mode } : {}));
    });
  }

  /** Net::SSH2::SFTP's `opendir`. */
  opendir(path: string): Promise<Dir | undefined> {
    return this._run(this, 'opendir', [path], async () => new Dir(this, await this.core.opendir(path)));
  }

  /** Net::SSH2::SFTP's `unlink`. */
  unlink(path: string): Promise<true | undefined> {
    return this._run(this, 'unlink', [path], () => this.core.unlink(path).then(() => true as const));
  }

  /** Rename; with RENAME_OVERWRITE (part of the default: all flags) an existing `new` is replaced (posix-rename@openssh.com). */
  rename(old_path: string, new_path: string, flags = 7): Promise<true | undefined> {
    return this._run(this, 'rename', [old_path, new_path, flags], async () => {
      if (flags & RENAME_OVERWRITE && this.core.hasExtension('posix-rename@openssh.com')) await this.core.posixRename(old_path, new_path);
      else await this.core.rename(old_path, new_path);
      return true as const;
    });
  }

  /** Net::SSH2::SFTP's `mkdir`. */
  mkdir(path: string, mode = 0o777): Promise<true | undefined> {
    return this._run(this, 'mkdir', [path, mode], () => this.core.mkdir(path, { permissions: mode }).then(() => true as const));
  }

  /** Net::SSH2::SFTP's `rmdir`. */
  rmdir(path: string): Promise<true | undefined> {
    return this._run(this, 'rmdir', [path], () => this.core.rmdir(path).then(() => true as const));
  }

  /** `{ mode, size, uid, gid, atime, mtime, name }`; follow = 0 is lstat. */
  stat(path: string, follow: boolean | number = 1): Promise<StatHash | undefined> {
    return this._run(this, 'stat', [path, follow], async () => toStatHash(await (follow ? this.core.stat(path) : this.core.lstat(path)), path));
  }

  /** setstat(path, key => value, …) or setstat(path, { key: value }). */
  setstat(path: string, ...attrs: unknown[]): Promise<true | undefined> {
    return this._run(this, 'setstat', [path, attrs], () => this.core.setstat(path, fromPairs(attrs)).then(() => true as const));
  }

  /** Create the symbolic link `path` pointing at `target` (the documented meaning; see docs). */
  symlink(path: string, target: string, _type?: number): Promise<true | undefined> {
    return this._run(this, 'symlink', [path, target], () => this.core.symlink(target, path).then(() => true as const));
  }

  /** Net::SSH2::SFTP's `readlink`. */
  readlink(path: string): Promise<string | undefined> {
    return this._run(this, 'readlink', [path], () => this.core.readlink(path));
  }

  /** Net::SSH2::SFTP's `realpath`. */
  realpath(path: string): Promise<string | undefined> {
    return this._run(this, 'realpath', [path], () => this.core.realpath(path));
  }

  /** Close the SFTP channel (Perl does it on destruction). */
  DESTROY(): Promise<void> {
    return this.core.end().catch(() => {});
  }
}
