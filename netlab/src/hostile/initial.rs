//! Real QUIC Initial packets that never go further: each comes from a new client connection
//! (a fresh connection ID and TLS ClientHello with ALPN `orbit/1`), built by quinn's sans-IO
//! core and sent once; the device's answers are never read, so the device holds a half
//! handshake until its handshake timeout `[QUIC-18]` and counts it against its
//! unauthenticated budget `[QUIC-41]`.

use orbit_quic::QuicConfig;
use quinn_proto::{ClientConfig, Endpoint, EndpointConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Connections made on one sans-IO endpoint before it is replaced (each keeps the state of
/// every connection it made, which is never driven to its end).
const PER_ENDPOINT: u32 = 256;

/// Makes Initial datagrams for one target.
pub struct InitialMaker {
    endpoint: Endpoint,
    config: ClientConfig,
    made: u32,
    target: SocketAddr,
}

/// Why no Initial could be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot build a QUIC Initial: {0}")]
pub struct InitialError(String);

impl InitialMaker {
    /// A maker of Initials for `target`, with the client settings of a real controller.
    pub fn new(target: SocketAddr) -> Result<Self, InitialError> {
        let config = orbit_quic::config::client_config(&QuicConfig::default())
            .map_err(|e| InitialError(e.to_string()))?;
        Ok(InitialMaker {
            endpoint: fresh_endpoint(),
            config,
            made: 0,
            target,
        })
    }

    /// The first datagram of a new connection (an Initial packet padded to 1200 bytes or
    /// more, as QUIC requires of a client's first flight), into `buf`.
    pub fn next(&mut self, buf: &mut Vec<u8>) -> Result<(), InitialError> {
        if self.made >= PER_ENDPOINT {
            self.endpoint = fresh_endpoint();
            self.made = 0;
        }
        self.made += 1;
        let now = Instant::now();
        let (_, mut conn) = self
            .endpoint
            .connect(now, self.config.clone(), self.target, "orbit.invalid")
            .map_err(|e| InitialError(e.to_string()))?;
        buf.clear();
        conn.poll_transmit(now, 1, buf)
            .map(|_| ())
            .ok_or_else(|| InitialError("the connection had nothing to send".into()))
    }
}

fn fresh_endpoint() -> Endpoint {
    Endpoint::new(Arc::new(EndpointConfig::default()), None, false, None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn each_initial_is_a_long_header_initial_of_a_new_connection() {
        let mut m = InitialMaker::new("127.0.0.1:9".parse().unwrap()).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        m.next(&mut a).unwrap();
        m.next(&mut b).unwrap();
        for p in [&a, &b] {
            assert!(p.len() >= 1200, "{}", p.len());
            // Long header, fixed bit, packet type Initial (0b00), QUIC version 1.
            assert_eq!(p[0] & 0xf0, 0xc0);
            assert_eq!(&p[1..5], &[0, 0, 0, 1]);
        }
        // A new destination connection ID each time.
        let dcid = |p: &Vec<u8>| p[6..6 + usize::from(p[5])].to_vec();
        assert_ne!(dcid(&a), dcid(&b));
        for _ in 0..PER_ENDPOINT + 2 {
            m.next(&mut a).unwrap();
        }
    }
}
