/**
 * Test support for the in-memory SFTP servers: cuts the client's byte stream into packets
 * (uint32 length, then that many bytes), whatever the write boundaries.
 */
export class SftpFrames {
  private inbuf = new Uint8Array(0);

  /** Take `data` (copied: the client may reuse it) and return the packet bodies it completes. */
  push(data: Uint8Array): Uint8Array[] {
    this.inbuf = new Uint8Array(Buffer.concat([this.inbuf, data]));
    const packets: Uint8Array[] = [];
    while (this.inbuf.length >= 4) {
      const len = new DataView(this.inbuf.buffer, this.inbuf.byteOffset).getUint32(0);
      if (this.inbuf.length < 4 + len) break;
      packets.push(this.inbuf.slice(4, 4 + len));
      this.inbuf = this.inbuf.slice(4 + len);
    }
    return packets;
  }
}
