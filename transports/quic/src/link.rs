//! [`Link`]: one QUIC connection between a controller and a device.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::code::ErrorCode;
use crate::error::QuicError;
use crate::exchange::{Exchange, FrameReceiver, FrameSender};
use crate::frame::{encode_frame, FrameKind, OwnedFrame};
use crate::slots::{ExchangeGuard, SlotGuard};
use crate::trace::StreamTag;
use crate::Role;

/// One QUIC connection. Cheap to clone; all clones share the connection, which closes when
/// the last clone is dropped (or on [`Link::close`]).
///
/// Dropping the last clone closes the connection at once, which may discard frames already
/// sent but not yet delivered: a side that has answered keeps a clone until the peer is done
/// (for example until [`Link::closed`] or [`Link::accept_exchange`] returns). On a server, a
/// link holds a place in the connection budget ([QUIC-40] to [QUIC-43]) until its last clone
/// is dropped or the server closes it to make room: an unauthenticated place until
/// [`Link::authenticate`], an authenticated one after.
///
/// A link only carries frames. Which Orbit session a protected message belongs to is decided
/// by its session identifier, never by the link ([QUIC-20], [MSG-3]).
#[derive(Clone, Debug)]
pub struct Link {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: quinn::Connection,
    role: Role,
    stall: Duration,
    /// A server's place in its connection budget, freed when the last clone is dropped.
    slot: Option<SlotGuard>,
}

/// Counters of a link, for diagnostics.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct LinkStats {
    /// Current smoothed round-trip time.
    pub rtt: Duration,
    /// UDP payload bytes sent.
    pub sent_bytes: u64,
    /// UDP payload bytes received.
    pub received_bytes: u64,
    /// Packets declared lost.
    pub lost_packets: u64,
}

impl Link {
    pub(crate) fn new(
        conn: quinn::Connection,
        role: Role,
        stall: Duration,
        slot: Option<SlotGuard>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                conn,
                role,
                stall,
                slot,
            }),
        }
    }

    /// Says that an Orbit session of `home` (`None`: a PASE session) was established or used
    /// on this connection (server only): it moves from the unauthenticated budget to the
    /// authenticated one, possibly in the place of an idle or over-reserve connection
    /// ([QUIC-40], [QUIC-42], [QUIC-43]). Cheap after the first call, so it may be called on
    /// every request. Returns `false` if the server has no place for it; the connection is
    /// then closed with [`ErrorCode::SERVER_BUSY`].
    pub fn authenticate(&self, home: Option<u64>) -> bool {
        let Some(slot) = &self.inner.slot else {
            return true;
        };
        slot.activity.authenticate(home)
    }

    /// Says that the connection carries subscription reports (server only): it is never
    /// idle, so never closed to make room for another ([QUIC-42]).
    pub fn carries_reports(&self) {
        if let Some(slot) = &self.inner.slot {
            slot.activity.carries_reports();
        }
    }

    fn peer(&self) -> SocketAddr {
        self.inner.conn.remote_address()
    }

    fn require(&self, role: Role, op: &'static str) -> Result<(), QuicError> {
        if self.inner.role == role {
            Ok(())
        } else {
            Err(QuicError::WrongRole {
                role: self.inner.role,
                op,
            })
        }
    }

    fn ended(&self, e: quinn::ConnectionError) -> Result<(), QuicError> {
        let e = QuicError::from_connection(e, self.peer());
        if e.is_clean_close() {
            Ok(())
        } else {
            Err(e)
        }
    }

    /// Which side of the connection this is.
    pub fn role(&self) -> Role {
        self.inner.role
    }

    /// Opens a new exchange (client only, [QUIC-5]). Waits while the connection already has
    /// as many exchanges open as the server allows ([QUIC-15]).
    pub async fn open_exchange(&self) -> Result<Exchange, QuicError> {
        // [QUIC-5]
        self.require(Role::Client, "open exchanges")?;
        let (send, recv) = self
            .inner
            .conn
            .open_bi()
            .await
            .map_err(|e| QuicError::from_connection(e, self.peer()))?;
        tracing::debug!(conn = self.inner.conn.stable_id(), stream = %send.id(), "open exchange");
        Ok(self.exchange(send, recv))
    }

    /// The next exchange the client opened (server only, [QUIC-5]); `Ok(None)` once the
    /// connection has closed cleanly.
    pub async fn accept_exchange(&self) -> Result<Option<Exchange>, QuicError> {
        self.require(Role::Server, "accept exchanges")?;
        match self.inner.conn.accept_bi().await {
            Ok((send, recv)) => {
                tracing::debug!(conn = self.inner.conn.stable_id(), stream = %send.id(), "accept exchange");
                Ok(Some(self.exchange(send, recv)))
            }
            Err(e) => self.ended(e).map(|()| None),
        }
    }

    fn exchange(&self, send: quinn::SendStream, recv: quinn::RecvStream) -> Exchange {
        let peer = self.peer();
        // [QUIC-42] an open exchange makes the connection busy.
        let guard = self
            .inner
            .slot
            .as_ref()
            .map(|s| ExchangeGuard::new(&s.activity));
        let tag = self.tag();
        Exchange::new(
            FrameSender::new(send, peer, tag),
            FrameReceiver::new(recv, self.inner.stall, peer, tag),
            guard,
        )
    }

    fn tag(&self) -> StreamTag {
        StreamTag {
            side: self.inner.role,
            conn: self.inner.conn.stable_id(),
        }
    }

    /// Sends one device-initiated message (a subscription report) on a new unidirectional
    /// stream and finishes it (server only, [QUIC-7]).
    pub async fn send_unsolicited(&self, kind: FrameKind, payload: &[u8]) -> Result<(), QuicError> {
        // [QUIC-7]
        self.require(Role::Server, "send unsolicited messages")?;
        let mut bytes = Vec::new();
        encode_frame(kind, payload, &mut bytes)?;
        let peer = self.peer();
        let mut stream = self
            .inner
            .conn
            .open_uni()
            .await
            .map_err(|e| QuicError::from_connection(e, peer))?;
        let tag = self.tag();
        tag.event(stream.id(), format_args!("send frame kind {}", kind.0));
        stream
            .write_all(&bytes)
            .await
            .map_err(|e| QuicError::from_write(e, peer))?;
        stream.finish().map_err(|_| QuicError::StreamClosed)?;
        tag.event(stream.id(), format_args!("finish"));
        Ok(())
    }

    /// The next device-initiated message (client only, [QUIC-7]); `Ok(None)` once the
    /// connection has closed cleanly.
    ///
    /// A bad unidirectional stream is stopped with the matching code and reported as a
    /// stream error ([`QuicError::is_stream_error`]); call again for the next one.
    pub async fn accept_unsolicited(&self) -> Result<Option<OwnedFrame>, QuicError> {
        self.require(Role::Client, "accept unsolicited messages")?;
        let recv = match self.inner.conn.accept_uni().await {
            Ok(recv) => recv,
            Err(e) => return self.ended(e).map(|()| None),
        };
        let mut recv = FrameReceiver::new(recv, self.inner.stall, self.peer(), self.tag());
        recv.read_single().await.map(Some)
    }

    /// The peer's current address; it changes when the client migrates ([QUIC-19]).
    pub fn remote_address(&self) -> SocketAddr {
        self.peer()
    }

    /// An identifier of the connection, unique among this process's live links (for logs).
    pub fn id(&self) -> usize {
        self.inner.conn.stable_id()
    }

    /// Closes the connection with `code` and a short reason phrase; every exchange on it ends.
    pub fn close(&self, code: ErrorCode, reason: &str) {
        tracing::debug!(conn = self.inner.conn.stable_id(), %code, "close link");
        self.inner.conn.close(code.to_varint(), reason.as_bytes());
    }

    /// Waits until the connection has closed and tells why.
    pub async fn closed(&self) -> QuicError {
        let e = self.inner.conn.closed().await;
        QuicError::from_connection(e, self.peer())
    }

    /// Why the connection closed, or `None` while it is open.
    pub fn close_reason(&self) -> Option<QuicError> {
        self.inner
            .conn
            .close_reason()
            .map(|e| QuicError::from_connection(e, self.peer()))
    }

    /// The link's counters.
    pub fn stats(&self) -> LinkStats {
        let s = self.inner.conn.stats();
        LinkStats {
            rtt: s.path.rtt,
            sent_bytes: s.udp_tx.bytes,
            received_bytes: s.udp_rx.bytes,
            lost_packets: s.path.lost_packets,
        }
    }
}
