// gRPC status codes as text, shared by osctl and osd. Free of grpc-js (codes are the plain numbers
// of the gRPC spec) so the CLI can load it at start-up.

/** grpc-go's names of the codes, as its errors print them. */
export const GO_CODE_NAMES: Readonly<Record<number, string>> = {
  0: 'OK', 1: 'Canceled', 2: 'Unknown', 3: 'InvalidArgument', 4: 'DeadlineExceeded', 5: 'NotFound',
  6: 'AlreadyExists', 7: 'PermissionDenied', 8: 'ResourceExhausted', 9: 'FailedPrecondition', 10: 'Aborted',
  11: 'OutOfRange', 12: 'Unimplemented', 13: 'Internal', 14: 'Unavailable', 15: 'DataLoss', 16: 'Unauthenticated',
};

/**
 * A status as grpc-go's `err.Error()` prints it: what Talos puts in `common.Metadata.error`, and
 * what scripts written for talosctl match on.
 */
export function goErrorText(code: number, details: string): string {
  return `rpc error: code = ${GO_CODE_NAMES[code] ?? `Code(${code})`} desc = ${details}`;
}
