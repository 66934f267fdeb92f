//! Why a real Bluetooth adapter could not scan, connect, serve or advertise.

use std::fmt;

/// Why a Bluetooth adapter could not do what it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdapterError {
    /// The machine has no (powered) Bluetooth adapter, or none with the name asked for.
    NoAdapter,
    /// The peer is not an Orbit device: it lacks the Orbit service or one of its
    /// characteristics, or a characteristic lacks a property [BLE-1] requires.
    NotOrbit(String),
    /// The operation did not finish within its deadline.
    Timeout(&'static str),
    /// The value given does not fit (for example service data longer than an advert holds).
    Invalid(String),
    /// The adapter stopped serving (its task ended, or the `BluezPeripheral` was dropped).
    Stopped,
    /// The Bluetooth stack failed, with its own words.
    Stack(String),
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAdapter => {
                f.write_str("no Bluetooth adapter is available (is one present and powered?)")
            }
            Self::NotOrbit(why) => write!(f, "the peer is not an Orbit device: {why}"),
            Self::Timeout(what) => write!(f, "Bluetooth {what} timed out"),
            Self::Invalid(why) => write!(f, "invalid Bluetooth adapter input: {why}"),
            Self::Stopped => f.write_str("the Bluetooth adapter stopped serving"),
            Self::Stack(why) => write!(f, "the Bluetooth stack failed: {why}"),
        }
    }
}

impl std::error::Error for AdapterError {}
