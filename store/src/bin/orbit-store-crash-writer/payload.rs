//! The records the crash writer writes, shared with `tests/crash.rs` (included there by path).

use orbit_store::{Document, RecordKey, SecretBytes};
use serde::{Deserialize, Serialize};

/// Name of the raw record: `generation (u64 BE) || length (u32 BE) || bytes(generation)`.
pub(crate) const RAW: &str = "raw-generation";
/// Name of the document record, written after the raw record in each generation.
pub(crate) const DOC: &str = "doc-generation";

/// The document record.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct GenerationDoc {
    pub(crate) generation: u64,
    pub(crate) data: SecretBytes,
}

impl Document for GenerationDoc {
    const KIND: &'static str = "crash-test.generation";
    const VERSION: u16 = 1;
}

pub(crate) fn key(name: &str) -> Result<RecordKey, orbit_store::InvalidKey> {
    RecordKey::new(name)
}

/// A few KB of bytes that only generation `generation` produces (length 1024..5119).
pub(crate) fn bytes(generation: u64, salt: u64) -> Vec<u8> {
    let mut state = generation
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(salt);
    let len = 1024 + (generation.wrapping_mul(2_654_435_761) % 4096) as usize;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// The raw record's payload for `generation`.
pub(crate) fn raw_payload(generation: u64) -> Vec<u8> {
    let data = bytes(generation, 1);
    let mut out = Vec::with_capacity(12 + data.len());
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
    out
}

/// The generation a raw payload belongs to, if it is exactly `raw_payload(generation)`.
pub(crate) fn parse_raw(payload: &[u8]) -> Option<u64> {
    let (generation, _) = payload.split_first_chunk::<8>()?;
    let generation = u64::from_be_bytes(*generation);
    (raw_payload(generation) == payload).then_some(generation)
}

/// The document for `generation`.
pub(crate) fn doc(generation: u64) -> GenerationDoc {
    GenerationDoc {
        generation,
        data: SecretBytes::new(bytes(generation, 2)),
    }
}
