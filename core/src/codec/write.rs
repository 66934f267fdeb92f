//! Writing CBOR items straight into a caller-owned buffer, head by head.
//!
//! Hot messages (the interaction model's) are written with these instead of through a
//! [`super::Value`] tree: no tree is allocated and dropped per message. The writer of a map
//! gives its entry count first and then writes its entries with unsigned keys in ascending
//! order, which is the deterministic order `[CBOR-7]`.

/// Appends a CBOR head of `major` type with argument `arg` in its shortest form `[CBOR-3]`.
pub(crate) fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

/// Appends an unsigned integer.
pub fn write_uint(out: &mut Vec<u8>, v: u64) {
    head(out, 0, v);
}

/// Appends a signed integer: major type 0 when non-negative, 1 (holding `-1 - v`) otherwise.
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    match u64::try_from(v) {
        Ok(u) => head(out, 0, u),
        // For negative v, -1 - v is !v in two's complement, and never overflows.
        Err(_) => head(out, 1, !v as u64),
    }
}

/// Appends a byte string.
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends a text string.
pub fn write_text(out: &mut Vec<u8>, t: &str) {
    head(out, 3, t.len() as u64);
    out.extend_from_slice(t.as_bytes());
}

/// Appends the head of an array of `len` items; the caller writes them next.
pub fn write_array(out: &mut Vec<u8>, len: usize) {
    head(out, 4, len as u64);
}

/// Appends the head of a map of `len` entries; the caller writes each key and value next.
pub fn write_map(out: &mut Vec<u8>, len: usize) {
    head(out, 5, len as u64);
}

/// Appends `true` or `false`.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xf5 } else { 0xf4 });
}

/// Appends `null`.
pub fn write_null(out: &mut Vec<u8>) {
    out.push(0xf6);
}
