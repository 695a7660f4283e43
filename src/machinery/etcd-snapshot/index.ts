// etcd snapshot files, read without etcd: status (hash, revision, keys, size) and the sha256 trailer.
export {describeStatus, hasTrailerSize, snapshotStatus, snapshotTrailer, SnapshotFileError, TrailerDigest, type SnapshotStatus, type SnapshotTrailer} from './status.js';
