//! Who is at the other end of a link.

use std::fmt;
use std::net::SocketAddr;

/// The address of the peer of a link, in the terms of the transport that reaches it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Peer {
    /// A peer reached over QUIC, at its UDP address.
    Quic(SocketAddr),
    /// The peer at the other end of a Bluetooth LE connection.
    Ble,
}

impl Peer {
    /// The peer's socket address, if the transport has one.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Peer::Quic(addr) => Some(*addr),
            Peer::Ble => None,
        }
    }
}

// Both print the bare address, as the socket address printed before links had transports.
impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Quic(addr) => fmt::Display::fmt(addr, f),
            Peer::Ble => f.write_str("bluetooth"),
        }
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Quic(addr) => fmt::Debug::fmt(addr, f),
            Peer::Ble => f.write_str("Ble"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Peer;
    use std::net::SocketAddr;

    #[test]
    fn a_quic_peer_prints_as_its_socket_address() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 5541));
        let peer = Peer::Quic(addr);
        assert_eq!(peer.to_string(), addr.to_string());
        assert_eq!(format!("{peer:?}"), format!("{addr:?}"));
        assert_eq!(peer.socket_addr(), Some(addr));
    }
}
