//! The radio seam: what a Bluetooth stack gives the Orbit link. One implementation per stack
//! (btleplug on a desktop, BlueZ through bluer on Linux, Android's and iOS's stacks through the
//! phone bindings, the simulated link in tests); the framing above it is the same for all.
//!
//! A radio carries ATT values of the Orbit service's two characteristics ([BLE-2]): on the
//! central (the controller) `write` is an ATT Write Without Response to the write
//! characteristic and values arrive as notifications; on the peripheral (the device) `write`
//! is a notification and values arrive as writes. The connection already exists when a radio
//! is handed to the link: the central has connected, exchanged the MTU and subscribed to
//! notifications; the peripheral has seen that subscription.

use std::fmt;

/// Why the radio could not take a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RadioError {
    /// The Bluetooth connection is gone.
    Disconnected,
    /// The stack refused the value, with its own words.
    Stack(String),
}

impl fmt::Display for RadioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disconnected => f.write_str("the Bluetooth connection is gone"),
            Self::Stack(why) => write!(f, "the Bluetooth stack refused the write: {why}"),
        }
    }
}

impl std::error::Error for RadioError {}

/// What happens on the radio, delivered to the link in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RadioEvent {
    /// One ATT value from the peer (a write on the peripheral, a notification on the central).
    Received(Vec<u8>),
    /// The Bluetooth connection ended (either side, or supervision timeout).
    Disconnected,
}

/// One Bluetooth connection to one peer, as a stack provides it.
pub trait Radio: Send + Sync + 'static {
    /// Sends one ATT value (at most `att_mtu() - 3` bytes) to the peer. Values are delivered
    /// in the order written, or not at all if the connection drops ([BLE-2]).
    fn write(&self, value: &[u8]) -> Result<(), RadioError>;
    /// The ATT MTU of the connection, as the MTU exchange left it (23 to 517).
    fn att_mtu(&self) -> u16;
    /// Ends the Bluetooth connection.
    fn disconnect(&self);
}
