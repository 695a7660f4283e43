// Reading a file a user or an image put on the node (manifests, extension service definitions,
// environment files) without trusting what it is: opened non-blocking, so a FIFO cannot hang osd,
// and read only when it is a regular file no larger than the caller allows.
import {constants as fsConstants} from 'node:fs';
import {open} from 'node:fs/promises';

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
    // It may grow while being read: read one byte more than allowed to notice.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const {bytesRead} = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return {kind: 'too large', size: length};
    }
    return {kind: 'text', text: buffer.toString('utf8', 0, length)};
  } finally {
    await handle.close();
  }
}
