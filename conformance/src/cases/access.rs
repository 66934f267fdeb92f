//! Access control (15-access-control).
use crate::case::Case;
/// The access cases.
pub(crate) const CASES: &[Case] = &[];
