// Channel settings osctl and osd's forwarder share.

/** 32 MiB: apid's receive limit and the Go client's. */
export const MAX_MESSAGE_BYTES = 32 << 20;

/**
 * The HTTP/2 receive window of a channel (per stream and per connection). Node's default of 64 KiB
 * makes every 64 KiB of a stream (read, cp, logs) wait for a WINDOW_UPDATE round trip, twice through a
 * forwarding hop; grpc-go's and grpc-java's windows are of this order. It also bounds what a stream
 * can buffer unread.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 1 << 20;
