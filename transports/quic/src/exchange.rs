//! One Orbit exchange: a bidirectional stream carrying frames ([QUIC-5], [QUIC-6]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::code::ErrorCode;
use crate::error::QuicError;
use crate::frame::{
    encode_frame, FrameDecoder, FrameError, FrameKind, OwnedFrame, HEADER_LEN, MAX_FRAME_PAYLOAD,
};
use crate::slots::ExchangeGuard;
use crate::trace::StreamTag;

/// Largest piece read from a stream at once: the decoder then never buffers more than two
/// frames' worth.
const READ_CHUNK: usize = HEADER_LEN + MAX_FRAME_PAYLOAD;

/// The sending half of an exchange.
#[derive(Debug)]
pub struct FrameSender {
    stream: quinn::SendStream,
    buf: Vec<u8>,
    peer: SocketAddr,
    tag: StreamTag,
    /// Finished or reset: dropping it then does nothing more.
    ended: bool,
}

impl FrameSender {
    pub(crate) fn new(stream: quinn::SendStream, peer: SocketAddr, tag: StreamTag) -> Self {
        Self {
            stream,
            buf: Vec::new(),
            peer,
            tag,
            ended: false,
        }
    }

    fn event(&self, event: std::fmt::Arguments<'_>) {
        self.tag.event(self.stream.id(), event);
    }

    /// Sends one frame ([QUIC-8]). Waits while flow control holds it back.
    pub async fn send_frame(&mut self, kind: FrameKind, payload: &[u8]) -> Result<(), QuicError> {
        self.buf.clear();
        encode_frame(kind, payload, &mut self.buf)?;
        self.event(format_args!("send frame kind {}", kind.0));
        let written = self.stream.write_all(&self.buf).await;
        written.map_err(|e| {
            let e = QuicError::from_write(e, self.peer);
            if let QuicError::StreamStopped(code) = &e {
                self.event(format_args!("stopped by peer: {code}"));
            }
            self.ended = true;
            e
        })
    }

    /// Writes `bytes` to the stream as they are, without a frame around them. Only for
    /// conformance tools that must send what [QUIC-8]..[QUIC-12] forbid (a reserved kind, a
    /// length of 0 or above 16384, a frame cut by the end of the stream) to see how a peer
    /// answers; an Orbit node sends frames with [`FrameSender::send_frame`].
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), QuicError> {
        self.event(format_args!("send {} unframed bytes", bytes.len()));
        let written = self.stream.write_all(bytes).await;
        written.map_err(|e| {
            self.ended = true;
            QuicError::from_write(e, self.peer)
        })
    }

    /// Ends this side of the exchange after its last frame ([QUIC-6]).
    pub fn finish(&mut self) -> Result<(), QuicError> {
        let finished = self.stream.finish().map_err(|_| QuicError::StreamClosed);
        if finished.is_ok() && !self.ended {
            self.event(format_args!("finish"));
        }
        self.ended = true;
        finished
    }

    /// Abandons this side of the exchange with `code` (`RESET_STREAM`). Does nothing if it
    /// is already finished or reset.
    pub fn reset(&mut self, code: ErrorCode) {
        if self.stream.reset(code.to_varint()).is_ok() {
            self.event(format_args!("reset: {code}"));
        }
        self.ended = true;
    }

    /// Waits until the peer has acknowledged everything sent on this finished side, so that
    /// closing the connection afterwards cannot discard it (a last status frame, [QUIC-6]).
    /// Fails with [`QuicError::StreamStopped`] if the peer stopped the stream instead.
    pub async fn delivered(&mut self) -> Result<(), QuicError> {
        match self.stream.stopped().await {
            Ok(None) => Ok(()),
            Ok(Some(code)) => {
                let code = ErrorCode::from_varint(code);
                self.event(format_args!("stopped by peer: {code}"));
                Err(QuicError::StreamStopped(code))
            }
            Err(quinn::StoppedError::ConnectionLost(e)) => {
                Err(QuicError::from_connection(e, self.peer))
            }
            Err(_) => Err(QuicError::StreamClosed),
        }
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        // QUIC finishes a sending half that is dropped open; say so, as it is on the wire.
        if !self.ended {
            self.event(format_args!("finish (dropped)"));
        }
    }
}

/// The receiving half of an exchange, or of an unsolicited stream.
#[derive(Debug)]
pub struct FrameReceiver {
    stream: quinn::RecvStream,
    decoder: FrameDecoder,
    stall: Duration,
    frame_started: Option<Instant>,
    peer: SocketAddr,
    tag: StreamTag,
    /// Read to its end, reset by the peer, or stopped: dropping it then sends nothing.
    ended: bool,
}

impl FrameReceiver {
    pub(crate) fn new(
        stream: quinn::RecvStream,
        stall: Duration,
        peer: SocketAddr,
        tag: StreamTag,
    ) -> Self {
        Self {
            stream,
            decoder: FrameDecoder::new(),
            stall,
            frame_started: None,
            peer,
            tag,
            ended: false,
        }
    }

    fn event(&self, event: std::fmt::Arguments<'_>) {
        self.tag.event(self.stream.id(), event);
    }

    /// The next frame; `Ok(None)` when the peer finished its side cleanly ([QUIC-6]).
    ///
    /// On a framing error ([QUIC-10], [QUIC-11], [QUIC-12]) or a stall ([QUIC-17]) this side
    /// stops the stream with the matching code (`STOP_SENDING`) and returns the error; the
    /// link goes on ([QUIC-14]). Waiting for the *first* byte of a frame has no deadline: the
    /// layer above times its own exchanges.
    pub async fn recv_frame(&mut self) -> Result<Option<OwnedFrame>, QuicError> {
        match self.next(None).await {
            Err(e) => {
                if let Some(code) = local_reset_code(&e) {
                    self.stop(code);
                }
                Err(e)
            }
            ok => ok,
        }
    }

    /// Stops reading with `code` (`STOP_SENDING`). Does nothing if already stopped.
    pub fn stop(&mut self, code: ErrorCode) {
        if !self.ended && self.stream.stop(code.to_varint()).is_ok() {
            self.event(format_args!("stop: {code}"));
        }
        self.ended = true;
    }

    /// Reads a whole unidirectional stream that must carry exactly one frame ([QUIC-7],
    /// [QUIC-12]); its deadline runs from now ([QUIC-17]).
    pub(crate) async fn read_single(&mut self) -> Result<OwnedFrame, QuicError> {
        let deadline = Instant::now() + self.stall;
        let result = async {
            let frame = self
                .next(Some(deadline))
                .await?
                .ok_or(FrameError::NotOneFrame)?;
            match self.next(Some(deadline)).await? {
                None => Ok(frame),
                Some(_) => Err(FrameError::NotOneFrame.into()),
            }
        }
        .await;
        if let Err(e) = &result {
            if let Some(code) = local_reset_code(e) {
                self.stop(code);
            }
        }
        result
    }

    /// The next frame, with the stall deadline [QUIC-17] from a frame's first byte, or from
    /// `deadline` if given.
    async fn next(&mut self, deadline: Option<Instant>) -> Result<Option<OwnedFrame>, QuicError> {
        loop {
            if let Some(frame) = self.decoder.next_frame()? {
                self.frame_started = None;
                // [QUIC-10]: the decoder keeps unknown kinds; this layer refuses them.
                if !frame.kind.is_known() {
                    return Err(QuicError::UnknownKind(frame.kind));
                }
                self.event(format_args!("recv frame kind {}", frame.kind.0));
                return Ok(Some(frame));
            }
            let deadline = match deadline {
                Some(d) => Some(d),
                None if self.decoder.is_mid_frame() => {
                    Some(*self.frame_started.get_or_insert_with(Instant::now) + self.stall)
                }
                None => None,
            };
            let read = self.stream.read_chunk(READ_CHUNK, true);
            let chunk = match deadline {
                // [QUIC-17]
                Some(d) => tokio::time::timeout_at(d, read)
                    .await
                    .map_err(|_| QuicError::Stalled(self.stall))?,
                None => read.await,
            }
            .map_err(|e| {
                let e = QuicError::from_read(e, self.peer);
                if let QuicError::StreamReset(code) = &e {
                    self.event(format_args!("reset by peer: {code}"));
                }
                // Reset, or the connection is gone: either way QUIC sends nothing more.
                self.ended = true;
                e
            })?;
            match chunk {
                Some(chunk) => self.decoder.push(&chunk.bytes),
                None => {
                    self.ended = true;
                    self.event(format_args!("recv end"));
                    // [QUIC-12]: the stream may only end between frames.
                    self.decoder.finish()?;
                    return Ok(None);
                }
            }
        }
    }
}

impl Drop for FrameReceiver {
    fn drop(&mut self) {
        // QUIC stops a receiving half that is dropped before its end, with code 0.
        if !self.ended {
            self.event(format_args!("stop: {} (dropped)", ErrorCode::NO_ERROR));
        }
    }
}

/// The code with which this side resets a stream after `e`, if `e` is this side's verdict on
/// the peer's frames (rather than something the peer or the connection did).
pub(crate) fn local_reset_code(e: &QuicError) -> Option<ErrorCode> {
    match e {
        QuicError::Frame(f) => Some(f.code()),
        QuicError::UnknownKind(_) => Some(ErrorCode::UNKNOWN_KIND),
        QuicError::Stalled(_) => Some(ErrorCode::STALLED),
        _ => None,
    }
}

/// An Orbit exchange on its own bidirectional stream ([QUIC-5]): a pairing handshake, a
/// session handshake, or one interaction (a request and its response frames, or a timed
/// request and its follow-up).
///
/// The initiator sends its frames and finishes; the responder answers and finishes after its
/// last frame ([QUIC-6]). Dropping an exchange finishes whatever side is still open.
#[derive(Debug)]
pub struct Exchange {
    send: FrameSender,
    recv: FrameReceiver,
    /// On a server, counts the exchange as open in its connection's budget ([QUIC-42]).
    open: Option<ExchangeGuard>,
}

impl Exchange {
    pub(crate) fn new(send: FrameSender, recv: FrameReceiver, open: Option<ExchangeGuard>) -> Self {
        Self { send, recv, open }
    }

    /// Sends one frame.
    pub async fn send_frame(&mut self, kind: FrameKind, payload: &[u8]) -> Result<(), QuicError> {
        self.send.send_frame(kind, payload).await
    }

    /// Writes `bytes` unframed: see [`FrameSender::send_raw`] (conformance tools only).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), QuicError> {
        self.send.send_raw(bytes).await
    }

    /// The next frame from the peer; `Ok(None)` once the peer has finished its side.
    ///
    /// A bad frame or a stall resets both directions of the stream with the matching code
    /// and returns the error ([QUIC-10] to [QUIC-14], [QUIC-17]).
    pub async fn recv_frame(&mut self) -> Result<Option<OwnedFrame>, QuicError> {
        let result = self.recv.recv_frame().await;
        if let Err(e) = &result {
            if let Some(code) = local_reset_code(e) {
                self.send.reset(code);
            }
        }
        result
    }

    /// The next frame if it (or the end of the stream) has already arrived, without waiting:
    /// `None` when more must come. Receiving is cancel-safe, so a later call carries on where
    /// this one stopped.
    pub fn try_recv_frame(&mut self) -> Option<Result<Option<OwnedFrame>, QuicError>> {
        let mut receive = std::pin::pin!(self.recv_frame());
        let mut nothing = std::task::Context::from_waker(std::task::Waker::noop());
        match receive.as_mut().poll(&mut nothing) {
            std::task::Poll::Ready(r) => Some(r),
            std::task::Poll::Pending => None,
        }
    }

    /// [`Exchange::recv_frame`] bounded by `limit`: `None` if no frame (and no end) came in
    /// time. A frame that has already arrived is returned without arming a timer, which is the
    /// common case for a responder: a request arrives with the stream that carries it.
    pub async fn recv_frame_within(
        &mut self,
        limit: Duration,
    ) -> Option<Result<Option<OwnedFrame>, QuicError>> {
        let mut receive = std::pin::pin!(self.recv_frame());
        // One poll without a waker: the timer below only matters when this finds nothing,
        // and the next poll (inside the timeout) registers the task's own waker.
        let ready = {
            let mut nothing = std::task::Context::from_waker(std::task::Waker::noop());
            receive.as_mut().poll(&mut nothing)
        };
        if let std::task::Poll::Ready(r) = ready {
            return Some(r);
        }
        tokio::time::timeout(limit, receive).await.ok()
    }

    /// Finishes this side after its last frame ([QUIC-6]).
    pub fn finish(&mut self) -> Result<(), QuicError> {
        self.send.finish()
    }

    /// Waits until the peer has acknowledged everything this side sent and finished
    /// ([`FrameSender::delivered`]).
    pub async fn delivered(&mut self) -> Result<(), QuicError> {
        self.send.delivered().await
    }

    /// Stops reading the peer's side with `code` (`STOP_SENDING`), keeping this side's
    /// sending half as it is.
    pub fn stop(&mut self, code: ErrorCode) {
        self.recv.stop(code);
    }

    /// Abandons the exchange in both directions with `code`.
    pub fn reset(&mut self, code: ErrorCode) {
        self.send.reset(code);
        self.recv.stop(code);
    }

    /// Says that an Orbit session of `home` was established or used on this exchange's
    /// connection (server only); see [`Link::authenticate`](crate::Link::authenticate).
    /// Cheap after the first call. On a client it does nothing and returns `true`.
    pub fn authenticate(&self, home: Option<u64>) -> bool {
        self.open
            .as_ref()
            .is_none_or(|g| g.activity().authenticate(home))
    }

    /// Defers the unauthenticated deadline of this exchange's connection ([QUIC-40]) while
    /// the returned guard lives: a device holds it for a pairing handshake, whose own step
    /// deadlines bound it ([PAIR-33]). `None` on a client.
    pub fn defer_deadline(&self) -> Option<crate::slots::DeadlineDeferral> {
        self.open
            .as_ref()
            .map(|g| g.activity_arc().defer_deadline())
    }

    /// The two halves, to send and receive from different tasks.
    pub fn into_parts(self) -> (FrameSender, FrameReceiver) {
        (self.send, self.recv)
    }
}
