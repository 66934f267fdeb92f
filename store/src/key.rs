//! Record names that can never escape the store's directory.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The longest record name, in bytes.
pub const MAX_KEY_LEN: usize = 64;

/// The name of one record in a [`Store`](crate::Store).
///
/// A valid name is 1 to [`MAX_KEY_LEN`] bytes of `a-z`, `0-9`, `.`, `_` and `-`, and does not
/// start with a dot. So a name holds no path separator, is never `.` or `..`, and never collides
/// with the store's own hidden files (temporary files and the lock file start with a dot).
///
/// ```
/// use orbit_store::RecordKey;
///
/// let key = RecordKey::new("homes")?;
/// assert_eq!(key.as_str(), "homes");
/// assert!(RecordKey::new("../etc/passwd").is_err());
///
/// // Fixed names can be checked at compile time:
/// const IDENTITY: RecordKey = RecordKey::from_static("identity").expect("valid record name");
/// assert_eq!(IDENTITY.as_str(), "identity");
/// # Ok::<(), orbit_store::InvalidKey>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey(Cow<'static, str>);

/// Why a string is not a valid [`RecordKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKey {
    /// The name is empty.
    #[error("record name is empty")]
    Empty,
    /// The name is longer than [`MAX_KEY_LEN`] bytes.
    #[error("record name is {len} bytes long, more than {MAX_KEY_LEN}")]
    TooLong {
        /// The length of the rejected name, in bytes.
        len: usize,
    },
    /// The name starts with a dot.
    #[error("record name starts with a dot")]
    LeadingDot,
    /// The name holds a byte outside `a-z 0-9 . _ -`.
    #[error(
        "record name holds the byte {byte:#04x} at offset {offset}; only a-z 0-9 . _ - are allowed"
    )]
    BadByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the name.
        offset: usize,
    },
}

const fn allowed(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-')
}

const fn check(name: &str) -> Result<(), InvalidKey> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Err(InvalidKey::Empty);
    }
    if bytes.len() > MAX_KEY_LEN {
        return Err(InvalidKey::TooLong { len: bytes.len() });
    }
    if let [b'.', ..] = bytes {
        return Err(InvalidKey::LeadingDot);
    }
    let mut rest = bytes;
    let mut offset = 0;
    while let [byte, tail @ ..] = rest {
        if !allowed(*byte) {
            return Err(InvalidKey::BadByte {
                byte: *byte,
                offset,
            });
        }
        rest = tail;
        offset += 1;
    }
    Ok(())
}

impl RecordKey {
    /// Checks `name` and makes it a record name.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidKey> {
        let name = name.into();
        check(&name)?;
        Ok(Self(Cow::Owned(name)))
    }

    /// Checks a name known at compile time; `None` if it is invalid. Usable in `const` items,
    /// where `.expect(..)` turns an invalid name into a compile error (see the type's example).
    pub const fn from_static(name: &'static str) -> Option<Self> {
        match check(name) {
            Ok(()) => Some(Self(Cow::Borrowed(name))),
            Err(_) => None,
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordKey({:?})", self.as_str())
    }
}

impl FromStr for RecordKey {
    type Err = InvalidKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for RecordKey {
    type Error = InvalidKey;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for RecordKey {
    type Error = InvalidKey;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

/// Serializes as the name's string.
impl serde::Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserializes a string and validates it like [`RecordKey::new`], so a document cannot
/// smuggle in a name that escapes the store.
impl<'de> serde::Deserialize<'de> for RecordKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::new(name).map_err(serde::de::Error::custom)
    }
}

impl AsRef<str> for RecordKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        for name in [
            "a",
            "homes",
            "device-3.last_addr",
            "0",
            "a..b",
            "x-",
            &"z".repeat(64),
        ] {
            assert_eq!(RecordKey::new(name).unwrap().as_str(), name);
            assert!(RecordKey::from_static(Box::leak(name.to_owned().into_boxed_str())).is_some());
        }
    }

    #[test]
    fn rejects_names_that_could_escape_or_hide() {
        assert_eq!(RecordKey::new(""), Err(InvalidKey::Empty));
        assert_eq!(RecordKey::new("."), Err(InvalidKey::LeadingDot));
        assert_eq!(RecordKey::new(".."), Err(InvalidKey::LeadingDot));
        assert_eq!(RecordKey::new(".lock"), Err(InvalidKey::LeadingDot));
        assert_eq!(
            RecordKey::new("a/b"),
            Err(InvalidKey::BadByte {
                byte: b'/',
                offset: 1
            })
        );
        assert!(RecordKey::new("../x").is_err());
        assert!(RecordKey::new("a\\b").is_err());
        assert!(RecordKey::new("a\0b").is_err());
        assert!(RecordKey::new("Homes").is_err());
        assert!(RecordKey::new("a b").is_err());
        assert!(RecordKey::new("é").is_err());
        assert_eq!(
            RecordKey::new("z".repeat(65)),
            Err(InvalidKey::TooLong { len: 65 })
        );
        assert!(RecordKey::from_static("a/b").is_none());
        assert!(RecordKey::from_static("").is_none());
    }

    #[test]
    fn parses_through_the_std_traits() {
        let a: RecordKey = "keys".parse().unwrap();
        let b = RecordKey::try_from("keys").unwrap();
        let c = RecordKey::try_from(String::from("keys")).unwrap();
        const D: Option<RecordKey> = RecordKey::from_static("keys");
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(Some(c), D);
        assert_eq!(format!("{a} {a:?}"), "keys RecordKey(\"keys\")");
    }

    #[test]
    fn serde_validates() {
        let mut out = Vec::new();
        ciborium::into_writer(&RecordKey::new("dev-1").unwrap(), &mut out).unwrap();
        assert_eq!(out, b"\x65dev-1");
        let back: RecordKey = ciborium::from_reader(&out[..]).unwrap();
        assert_eq!(back.as_str(), "dev-1");
        let mut bad = Vec::new();
        ciborium::into_writer("../x", &mut bad).unwrap();
        assert!(ciborium::from_reader::<RecordKey, _>(&bad[..]).is_err());
    }
}
