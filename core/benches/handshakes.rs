//! Handshake benchmarks (filled in once pairing and sessions land).
fn main() {}
