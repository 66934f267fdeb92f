//! What an honest controller never sends: replays, tampered records, stale counters,
//! malformed CBOR, out-of-order or truncated handshake messages, invalid points. Built from
//! orbit-core's public message types and the suite's honest controller; nothing in the
//! core's public API exists for it. Only cases use this module.

pub mod ble;
pub mod commissioning;
pub mod framing;
pub mod interaction;
pub mod malformed;
pub mod pairing;
pub mod protection;
pub mod sessions;
