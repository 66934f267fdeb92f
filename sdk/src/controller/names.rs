//! The names a user gives paired devices: what makes one acceptable, and the default one.
//!
//! A device is found by its name or its node ID, so a name must never read as a node ID (it
//! would hide the device with that ID); and a name is printed one per line, so it holds no
//! control characters (a newline in a name would inject a fake line into a listing).

use super::error::{Cause, ControllerError, Phase};
use super::state::ControllerState;

/// The longest device name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Why a device name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty or only spaces.
    #[error("a device name cannot be empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_CHARS`].
    #[error("a device name is at most {max} characters; this one has {len}")]
    TooLong {
        /// Its length in characters.
        len: usize,
        /// [`MAX_NAME_CHARS`].
        max: usize,
    },
    /// The name holds a control character (a newline, a tab, an escape...).
    #[error("a device name cannot contain control characters (such as a newline or a tab)")]
    ControlCharacter,
    /// The name reads as a node ID, which already names a device.
    #[error("{0:?} reads as a node ID; give the device a name with a letter in it")]
    LooksLikeNodeId(String),
    /// Another paired device has the name already.
    #[error(
        "a paired device is already called {0:?}; choose another name, unpair that device \
         first, or replace its record"
    )]
    InUse(String),
}

/// Whether `text` is how a node ID is written for lookups (decimal, or hex after `0x`).
pub(crate) fn reads_as_node_id(text: &str) -> bool {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
        None => !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()),
    }
}

/// Checks `name` on its own: not empty, at most [`MAX_NAME_CHARS`], no control characters,
/// not a node ID.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_NAME_CHARS {
        return Err(NameError::TooLong {
            len,
            max: MAX_NAME_CHARS,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    if reads_as_node_id(name) {
        return Err(NameError::LooksLikeNodeId(name.to_owned()));
    }
    Ok(())
}

/// The name to store a newly paired device under: `wanted` if it is acceptable and free
/// (or `replace` is set), otherwise an error; without `wanted`, `default` made unique with a
/// `-2`, `-3`... suffix.
pub(crate) fn choose(
    state: &ControllerState,
    wanted: Option<&str>,
    default: &str,
    replace: bool,
) -> Result<String, ControllerError> {
    let refuse = |e: NameError| ControllerError::new(Phase::Request, Cause::Name(e));
    match wanted {
        Some(name) => {
            check_name(name).map_err(refuse)?;
            if !replace && state.devices.iter().any(|d| d.name == name) {
                return Err(refuse(NameError::InUse(name.to_owned())));
            }
            Ok(name.to_owned())
        }
        None => {
            let taken = |n: &str| state.devices.iter().any(|d| d.name == n);
            if !taken(default) {
                return Ok(default.to_owned());
            }
            let mut n = 2u32;
            loop {
                let candidate = format!("{default}-{n}");
                if !taken(&candidate) {
                    return Ok(candidate);
                }
                n = n.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_confuse_lookups_or_listings_are_refused() {
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name("  "), Err(NameError::Empty));
        assert!(matches!(
            check_name(&"x".repeat(MAX_NAME_CHARS + 1)),
            Err(NameError::TooLong { len: 65, max: 64 })
        ));
        assert_eq!(check_name(&"é".repeat(MAX_NAME_CHARS)), Ok(()));
        assert_eq!(
            check_name("lamp\nfake 0x1000"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(check_name("a\tb"), Err(NameError::ControlCharacter));
        for id in ["4096", "0x1000", "0X1a"] {
            assert!(matches!(check_name(id), Err(NameError::LooksLikeNodeId(_))));
        }
        for ok in ["lamp", "kitchen lamp", "0xlamp", "12b", "0x"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
    }
}
