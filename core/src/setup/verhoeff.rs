//! The Verhoeff check digit (J. Verhoeff, "Error Detecting Decimal Codes", 1969), used by the
//! manual code `[SETUP-18]`. It catches every single-digit substitution and every transposition
//! of adjacent digits. A checksum, not a cryptographic primitive.

/// Multiplication table of the dihedral group D5.
const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Position-dependent permutations: row `i` is the permutation applied at position `i mod 8`.
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Inverses in D5.
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// Entry of a table; digits are always 0..=9 here, and an impossible index reads as 0.
fn at<const N: usize>(table: &[[u8; 10]; N], row: usize, col: u8) -> u8 {
    table
        .get(row)
        .and_then(|r| r.get(usize::from(col)))
        .copied()
        .unwrap_or(0)
}

/// Runs the Verhoeff state over `digits` (values 0..=9, most significant first), treating the
/// rightmost digit as position `first_position`.
fn state(digits: &[u8], first_position: usize) -> u8 {
    state_from_last(digits.iter().rev().copied(), first_position)
}

/// The check state over digits given from the last to the first, so that a caller can run it
/// over its input without storing the digits `[SETUP-21]`.
fn state_from_last(digits_from_last: impl Iterator<Item = u8>, first_position: usize) -> u8 {
    digits_from_last.enumerate().fold(0u8, |c, (i, digit)| {
        at(&D, usize::from(c), at(&P, (i + first_position) % 8, digit))
    })
}

/// The check digit to append to `digits` `[SETUP-18]`.
pub(super) fn check_digit(digits: &[u8]) -> u8 {
    // The check digit will take position 0, so the payload digits start at position 1.
    INV.get(usize::from(state(digits, 1))).copied().unwrap_or(0)
}

/// Whether `digits`, ending in their check digit, pass the Verhoeff check `[SETUP-18]`.
pub(super) fn is_valid(digits: &[u8]) -> bool {
    state(digits, 0) == 0
}

/// [`is_valid`] over digits given from the last to the first.
pub(super) fn is_valid_from_last(digits_from_last: impl Iterator<Item = u8>) -> bool {
    state_from_last(digits_from_last, 0) == 0
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    fn matter_vectors() -> serde_json::Value {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/matter-onboarding-codes.json"
        ));
        serde_json::from_str(text).unwrap()
    }

    // [SETUP-18] every check digit of Matter's published manual codes, and its negative cases.
    #[test]
    fn matter_check_digits() {
        let json = matter_vectors();
        let manual = json["manual"].as_array().unwrap();
        assert!(manual.len() >= 6);
        for v in manual {
            let code = digits(v["code"].as_str().unwrap());
            let (body, check) = code.split_at(code.len() - 1);
            assert_eq!(check_digit(body), check[0], "{v}");
            assert!(is_valid(&code));
        }
        let negative = json["verhoeff_negative"].as_array().unwrap();
        assert!(!negative.is_empty());
        for v in negative {
            let code = digits(v["code"].as_str().unwrap());
            assert_eq!(is_valid(&code), v["valid"].as_bool().unwrap(), "{v}");
        }
    }

    // [SETUP-18] the textbook example: 236 -> check digit 3.
    #[test]
    fn textbook_example() {
        assert_eq!(check_digit(&[2, 3, 6]), 3);
        assert!(is_valid(&[2, 3, 6, 3]));
        assert!(!is_valid(&[2, 3, 6, 4]));
    }

    // [SETUP-18] every single substitution and adjacent transposition of a long code fails.
    #[test]
    fn detects_substitutions_and_transpositions() {
        let mut code = digits("63610875354536714526");
        code.push(check_digit(&code));
        assert!(is_valid(&code));
        for i in 0..code.len() {
            for d in 0..10 {
                if d != code[i] {
                    let mut bad = code.clone();
                    bad[i] = d;
                    assert!(!is_valid(&bad), "substitution at {i}");
                }
            }
            if i + 1 < code.len() && code[i] != code[i + 1] {
                let mut bad = code.clone();
                bad.swap(i, i + 1);
                assert!(!is_valid(&bad), "transposition at {i}");
            }
        }
    }
}
