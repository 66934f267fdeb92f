//! Wrappers that keep secrets out of logs and wipe them when dropped.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

const REDACTED: &str = "<redacted>";

/// A secret value: `Debug` and `Display` print `<redacted>`, and the value is zeroized when
/// dropped. Serializes exactly as `T`, so a document can hold one and still derive `Debug`.
///
/// For byte strings use [`SecretBytes`], which serializes as a CBOR byte string rather than an
/// array of integers.
///
/// ```
/// use orbit_store::Secret;
///
/// let pin = Secret::new(String::from("1234"));
/// assert_eq!(format!("{pin:?} {pin}"), "<redacted> <redacted>");
/// assert_eq!(pin.expose(), "1234");
/// ```
///
/// Zeroizing covers this value only: copies made while encoding or decoding (serializer
/// buffers, a `ciborium::Value` built during a migration) are not wiped.
#[derive(Clone, Default)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value. Take care where it goes.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret value, mutably.
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Compares the values; not constant-time (use [`SecretBytes`] for that).
impl<T: Zeroize + PartialEq> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: Zeroize + Eq> Eq for Secret<T> {}

impl<T: Zeroize + Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

/// Secret bytes (a private key, a pairing verifier, a resumption secret): `Debug` and
/// `Display` print `<redacted>`, the bytes are zeroized on drop, equality is constant-time for
/// equal lengths, and serde sees a byte string (accepting an array of integers on input).
///
/// ```
/// use orbit_store::SecretBytes;
///
/// let key = SecretBytes::new(vec![0xde, 0xad, 0xbe, 0xef]);
/// assert_eq!(format!("{key:?}"), "<redacted>");
/// assert_eq!(key.expose(), &[0xde, 0xad, 0xbe, 0xef]);
/// ```
#[derive(Clone, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes. Take care where they go.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for SecretBytes {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Constant-time in the contents; the lengths are compared first (a length is not secret).
impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for SecretBytes {}

impl Serialize for SecretBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = SecretBytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<SecretBytes, E> {
                Ok(SecretBytes(v.to_vec()))
            }

            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<SecretBytes, E> {
                Ok(SecretBytes(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SecretBytes, A::Error> {
                // Limit the pre-allocation to what a hostile length field can cost.
                let mut out =
                    SecretBytes(Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096)));
                while let Some(byte) = seq.next_element::<u8>()? {
                    out.0.push(byte);
                }
                Ok(out)
            }
        }

        // `byte_buf`, not `bytes`: ciborium serves `deserialize_bytes` only for byte strings
        // that fit its 4 KiB scratch buffer.
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(
            format!("{s:?}|{s}|{s:#?}"),
            "<redacted>|<redacted>|<redacted>"
        );
        let t = Secret::new([9u8; 4]);
        assert_eq!(format!("{t:?}|{t}"), "<redacted>|<redacted>");
    }

    #[test]
    fn equality() {
        assert_eq!(
            SecretBytes::from(&[1u8, 2][..]),
            SecretBytes::new(vec![1, 2])
        );
        assert_ne!(SecretBytes::new(vec![1, 2]), SecretBytes::new(vec![1, 3]));
        assert_ne!(
            SecretBytes::new(vec![1, 2]),
            SecretBytes::new(vec![1, 2, 0])
        );
        assert_eq!(Secret::new(5u32), Secret::from(5u32));
    }

    #[test]
    fn serializes_as_a_cbor_byte_string_and_accepts_arrays() {
        let mut out = Vec::new();
        ciborium::into_writer(&SecretBytes::new(vec![0xaa, 0xbb]), &mut out).unwrap();
        assert_eq!(out, [0x42, 0xaa, 0xbb]);
        let back: SecretBytes = ciborium::from_reader(&out[..]).unwrap();
        assert_eq!(back.expose(), &[0xaa, 0xbb]);
        // [1, 2] as a CBOR array of integers.
        let array: SecretBytes = ciborium::from_reader(&[0x82, 0x01, 0x02][..]).unwrap();
        assert_eq!(array.expose(), &[1, 2]);
        let big = SecretBytes::new((0..10_000u32).map(|i| i as u8).collect());
        let mut out = Vec::new();
        ciborium::into_writer(&big, &mut out).unwrap();
        let back: SecretBytes = ciborium::from_reader(&out[..]).unwrap();
        assert_eq!(back, big);
        let back: SecretBytes = ciborium::Value::serialized(&big)
            .unwrap()
            .deserialized()
            .unwrap();
        assert_eq!(back, big);
        let mut out = Vec::new();
        ciborium::into_writer(&Secret::new(7u8), &mut out).unwrap();
        assert_eq!(out, [0x07]);
    }
}
