//! The initiator's side: [`Initiator::start`] sends Sigma1, [`ExpectSigma2`] takes Sigma2
//! (answering Sigma3) or Sigma2Resume.

use super::destination::destination_id;
use super::established::{Established, Now, Role};
use super::key_schedule::{
    derive, final_secrets, open, seal, signed_data, LABEL_SIGMA2_KEY, LABEL_SIGMA2_RESUME_KEY,
    LABEL_SIGMA3_KEY, SIG2_CONTEXT, SIG3_CONTEXT,
};
use super::messages::{
    parse, truncated, MessageType, ResumeRequest, SessionStatus, Sigma1, Sigma2, Sigma2Resume,
    Sigma3, SIGMA1_RESUME_MAC_KEY, SIGMA2_ENCRYPTED_KEY,
};
use super::payloads::{Sigma2Payload, Sigma2ResumePayload, Sigma3Payload};
use super::resumption::{hard_limit, resume_mac, Ticket};
use super::{check_peer_certificate, deadline_after, resumption_ikm, SessionError, SessionId};
use crate::cert::{CertError, HomeId, HomeMembership, NodeId};
use crate::codec::{CborMessage, Value};
use crate::crypto::hash::Transcript;
use crate::crypto::sign::Signature;
use crate::crypto::x25519::EphemeralSecret;
use crate::crypto::Random;
use crate::version::{VersionError, VersionRange};
use std::time::Instant;
use zeroize::Zeroizing;

/// What an initiator needs to start a handshake.
#[derive(Debug)]
pub struct Initiator<'a> {
    /// This node's credentials in the home the session is for.
    pub membership: &'a HomeMembership,
    /// The node to talk to, in that home.
    pub peer_node_id: NodeId,
    /// The versions this node speaks `[VER-1]`.
    pub versions: VersionRange,
    /// The session identifier this node will receive on `[SESS-8]`.
    pub local_session_id: SessionId,
    /// A ticket from an earlier session with the same peer, to resume it `[SESS-24]`.
    pub ticket: Option<Ticket>,
}

impl Initiator<'_> {
    /// Appends Sigma1 to `out` and returns the state waiting for the responder's answer.
    ///
    /// The ticket is offered only if it belongs to this home and peer and has not expired
    /// `[SESS-24]`; otherwise it is dropped and a full handshake runs.
    pub fn start(
        self,
        rng: &mut dyn Random,
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<ExpectSigma2, SessionError> {
        let m = self.membership;
        let ticket = self.ticket.filter(|t| {
            t.home_id == m.home_id()
                && t.peer.node_id == self.peer_node_id
                && t.is_valid_at(now.unix)
        });
        // [SESS-5] fresh randomness and a fresh ephemeral key for every attempt.
        let mut random = [0u8; 32];
        rng.fill(&mut random)?;
        let eph = EphemeralSecret::generate(rng)?;
        let mut sigma1 = Sigma1 {
            initiator_random: random,
            initiator_session_id: self.local_session_id,
            // [SESS-14]
            destination_id: destination_id(
                &random,
                m.root.public_key(),
                m.home_id(),
                self.peer_node_id,
            ),
            initiator_eph: eph.public_key(),
            versions: self.versions,
            resume: None,
        };
        if let Some(t) = &ticket {
            // [SESS-24] the MAC covers Sigma1 without the MAC entry itself.
            let mut req = ResumeRequest {
                ticket_id: t.id,
                mac: [0u8; 32],
            };
            sigma1.resume = Some(req);
            let covered = truncated(&sigma1.to_value(), SIGMA1_RESUME_MAC_KEY);
            req.mac = resume_mac(&t.id, t.resumption_secret(), &covered)?;
            sigma1.resume = Some(req);
        }
        let start = out.len();
        sigma1.encode_into(out);
        let mut transcript = Transcript::default();
        transcript.update(out.get(start..).unwrap_or_default());
        Ok(ExpectSigma2 {
            home_id: m.home_id(),
            peer_node_id: self.peer_node_id,
            versions: self.versions,
            local_session_id: self.local_session_id,
            eph,
            transcript,
            ticket,
            deadline: deadline_after(now.instant),
        })
    }
}

/// The initiator after sending Sigma1: expects Sigma2 (full handshake) or, if it offered a
/// ticket, Sigma2Resume.
#[derive(Debug)]
pub struct ExpectSigma2 {
    home_id: HomeId,
    peer_node_id: NodeId,
    versions: VersionRange,
    local_session_id: SessionId,
    eph: EphemeralSecret,
    transcript: Transcript,
    ticket: Option<Ticket>,
    deadline: Instant,
}

impl ExpectSigma2 {
    /// When this state gives up `[SESS-33]`: a caller that has not received an answer by
    /// then drops the state and reports [`SessionError::Timeout`].
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether Sigma1 offered a resumption ticket.
    pub fn offered_resumption(&self) -> bool {
        self.ticket.is_some()
    }

    /// Handles the responder's answer. For a Sigma2 it appends Sigma3 to `out` and the
    /// session is established once Sigma3 is sent; for a Sigma2Resume nothing is sent.
    /// `membership` must be the one the handshake started with.
    pub fn handle(
        self,
        membership: &HomeMembership,
        message: &[u8],
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<Established, SessionError> {
        // [SESS-33] [LIMIT-3] a message at exactly the deadline is still processed.
        if now.instant > self.deadline {
            return Err(SessionError::Timeout {
                deadline: self.deadline,
            });
        }
        if membership.home_id() != self.home_id {
            return Err(CertError::UnknownHome(self.home_id).into());
        }
        let (ty, value) = parse(message)?;
        match ty {
            // [SESS-28] a Sigma2 after a resumption offer is the responder's fallback.
            MessageType::SIGMA2 => self.full(membership, value, message, now, out),
            MessageType::SIGMA2_RESUME if self.ticket.is_some() => {
                self.resumed(value, message, now)
            }
            // [SESS-37]
            MessageType::STATUS => Err(SessionError::PeerStatus(
                SessionStatus::from_value(value)?.status,
            )),
            // [SESS-4] [SESS-27]
            found => Err(SessionError::UnexpectedMessage {
                expected: if self.ticket.is_some() {
                    "sigma2 or sigma2-resume"
                } else {
                    "sigma2"
                },
                found,
            }),
        }
    }

    /// `[SESS-7]` `[VER-3]` the chosen version must be one we offered; `[VER-5]` the
    /// responder's range must be valid.
    fn check_offered(&self, s2: &Sigma2) -> Result<(), SessionError> {
        s2.responder_versions.validate()?;
        if s2.version < self.versions.min || s2.version > self.versions.max {
            return Err(VersionError::NoCommonVersion {
                ours: self.versions,
                theirs: s2.responder_versions,
            }
            .into());
        }
        Ok(())
    }

    /// `[SESS-7]` `[VER-4]` after authentication: the version the responder chose must be
    /// the one we compute from both ranges.
    fn confirm_version(&self, s2: &Sigma2) -> Result<(), SessionError> {
        let expected = self.versions.negotiate(&s2.responder_versions)?;
        VersionRange::confirm(expected, s2.version)?;
        Ok(())
    }

    fn full(
        mut self,
        membership: &HomeMembership,
        value: Value,
        message: &[u8],
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<Established, SessionError> {
        // [SESS-16] the responder's signature and Sigma2's key cover Sigma2 without its
        // encrypted entry.
        let header = truncated(&value, SIGMA2_ENCRYPTED_KEY);
        let s2 = Sigma2::from_value(value)?;
        self.check_offered(&s2)?;
        // [SESS-12]
        let shared = Zeroizing::new(self.eph.agree(&s2.responder_eph)?);
        let mut th = self.transcript.clone();
        th.update(&header);
        let th2 = th.current();
        // [SESS-17] [SESS-18]
        let k2 = derive(&th2, &shared[..], LABEL_SIGMA2_KEY)?;
        let plain = open(&k2, &s2.encrypted)
            .map_err(|_| SessionError::DecryptFailed { message: "sigma2" })?;
        let p2 = Sigma2Payload::decode(&plain)?;
        // [SESS-10] [HOME-3]
        let (peer, peer_not_after) = check_peer_certificate(membership, &p2.certificate, now.unix)?;
        // [SESS-11]
        if peer.node_id != self.peer_node_id {
            return Err(SessionError::PeerMismatch {
                expected: self.peer_node_id,
                found: peer.node_id,
            });
        }
        // [SESS-19]
        peer.public_key
            .verify(
                &signed_data(SIG2_CONTEXT, &th2, &p2.certificate),
                &Signature(p2.signature),
            )
            .map_err(|_| SessionError::BadSignature)?;
        self.confirm_version(&s2)?;

        // Sigma3 [SESS-13]
        self.transcript.update(message);
        let th3 = self.transcript.current();
        let k3 = derive(&th3, &shared[..], LABEL_SIGMA3_KEY)?;
        let own_cert = membership.cert.to_bytes();
        let signature = membership
            .key
            .sign(&signed_data(SIG3_CONTEXT, &th3, &own_cert));
        let payload = Sigma3Payload {
            certificate: own_cert,
            signature: signature.0,
        };
        let sigma3 = Sigma3 {
            encrypted: seal(&k3, &payload.to_bytes())?,
        };
        let start = out.len();
        sigma3.encode_into(out);
        self.transcript.update(out.get(start..).unwrap_or_default());
        let (secrets, resumption) = final_secrets(&self.transcript.current(), &shared[..])?;
        // [SESS-21] [SESS-22]
        let own_not_after = membership.cert.tbs().validity.not_after;
        let ticket = p2.ticket_id.map(|id| {
            Ticket::issue(
                id,
                resumption,
                self.home_id,
                peer.clone(),
                now.unix,
                hard_limit(now.unix, own_not_after, peer_not_after),
            )
        });
        Ok(Established {
            secrets,
            role: Role::Initiator,
            peer,
            version: s2.version,
            local_session_id: self.local_session_id,
            peer_session_id: s2.responder_session_id,
            resumed: false,
            ticket,
        })
    }

    fn resumed(
        mut self,
        value: Value,
        message: &[u8],
        now: Now,
    ) -> Result<Established, SessionError> {
        let Some(ticket) = self.ticket.take() else {
            return Err(SessionError::UnexpectedMessage {
                expected: "sigma2",
                found: MessageType::SIGMA2_RESUME,
            });
        };
        let header = truncated(&value, SIGMA2_ENCRYPTED_KEY);
        let s2 = Sigma2Resume::from_value(value)?.0;
        self.check_offered(&s2)?;
        // [SESS-29] fresh X25519 even when resuming.
        let shared = Zeroizing::new(self.eph.agree(&s2.responder_eph)?);
        let ikm = resumption_ikm(ticket.resumption_secret(), &shared);
        let mut th = self.transcript.clone();
        th.update(&header);
        // [SESS-26] [SESS-27] the payload's tag proves the responder holds the secret.
        let k2 = derive(&th.current(), &ikm[..], LABEL_SIGMA2_RESUME_KEY)?;
        let plain = open(&k2, &s2.encrypted).map_err(|_| SessionError::DecryptFailed {
            message: "sigma2-resume",
        })?;
        let payload = Sigma2ResumePayload::decode(&plain)?;
        self.confirm_version(&s2)?;
        self.transcript.update(message);
        let (secrets, resumption) = final_secrets(&self.transcript.current(), &ikm[..])?;
        let next = payload.ticket_id.map(|id| {
            Ticket::issue(
                id,
                resumption,
                self.home_id,
                ticket.peer.clone(),
                now.unix,
                ticket.hard_limit_unix,
            )
        });
        Ok(Established {
            secrets,
            role: Role::Initiator,
            peer: ticket.peer,
            version: s2.version,
            local_session_id: self.local_session_id,
            peer_session_id: s2.responder_session_id,
            resumed: true,
            ticket: next,
        })
    }
}
