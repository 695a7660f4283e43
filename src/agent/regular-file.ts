// Reading a file a user or an image put on the node (manifests, extension service definitions,
// environment files) without trusting what it is: opened non-blocking, so a FIFO cannot hang osd,
// and read only when it is a regular file no larger than the caller allows.
import {constants as fsConstants} from 'node:fs';
import {open} from 'node:fs/promises';

const READ_PIECE_BYTES = 64 * 1024;

export type RegularFileRead =
  | {kind: 'text'; text: string}
  | {kind: 'directory'}
  /** a FIFO, device or socket */
  | {kind: 'not regular'}
  | {kind: 'too large'; size: number};

/** Reads `path` as UTF-8 if it is a regular file of at most `maxBytes`; open and read errors are thrown. */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFileRead> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return {kind: 'directory'};
    if (!info.isFile()) return {kind: 'not regular'};
    if (info.size > maxBytes) return {kind: 'too large', size: info.size};
    // Read what is there, in pieces (a 4 MiB limit must not cost 4 MiB per small file); it may grow
    // while being read, so stop once it passes the limit.
    const pieces: Buffer[] = [];
    let length = 0;
    for (;;) {
      const piece = Buffer.allocUnsafe(Math.min(Math.max(info.size - length + 1, 1024), READ_PIECE_BYTES, maxBytes + 1 - length));
      const {bytesRead} = await handle.read(piece, 0, piece.length, length);
      if (bytesRead === 0) break;
      pieces.push(piece.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) return {kind: 'too large', size: length};
    }
    return {kind: 'text', text: Buffer.concat(pieces, length).toString('utf8')};
  } finally {
    await handle.close();
  }
}
