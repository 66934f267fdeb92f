//! The responder's side: [`Responder::handle_sigma1`] answers Sigma1 with Sigma2 (full
//! handshake, then [`ExpectSigma3`]) or Sigma2Resume (established at once).

use super::destination::find_destination;
use super::established::{Established, Now, Role};
use super::key_schedule::{
    derive, final_secrets, open, seal, signed_data, Secret, LABEL_SIGMA2_KEY,
    LABEL_SIGMA2_RESUME_KEY, LABEL_SIGMA3_KEY, SIG2_CONTEXT, SIG3_CONTEXT,
};
use super::messages::{
    parse, truncated, MessageType, SessionStatus, Sigma1, Sigma2, Sigma2Resume, Sigma3, TicketId,
    SIGMA1_RESUME_MAC_KEY, SIGMA2_ENCRYPTED_KEY,
};
use super::payloads::{Sigma2Payload, Sigma2ResumePayload, Sigma3Payload};
use super::resumption::{hard_limit, verify_resume_mac, Ticket, TicketStore};
use super::{check_peer_certificate, deadline_after, resumption_ikm, SessionError, SessionId};
use crate::cert::{CertError, HomeId, HomeMembership, HomeTable};
use crate::codec::CborMessage;
use crate::crypto::hash::Transcript;
use crate::crypto::sign::Signature;
use crate::crypto::x25519::EphemeralSecret;
use crate::crypto::Random;
use crate::version::{ProtocolVersion, VersionRange};
use std::time::Instant;
use zeroize::Zeroizing;

/// What a responder consults for every handshake: its homes, its tickets and its versions.
/// It holds no per-handshake state: each handshake in progress is a separate
/// [`ExpectSigma3`] value, so any number can be interleaved.
#[derive(Debug)]
pub struct Responder<'a> {
    /// The homes this node belongs to `[SESS-15]`.
    pub homes: &'a HomeTable,
    /// The resumption tickets this node issued `[SESS-23]`.
    pub tickets: &'a mut TicketStore,
    /// The versions this node speaks `[VER-2]`.
    pub versions: VersionRange,
}

/// What a Sigma1 led to.
#[derive(Debug)]
pub enum Sigma1Outcome {
    /// A full handshake: Sigma2 was appended to the output; wait for Sigma3.
    Full(ExpectSigma3),
    /// A resumption: Sigma2Resume was appended and the session is established.
    Resumed(Established),
}

impl Responder<'_> {
    /// Handles a Sigma1, appending the answer (Sigma2 or Sigma2Resume) to `out`.
    /// `local_session_id` is the identifier this node will receive on `[SESS-8]`.
    pub fn handle_sigma1(
        &mut self,
        message: &[u8],
        local_session_id: SessionId,
        rng: &mut dyn Random,
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<Sigma1Outcome, SessionError> {
        // [SESS-9] decode, destination, version, resumption, then the full handshake.
        let (ty, value) = parse(message)?;
        if ty == MessageType::STATUS {
            // [SESS-36] a status is never answered with one, even where a handshake would
            // start: it ends nothing here, and [SESS-4] excepts it from unexpected-message.
            return Err(SessionError::PeerStatus(
                SessionStatus::from_value(value)?.status,
            ));
        }
        if ty != MessageType::SIGMA1 {
            // [SESS-4]
            return Err(SessionError::UnexpectedMessage {
                expected: "sigma1",
                found: ty,
            });
        }
        let covered = truncated(&value, SIGMA1_RESUME_MAC_KEY);
        let s1 = Sigma1::from_value(value)?;
        // [SESS-15]
        let home = find_destination(self.homes, &s1.initiator_random, &s1.destination_id)
            .ok_or(SessionError::UnknownDestination)?;
        // [SESS-6] [VER-2] [VER-3]
        let version = self.versions.negotiate(&s1.versions)?;
        let reply = Reply {
            local_session_id,
            peer_session_id: s1.initiator_session_id,
            version,
            versions: self.versions,
        };
        if let Some(req) = s1.resume {
            // [SESS-25] the ticket leaves the store whatever happens next (single use).
            if let Some(ticket) = self.tickets.take(&req.ticket_id, now.unix) {
                if ticket.home_id == home.home_id() {
                    if !verify_resume_mac(
                        &req.ticket_id,
                        ticket.resumption_secret(),
                        &covered,
                        &req.mac,
                    )? {
                        return Err(SessionError::ResumptionRejected);
                    }
                    return self
                        .resume(ticket, &s1, message, reply, rng, now, out)
                        .map(Sigma1Outcome::Resumed);
                }
            }
            // [SESS-25] unknown, used, expired or foreign ticket: fall back to a full
            // handshake on the same Sigma1.
        }
        self.full(home, &s1, message, reply, rng, now, out)
            .map(Sigma1Outcome::Full)
    }

    /// A fresh ticket identifier `[SESS-21]`, or none when this node keeps no tickets
    /// `[SESS-32]`.
    fn next_ticket_id(&self, rng: &mut dyn Random) -> Result<Option<TicketId>, SessionError> {
        if self.tickets.capacity() == 0 {
            return Ok(None);
        }
        let mut id = [0u8; 16];
        rng.fill(&mut id)?;
        Ok(Some(id))
    }

    #[allow(clippy::too_many_arguments)] // private; each input is distinct and named
    fn full(
        &mut self,
        home: &HomeMembership,
        s1: &Sigma1,
        message: &[u8],
        reply: Reply,
        rng: &mut dyn Random,
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<ExpectSigma3, SessionError> {
        let (mut sigma2, shared) = reply.start(s1, rng)?;
        let ticket_id = self.next_ticket_id(rng)?;
        let mut transcript = Transcript::default();
        transcript.update(message);
        // [SESS-16]
        let mut th = transcript.clone();
        th.update(&truncated(&sigma2.to_value(), SIGMA2_ENCRYPTED_KEY));
        let th2 = th.current();
        // [SESS-17] [SESS-19]
        let k2 = derive(&th2, &shared[..], LABEL_SIGMA2_KEY)?;
        let own_cert = home.cert.to_bytes();
        let signature = home.key.sign(&signed_data(SIG2_CONTEXT, &th2, &own_cert));
        let payload = Sigma2Payload {
            certificate: own_cert,
            signature: signature.0,
            ticket_id,
        };
        // [SESS-18] [SESS-20] the certificate only travels encrypted.
        sigma2.encrypted = seal(&k2, &payload.to_bytes())?;
        let start = out.len();
        sigma2.encode_into(out);
        transcript.update(out.get(start..).unwrap_or_default());
        Ok(ExpectSigma3 {
            home_id: home.home_id(),
            shared: Secret(*shared),
            transcript,
            reply,
            ticket_id,
            deadline: deadline_after(now.instant),
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        })
    }

    #[allow(clippy::too_many_arguments)] // private; each input is distinct and named
    fn resume(
        &mut self,
        ticket: Ticket,
        s1: &Sigma1,
        message: &[u8],
        reply: Reply,
        rng: &mut dyn Random,
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<Established, SessionError> {
        // [SESS-26] [SESS-29] a fresh exchange even when resuming.
        let (sigma2, shared) = reply.start(s1, rng)?;
        let mut sigma2 = Sigma2Resume(sigma2);
        let ticket_id = self.next_ticket_id(rng)?;
        let ikm = resumption_ikm(ticket.resumption_secret(), &shared);
        let mut transcript = Transcript::default();
        transcript.update(message);
        let mut th = transcript.clone();
        th.update(&truncated(&sigma2.to_value(), SIGMA2_ENCRYPTED_KEY));
        let k2 = derive(&th.current(), &ikm[..], LABEL_SIGMA2_RESUME_KEY)?;
        let payload = Sigma2ResumePayload { ticket_id };
        sigma2.0.encrypted = seal(&k2, &payload.to_bytes())?;
        let start = out.len();
        sigma2.encode_into(out);
        transcript.update(out.get(start..).unwrap_or_default());
        let (secrets, resumption) = final_secrets(&transcript.current(), &ikm[..])?;
        if let Some(id) = ticket_id {
            let next = Ticket::issue(
                id,
                resumption,
                ticket.home_id,
                ticket.peer.clone(),
                now.unix,
                ticket.hard_limit_unix,
            );
            self.tickets.insert(next, now.unix);
        }
        Ok(Established {
            secrets,
            role: Role::Responder,
            peer: ticket.peer,
            version: reply.version,
            local_session_id: reply.local_session_id,
            peer_session_id: reply.peer_session_id,
            resumed: true,
            ticket: None,
        })
    }
}

/// The parts of the responder's answer fixed by Sigma1.
#[derive(Clone, Copy, Debug)]
struct Reply {
    local_session_id: SessionId,
    peer_session_id: SessionId,
    version: ProtocolVersion,
    versions: VersionRange,
}

impl Reply {
    /// Sigma2's clear fields with an empty encrypted part, and the X25519 shared secret.
    fn start(
        &self,
        s1: &Sigma1,
        rng: &mut dyn Random,
    ) -> Result<(Sigma2, Zeroizing<[u8; 32]>), SessionError> {
        let mut random = [0u8; 32];
        rng.fill(&mut random)?;
        let eph = EphemeralSecret::generate(rng)?;
        // [SESS-12]
        let shared = Zeroizing::new(eph.agree(&s1.initiator_eph)?);
        let sigma2 = Sigma2 {
            responder_random: random,
            responder_session_id: self.local_session_id,
            responder_eph: eph.public_key(),
            version: self.version,
            responder_versions: self.versions,
            encrypted: Vec::new(),
        };
        Ok((sigma2, shared))
    }
}

/// The responder after sending Sigma2: expects Sigma3.
#[derive(Debug)]
pub struct ExpectSigma3 {
    home_id: HomeId,
    shared: Secret,
    transcript: Transcript,
    reply: Reply,
    ticket_id: Option<TicketId>,
    deadline: Instant,
    /// Checks this handshake skips (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    faults: crate::faults::Faults,
}

impl ExpectSigma3 {
    /// Turns on the fault switches `faults` (conformance tests only, see [`crate::faults`]).
    #[cfg(feature = "conformance-faults")]
    pub fn set_faults(&mut self, faults: crate::faults::Faults) {
        self.faults = faults;
    }

    /// When this state gives up `[SESS-33]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The session identifier this handshake will receive on.
    pub fn local_session_id(&self) -> SessionId {
        self.reply.local_session_id
    }

    /// Handles Sigma3; on success the session is established and, if a ticket was issued in
    /// Sigma2, it is added to `responder.tickets`.
    pub fn handle(
        self,
        responder: &mut Responder<'_>,
        message: &[u8],
        now: Now,
    ) -> Result<Established, SessionError> {
        // [SESS-33] [LIMIT-3] a message at exactly the deadline is still processed.
        if now.instant > self.deadline {
            return Err(SessionError::Timeout {
                deadline: self.deadline,
            });
        }
        // [HOME-7] a home removed during the handshake ends it.
        let home = responder
            .homes
            .get(self.home_id)
            .ok_or(CertError::UnknownHome(self.home_id))?;
        let (ty, value) = parse(message)?;
        match ty {
            MessageType::SIGMA3 => {}
            // [SESS-37]
            MessageType::STATUS => {
                return Err(SessionError::PeerStatus(
                    SessionStatus::from_value(value)?.status,
                ))
            }
            // [SESS-4]
            found => {
                return Err(SessionError::UnexpectedMessage {
                    expected: "sigma3",
                    found,
                })
            }
        }
        let s3 = Sigma3::from_value(value)?;
        let mut transcript = self.transcript;
        let th3 = transcript.current();
        // [SESS-17] [SESS-18]
        let k3 = derive(&th3, &self.shared.0, LABEL_SIGMA3_KEY)?;
        let plain = open(&k3, &s3.encrypted)
            .map_err(|_| SessionError::DecryptFailed { message: "sigma3" })?;
        let p3 = Sigma3Payload::decode(&plain)?;
        // [SESS-10] [HOME-3]
        let checked = check_peer_certificate(home, &p3.certificate, now.unix);
        #[cfg(feature = "conformance-faults")]
        let checked = match checked {
            Err(_) if fault!(self.faults, AcceptsForeignCertificate) => {
                super::unchecked_peer(home, &p3.certificate)
            }
            other => other,
        };
        let (peer, peer_not_after) = checked?;
        // [SESS-19]
        peer.public_key
            .verify(
                &signed_data(SIG3_CONTEXT, &th3, &p3.certificate),
                &Signature(p3.signature),
            )
            .map_err(|_| SessionError::BadSignature)?;
        transcript.update(message);
        let (secrets, resumption) = final_secrets(&transcript.current(), &self.shared.0)?;
        // [SESS-21] [SESS-22]
        if let Some(id) = self.ticket_id {
            let own_not_after = home.cert.tbs().validity.not_after;
            let ticket = Ticket::issue(
                id,
                resumption,
                self.home_id,
                peer.clone(),
                now.unix,
                hard_limit(now.unix, own_not_after, peer_not_after),
            );
            responder.tickets.insert(ticket, now.unix);
        }
        Ok(Established {
            secrets,
            role: Role::Responder,
            peer,
            version: self.reply.version,
            local_session_id: self.reply.local_session_id,
            peer_session_id: self.reply.peer_session_id,
            resumed: false,
            ticket: None,
        })
    }
}
