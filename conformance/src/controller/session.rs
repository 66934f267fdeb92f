//! SIGMA sessions `[SESS-*]` and interactions inside them `[IM-*]`.

use super::Conn;
use crate::transport::{MessageKind, TransportError};
use orbit_core::cert::{HomeMembership, NodeId};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::Random;
use orbit_core::interaction::{
    Client, ClientEvent, CommandPath, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::{Data, Descriptor};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{
    Established, Initiator, Now, SessionError, SessionId, SessionStatus, Ticket,
};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::{Duration, Instant};

/// Why a session did not open.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionOpenError {
    /// The device refused with `session-status`.
    Status(Status),
    /// The suite rejected the device's answer.
    Rejected(SessionError),
    /// The device ended the exchange where it owed an answer.
    Cut,
    /// The device answered with another family of message.
    WrongKind(MessageKind),
    /// The transport failed.
    Transport(TransportError),
    /// The suite could not use what the handshake produced.
    Internal(String),
}

impl std::fmt::Display for SessionOpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionOpenError::Status(s) => write!(f, "session-status {s}"),
            SessionOpenError::Rejected(e) => write!(f, "the device's answer was rejected: {e}"),
            SessionOpenError::Cut => {
                f.write_str("the device ended the handshake without an answer")
            }
            SessionOpenError::WrongKind(k) => {
                write!(f, "a {k} message instead of a session message")
            }
            SessionOpenError::Transport(e) => write!(f, "{e}"),
            SessionOpenError::Internal(e) => write!(f, "{e}"),
        }
    }
}

fn now() -> Now {
    Now::new(Instant::now(), crate::unix_now())
}

/// An established session with the device, on one connection.
pub struct Session {
    conn: Conn,
    protector: Protector,
    client: Client,
    established: Established,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("peer", &self.established.peer.node_id)
            .field("resumed", &self.established.resumed)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Runs SIGMA (or resumption with `ticket`) as `membership` with the device `peer` on a
    /// new exchange of `conn` `[SESS-1]`..; returns once the device has accepted (ended the
    /// handshake's stream cleanly, `[QUIC-21]`).
    pub async fn open(
        conn: &Conn,
        membership: &HomeMembership,
        peer: NodeId,
        ticket: Option<Ticket>,
        rng: &mut (dyn Random + Send),
    ) -> Result<Session, SessionOpenError> {
        let mut ex = conn.open().await.map_err(SessionOpenError::Transport)?;
        let mut sid = [0u8; 4];
        let _ = rng.fill(&mut sid);
        let mut out = Vec::new();
        let state = Initiator {
            membership,
            peer_node_id: peer,
            versions: SUPPORTED,
            local_session_id: SessionId(u32::from_be_bytes(sid).max(1)),
            ticket,
        }
        .start(rng, now(), &mut out)
        .map_err(SessionOpenError::Rejected)?;
        ex.send(MessageKind::Session, "sigma1", &out)
            .await
            .map_err(SessionOpenError::Transport)?;
        let reply = match ex.recv().await {
            Ok(Some(m)) if m.kind == MessageKind::Session => m.payload,
            Ok(Some(m)) => return Err(SessionOpenError::WrongKind(m.kind)),
            Ok(None) => return Err(SessionOpenError::Cut),
            Err(e) => return Err(SessionOpenError::Transport(e)),
        };
        out.clear();
        let established = match state.handle(membership, &reply, now(), &mut out) {
            Ok(e) => e,
            Err(SessionError::PeerStatus(s)) => return Err(SessionOpenError::Status(s)),
            Err(e) => {
                // [SESS-36] tell the device why.
                let mut status = Vec::new();
                orbit_core::session::encode_status(e.status(), &mut status);
                let _ = ex
                    .send(MessageKind::Session, "session-status", &status)
                    .await;
                ex.finish();
                ex.drain().await;
                return Err(SessionOpenError::Rejected(e));
            }
        };
        if !out.is_empty() {
            ex.send(MessageKind::Session, "sigma3", &out)
                .await
                .map_err(SessionOpenError::Transport)?;
        }
        ex.finish();
        match ex.recv().await {
            Ok(None) => {}
            Ok(Some(m)) if m.kind == MessageKind::Session => {
                let status = SessionStatus::decode(&m.payload)
                    .map_err(|e| SessionOpenError::Rejected(SessionError::from(e)))?;
                return Err(SessionOpenError::Status(status.status));
            }
            Ok(Some(m)) => return Err(SessionOpenError::WrongKind(m.kind)),
            Err(e) => return Err(SessionOpenError::Transport(e)),
        }
        Session::from_established(conn, established)
    }

    /// A session whose handshake the caller drove itself (adversarial cases that replay,
    /// reorder or overtake handshake messages), on `conn`.
    pub fn from_established(
        conn: &Conn,
        established: Established,
    ) -> Result<Session, SessionOpenError> {
        let protector = Protector::new(established.session_keys(), ProtectConfig::default())
            .map_err(|e| SessionOpenError::Internal(e.to_string()))?;
        Ok(Session {
            conn: conn.clone(),
            protector,
            client: Client::new(),
            established,
        })
    }

    /// The connection the session runs on.
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    /// The session as established (peer, version, session IDs, ticket).
    pub fn established(&self) -> &Established {
        &self.established
    }

    /// The message protection, to seal and open records by hand (adversarial cases).
    pub fn protector(&mut self) -> &mut Protector {
        &mut self.protector
    }

    /// The interaction client, to build requests by hand.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Seals `plain` as the next record of this session, recording the plaintext.
    pub fn seal(&mut self, label: &str, plain: &[u8]) -> Result<Vec<u8>, String> {
        self.conn
            .evidence()
            .sent(format!("plaintext {label}"), plain);
        let mut out = Vec::new();
        self.protector
            .seal(plain, &mut out)
            .map_err(|e| format!("sealing {label}: {e}"))?;
        Ok(out)
    }

    /// Sends the sealed `record` on a new exchange and returns what the device sent back on
    /// it: `Ok(None)` when it ended the exchange without an answer.
    pub async fn send_record(
        &mut self,
        label: &str,
        record: &[u8],
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let mut ex = self.conn.open().await?;
        ex.send(MessageKind::Protected, label, record).await?;
        ex.finish();
        let got = ex.recv().await?;
        ex.drain().await;
        Ok(got.map(|m| m.payload))
    }

    /// Opens a record the device sent, recording its plaintext.
    pub fn open_record(&mut self, record: &[u8]) -> Result<Vec<u8>, String> {
        let mut bytes = record.to_vec();
        let plain = self
            .protector
            .open(&mut bytes)
            .map_err(|e| format!("the device's record does not open: {e}"))?
            .payload
            .to_vec();
        self.conn.evidence().received("plaintext", &plain);
        Ok(plain)
    }

    /// Runs one interaction: the request `build` makes goes out sealed on a new exchange,
    /// answers come back until the client has the outcome (a timed request's follow-up goes
    /// on the same exchange `[IM-40]`).
    pub async fn interact(
        &mut self,
        label: &str,
        build: impl FnOnce(&mut Client, Instant) -> Vec<u8>,
    ) -> Result<ClientEvent, String> {
        let plain = build(&mut self.client, Instant::now());
        let sealed = self.seal(label, &plain)?;
        let mut ex = self.conn.open().await.map_err(|e| e.to_string())?;
        let mut pending = Some(sealed);
        // A timed request's follow-up goes on the same exchange, so this side ends its half
        // only after its last message [IM-40], [QUIC-6].
        let mut finish_after_send = !label.starts_with("timed");
        let deadline = Instant::now() + self.conn.answer_timeout();
        loop {
            if let Some(record) = pending.take() {
                ex.send(MessageKind::Protected, label, &record)
                    .await
                    .map_err(|e| e.to_string())?;
                if finish_after_send {
                    ex.finish();
                }
                finish_after_send = true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let mut record = match ex.recv_within(left.max(Duration::from_millis(1))).await {
                Ok(Some(m)) if m.kind == MessageKind::Protected => m.payload,
                Ok(Some(m)) => {
                    return Err(format!(
                        "a {} message instead of an answer to {label}",
                        m.kind
                    ))
                }
                Ok(None) => {
                    return Err(format!(
                        "the device ended the exchange without answering {label}"
                    ))
                }
                Err(e) => return Err(format!("no answer to {label}: {e}")),
            };
            let plain = self
                .protector
                .open(&mut record)
                .map_err(|e| format!("the answer to {label} does not open: {e}"))?
                .payload
                .to_vec();
            self.conn.evidence().received("plaintext", &plain);
            let event = self
                .client
                .handle(Instant::now(), &plain)
                .map_err(|e| format!("the answer to {label} is not valid: {e}"))?;
            if let Some(next) = self.client.poll_transmit() {
                pending = Some(self.seal("timed follow-up", &next)?);
            }
            if let Some(event) = event {
                ex.finish();
                ex.drain().await;
                return Ok(event);
            }
        }
    }

    /// Reads the signed descriptor and verifies it against the device's operational key
    /// `[IM-70]`, `[DM-41]`: the descriptor, its encoding and its signature.
    pub async fn describe(&mut self) -> Result<(Descriptor, Vec<u8>, Vec<u8>), String> {
        let (descriptor, signature) = self.describe_raw().await?;
        let d = Descriptor::verify(&descriptor, &signature, &self.established.peer.public_key)
            .map_err(|e| format!("the descriptor does not verify: {e}"))?;
        Ok((d, descriptor, signature))
    }

    /// Reads the descriptor's encoding and signature as the device sent them, unverified.
    pub async fn describe_raw(&mut self) -> Result<(Vec<u8>, Vec<u8>), String> {
        match self
            .interact("describe-request", |c, now| c.describe(now).1)
            .await?
        {
            ClientEvent::Described {
                descriptor,
                signature,
                ..
            } => Ok((descriptor, signature)),
            other => Err(format!("{other:?} instead of a descriptor")),
        }
    }

    /// Reads attributes and events `[IM-20]`.
    pub async fn read(&mut self, request: ReadRequest) -> Result<ClientEvent, String> {
        self.interact("read-request", |c, now| c.read(now, request).1)
            .await
    }

    /// Writes attributes `[IM-30]` (timed if the request says so).
    pub async fn write(&mut self, request: WriteRequest) -> Result<ClientEvent, String> {
        let label = if request.timed {
            "timed write-request"
        } else {
            "write-request"
        };
        self.interact(label, |c, now| c.write(now, request).1).await
    }

    /// Invokes a command `[IM-40]`.
    pub async fn invoke(
        &mut self,
        path: CommandPath,
        args: Data,
        timed: bool,
    ) -> Result<ClientEvent, String> {
        let label = if timed {
            "timed invoke-request"
        } else {
            "invoke-request"
        };
        self.interact(label, |c, now| c.invoke(now, path, args, timed).1)
            .await
    }

    /// Subscribes `[IM-60]`; the initial report is in the returned event.
    pub async fn subscribe(&mut self, request: SubscribeRequest) -> Result<ClientEvent, String> {
        self.interact("subscribe-request", |c, now| c.subscribe(now, request).1)
            .await
    }

    /// The next subscription report the device sends, within `within`.
    pub async fn next_report(&mut self, within: Duration) -> Result<Option<ClientEvent>, String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let Some(m) = self
                .conn
                .recv_unsolicited(left)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            if m.kind != MessageKind::Protected {
                return Err(format!("a {} message outside any exchange", m.kind));
            }
            let plain = self.open_record(&m.payload)?;
            if let Some(e) = self
                .client
                .handle(Instant::now(), &plain)
                .map_err(|e| format!("the report is not valid: {e}"))?
            {
                return Ok(Some(e));
            }
        }
    }
}
