// Editing serialized Talos responses without decoding them (talos-api.md §3.2, §4.3). A unary
// response is an envelope: field 1 `messages`, repeated and length-delimited, each element with
// `common.Metadata metadata = 1`. Protobuf merges a singular embedded message that occurs twice,
// so appending an encoded `metadata` field to an element sets fields of its metadata, and
// concatenating envelopes concatenates their `messages`.
import {BinaryReader, BinaryWriter, WireType} from '@bufbuild/protobuf/wire';

/** The field number of `messages` in every envelope, and of `metadata` in every element. */
export const ENVELOPE_FIELD = 1;

export class EnvelopeError extends Error {}

/**
 * `envelope` with `suffix` (encoded fields, normally one `metadata` field) appended to each of its
 * `messages` elements; other fields pass unchanged. Throws EnvelopeError when the bytes are not
 * an envelope with at least one element.
 */
export function appendToElements(envelope: Uint8Array, suffix: Uint8Array): Uint8Array {
  const reader = new BinaryReader(envelope);
  const writer = new BinaryWriter();
  let elements = 0;
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const [field, wireType] = reader.tag();
      if (field === ENVELOPE_FIELD && wireType === WireType.LengthDelimited) {
        const element = reader.bytes();
        writer.tag(ENVELOPE_FIELD, WireType.LengthDelimited).uint32(element.length + suffix.length).raw(element).raw(suffix);
        elements++;
      } else {
        reader.skip(wireType, field);
        writer.raw(envelope.subarray(start, reader.pos));
      }
    }
  } catch (error) {
    throw new EnvelopeError(`malformed response: ${(error as Error).message}`);
  }
  if (elements === 0) throw new EnvelopeError('the response has no messages field');
  return writer.finish();
}
