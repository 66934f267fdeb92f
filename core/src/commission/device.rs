//! The device's side: [`ExpectAttestationRequest`] answers with the attestation proof over a
//! fresh operational key, [`ExpectInstallHome`] validates and stores the home.

use super::messages::{
    receive, AttestationRequest, AttestationResponse, CommissioningComplete, InstallHome,
};
use super::{fail, CommissionError, COMMISSIONING_TIMEOUT};
use crate::attest::{AttestationProof, DeviceAttestation};
use crate::cert::{CertError, HomeId, HomeMembership, HomeTable, NodeId, NodeRole};
use crate::codec::CborMessage;
use crate::crypto::sign::{PublicKey, SigningKey};
use crate::crypto::Random;
use crate::status::Status;
use std::time::{Duration, Instant};

/// The device once PASE key confirmation succeeded: expects the controller's attestation
/// request.
#[derive(Debug)]
pub struct ExpectAttestationRequest {
    challenge: [u8; 32],
    deadline: Instant,
    /// How long each state waits for its next input `[COMM-16]`.
    timeout: Duration,
}

impl ExpectAttestationRequest {
    /// Starts commissioning with the attestation challenge from this pairing's key schedule
    /// (04-pairing), at `now` (the moment key confirmation succeeded).
    pub fn new(challenge: [u8; 32], now: Instant) -> Self {
        Self::with_timeout(challenge, now, COMMISSIONING_TIMEOUT)
    }

    /// As [`ExpectAttestationRequest::new`], with each state waiting `timeout` for its next
    /// input instead of [`COMMISSIONING_TIMEOUT`]; `[COMM-16]` allows at most 60 seconds, so
    /// a longer `timeout` is cut to that. A device that chooses a shorter bound uses the same
    /// one for its fail-safe `[COMM-35]`.
    pub fn with_timeout(challenge: [u8; 32], now: Instant, timeout: Duration) -> Self {
        let timeout = timeout.min(COMMISSIONING_TIMEOUT);
        ExpectAttestationRequest {
            challenge,
            deadline: now.checked_add(timeout).unwrap_or(now),
            timeout,
        }
    }

    /// When this state gives up `[COMM-16]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Ends commissioning because the deadline passed: appends a `timeout` report to `out`.
    pub fn expire(self, out: &mut Vec<u8>) -> CommissionError {
        let start = out.len();
        fail(
            CommissionError::Timeout {
                deadline: self.deadline,
            },
            out,
            start,
        )
    }

    /// Handles the attestation request: generates a fresh operational key for the new home
    /// and appends the attestation response to `out` `[COMM-9]`. A device whose `homes` are
    /// full answers `homes-full` instead `[COMM-10]`. On failure the report for the
    /// controller is appended to `out` `[COMM-15]`.
    pub fn handle(
        self,
        attestation: &DeviceAttestation,
        homes: &HomeTable,
        message: &[u8],
        rng: &mut dyn Random,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<ExpectInstallHome, CommissionError> {
        let start = out.len();
        self.respond(attestation, homes, message, rng, now, out)
            .map_err(|e| fail(e, out, start))
    }

    fn respond(
        self,
        attestation: &DeviceAttestation,
        homes: &HomeTable,
        message: &[u8],
        rng: &mut dyn Random,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<ExpectInstallHome, CommissionError> {
        // [COMM-16] [LIMIT-3] a message at exactly the deadline is still processed.
        if now > self.deadline {
            return Err(CommissionError::Timeout {
                deadline: self.deadline,
            });
        }
        let request: AttestationRequest = receive(message, "attestation-request")?;
        // [COMM-10] no point attesting for a home that cannot be stored.
        if homes.len() >= homes.capacity() {
            return Err(CommissionError::HomesFull {
                max: homes.capacity(),
            });
        }
        // [COMM-9] [HOME-2] a new key for every home and every attempt; [ATT-9] the
        // attestation key only signs the proof.
        let operational_key = SigningKey::generate(rng)?;
        let public = operational_key.public_key();
        // [ATT-6]
        let proof = AttestationProof::sign(
            attestation.chain.clone(),
            &attestation.device_key,
            &self.challenge,
            &request.nonce,
            &public,
        );
        AttestationResponse {
            proof,
            operational_key: public,
        }
        .encode_into(out);
        Ok(ExpectInstallHome {
            operational_key,
            deadline: now.checked_add(self.timeout).unwrap_or(now),
        })
    }
}

/// The device after sending its attestation response: expects install-home. It holds the
/// operational key generated for this commissioning; dropping the state (on any failure)
/// discards the key `[COMM-14]`.
#[derive(Debug)]
pub struct ExpectInstallHome {
    operational_key: SigningKey,
    deadline: Instant,
}

/// What the device learns when it joins a home (the membership itself is in its
/// [`HomeTable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commissioned {
    /// The home the device joined.
    pub home_id: HomeId,
    /// The device's node identifier in that home.
    pub node_id: NodeId,
    /// The administrator that commissioned the device, if it said so.
    pub admin_node_id: Option<NodeId>,
}

impl ExpectInstallHome {
    /// When this state gives up `[COMM-16]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The operational public key sent in the attestation response.
    pub fn operational_key(&self) -> PublicKey {
        self.operational_key.public_key()
    }

    /// Ends commissioning because the deadline passed: appends a `timeout` report to `out`;
    /// the operational key is discarded `[COMM-14]`.
    pub fn expire(self, out: &mut Vec<u8>) -> CommissionError {
        let start = out.len();
        fail(
            CommissionError::Timeout {
                deadline: self.deadline,
            },
            out,
            start,
        )
    }

    /// Handles install-home: validates the home root and operational certificate
    /// `[COMM-11]`, adds the membership to `homes` `[COMM-13]` and appends `success` to `out`.
    ///
    /// `now_unix` is the device's wall-clock time in Unix seconds if it has a trustworthy
    /// clock; with `None` the device validates at the controller's time from the message
    /// `[COMM-12]`. On any failure `homes` is unchanged, the operational key is discarded
    /// `[COMM-14]` and the report for the controller is appended to `out` `[COMM-15]`.
    pub fn handle(
        self,
        homes: &mut HomeTable,
        message: &[u8],
        now: Instant,
        now_unix: Option<u64>,
        out: &mut Vec<u8>,
    ) -> Result<Commissioned, CommissionError> {
        let start = out.len();
        self.install(homes, message, now, now_unix, out)
            .map_err(|e| fail(e, out, start))
    }

    fn install(
        self,
        homes: &mut HomeTable,
        message: &[u8],
        now: Instant,
        now_unix: Option<u64>,
        out: &mut Vec<u8>,
    ) -> Result<Commissioned, CommissionError> {
        // [COMM-16] [LIMIT-3] a message at exactly the deadline is still processed.
        if now > self.deadline {
            return Err(CommissionError::Timeout {
                deadline: self.deadline,
            });
        }
        let install: InstallHome = receive(message, "install-home")?;
        // [COMM-12]
        let time = now_unix.unwrap_or(install.time);
        let tbs = install.certificate.tbs();
        // [COMM-11] checked before the chain so the error names the actual problem.
        if tbs.subject_key != self.operational_key.public_key() {
            return Err(CommissionError::KeyMismatch);
        }
        if let Some(role) = tbs.role {
            if role != NodeRole::DEVICE {
                return Err(CommissionError::WrongRole(role));
            }
        }
        // [COMM-11] [HOME-4] [CERT-8]
        let membership = HomeMembership::new(
            install.root,
            install.certificate,
            self.operational_key,
            time,
        )
        .map_err(CommissionError::InvalidCertificate)?;
        let done = Commissioned {
            home_id: membership.home_id(),
            node_id: membership.node_id(),
            admin_node_id: install.admin_node_id,
        };
        // [COMM-13] [HOME-5] [HOME-6] the last fallible step: on error nothing was stored.
        homes.add(membership).map_err(|e| match e {
            CertError::HomesFull { max } => CommissionError::HomesFull { max },
            CertError::AlreadyMember(home) => CommissionError::AlreadyMember(home),
            other => CommissionError::InvalidCertificate(other),
        })?;
        CommissioningComplete {
            status: Status::SUCCESS,
        }
        .encode_into(out);
        Ok(done)
    }
}
