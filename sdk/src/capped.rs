//! What an error message may repeat of the user's input: a short prefix and the length, never
//! a whole value (which may be 100 KB, or a PIN) `[IM-110]`.

/// The most characters of an input an error message repeats.
pub const MAX_ECHO_CHARS: usize = 40;

/// `text` as an error message repeats it: whole if short, otherwise its first
/// [`MAX_ECHO_CHARS`] characters and its length.
pub fn capped(text: &str) -> String {
    let len = text.chars().count();
    if len <= MAX_ECHO_CHARS {
        return text.to_owned();
    }
    let head: String = text.chars().take(MAX_ECHO_CHARS).collect();
    format!("{head}... ({} bytes)", text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_inputs_are_cut_with_their_length() {
        assert_eq!(capped("short"), "short");
        let long = "x".repeat(130_000);
        let c = capped(&long);
        assert!(c.len() < 80 && c.ends_with("(130000 bytes)"), "{c}");
    }
}
