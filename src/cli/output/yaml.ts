// YAML output is written by the shared Go-style emitter (src/machinery/yaml-emit.ts), the same one
// osd renders yaml_spec with; what stays here is how talosctl reads an untagged scalar back.
import {resolveGoScalar, toGoYaml, UntaggedScalar} from '../../machinery/yaml-emit.js';

export {toGoYaml, UntaggedScalar};

/**
 * The value Go's yaml.Unmarshal into interface{} reads back from an untagged scalar: talosctl's
 * JSON output is made that way, which is why its `metadata.version` is a number and an empty
 * owner is null. Text the emitter must quote reads back as that text; timestamps stay strings
 * (yaml.v3 keeps them as text for interface{}).
 */
export function resolveUntaggedScalar(text: string): unknown {
  if (toGoYaml(new UntaggedScalar(text)) !== `${text}\n`) return text;
  const {tag, value} = resolveGoScalar(text);
  return tag === 'timestamp' ? text : value;
}
