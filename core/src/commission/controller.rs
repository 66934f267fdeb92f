//! The controller's side: [`Commissioner::start`] sends the attestation request,
//! [`ExpectAttestationResponse`] verifies the device, [`AttestationVerified`] waits for the
//! application's decision and sends the home, [`ExpectComplete`] takes the device's outcome.

use super::messages::{
    receive, AttestationRequest, AttestationResponse, CommissioningComplete, InstallHome, NONCE_LEN,
};
use super::{deadline_after, fail, CommissionError};
use crate::attest::{attestation_message, AttestedDevice, TrustStore};
use crate::cert::{
    validate_operational, Certificate, HomeAuthority, HomeId, NodeId, NodeRole, Validity,
};
use crate::codec::CborMessage;
use crate::crypto::sign::PublicKey;
use crate::crypto::Random;
use crate::status::Status;
use std::time::Instant;

/// What a controller needs to start commissioning once PASE key confirmation succeeded.
#[derive(Debug, Clone)]
pub struct Commissioner {
    /// The attestation challenge from this pairing's key schedule (04-pairing).
    pub challenge: [u8; 32],
    /// The `(vendor_id, product_id)` from the setup payload, when it carried them (QR code or
    /// long manual code) `[COMM-6]`; `None` for a short manual code.
    pub expected_product: Option<(u16, u16)>,
}

impl Commissioner {
    /// Appends the attestation request to `out` and returns the state waiting for the
    /// device's proof `[COMM-4]`.
    pub fn start(
        self,
        rng: &mut dyn Random,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<ExpectAttestationResponse, CommissionError> {
        let start = out.len();
        let mut nonce = [0u8; NONCE_LEN];
        // [COMM-4] a fresh nonce for every commissioning.
        rng.fill(&mut nonce)
            .map_err(|e| fail(e.into(), out, start))?;
        AttestationRequest { nonce }.encode_into(out);
        Ok(ExpectAttestationResponse {
            challenge: self.challenge,
            nonce,
            expected_product: self.expected_product,
            deadline: deadline_after(now),
        })
    }
}

/// The controller after sending the attestation request: expects the attestation response.
#[derive(Debug)]
pub struct ExpectAttestationResponse {
    challenge: [u8; 32],
    nonce: [u8; NONCE_LEN],
    expected_product: Option<(u16, u16)>,
    deadline: Instant,
}

impl ExpectAttestationResponse {
    /// When this state gives up `[COMM-16]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Ends commissioning because the deadline passed: appends a `timeout` report to `out`
    /// `[COMM-16]`.
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

    /// Verifies the device's attestation response against `trust` at `now_unix`
    /// `[COMM-5]` `[COMM-6]`. Nothing is sent on success: the application looks at
    /// [`AttestationVerified::device`] and then installs the home or declines. On failure the
    /// report for the device is appended to `out` `[COMM-15]`.
    pub fn handle(
        self,
        trust: &TrustStore,
        message: &[u8],
        now: Instant,
        now_unix: u64,
        out: &mut Vec<u8>,
    ) -> Result<AttestationVerified, CommissionError> {
        let start = out.len();
        self.verify(trust, message, now, now_unix)
            .map_err(|e| fail(e, out, start))
    }

    fn verify(
        self,
        trust: &TrustStore,
        message: &[u8],
        now: Instant,
        now_unix: u64,
    ) -> Result<AttestationVerified, CommissionError> {
        // [COMM-16] [LIMIT-3] a message at exactly the deadline is still processed.
        if now > self.deadline {
            return Err(CommissionError::Timeout {
                deadline: self.deadline,
            });
        }
        let response: AttestationResponse = receive(message, "attestation-response")?;
        // [ATT-3] [ATT-4] [ATT-5]
        let device = trust
            .verify(&response.proof.chain, now_unix)
            .map_err(CommissionError::Attestation)?;
        // [ATT-6] the proof must cover this pairing's challenge, our nonce and the key the
        // device asks us to certify.
        device
            .device_key
            .verify(
                &attestation_message(&self.challenge, &self.nonce, &response.operational_key),
                &response.proof.signature,
            )
            .map_err(|_| CommissionError::BadAttestationSignature)?;
        // [COMM-6] [SETUP-20] the attested IDs must be the ones the setup payload announced.
        if let Some((vendor, product)) = self.expected_product {
            if (vendor, product) != (device.vendor_id, device.product_id) {
                return Err(CommissionError::ProductMismatch {
                    expected_vendor: vendor,
                    expected_product: product,
                    attested_vendor: device.vendor_id,
                    attested_product: device.product_id,
                });
            }
        }
        Ok(AttestationVerified {
            device,
            operational_key: response.operational_key,
            deadline: deadline_after(now),
        })
    }
}

/// Who the device becomes in the home: chosen by the administrator after attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeAssignment {
    /// The device's node identifier, unique within the home `[HOME-2]`.
    pub node_id: NodeId,
    /// The validity of the device's operational certificate.
    pub validity: Validity,
    /// This controller's own node identifier, sent so the device knows its administrator.
    pub admin_node_id: Option<NodeId>,
}

/// The controller after a valid attestation: the device is genuine and holds the operational
/// key in [`operational_key`](Self::operational_key). The application decides (for example,
/// shows the vendor and product to the user) and then calls [`install`](Self::install) or
/// [`decline`](Self::decline) before the [`deadline`](Self::deadline) `[COMM-8]`.
#[derive(Debug)]
pub struct AttestationVerified {
    device: AttestedDevice,
    operational_key: PublicKey,
    deadline: Instant,
}

impl AttestationVerified {
    /// What the chain certifies about the device.
    pub fn device(&self) -> &AttestedDevice {
        &self.device
    }

    /// The operational key the device generated for this home.
    pub fn operational_key(&self) -> &PublicKey {
        &self.operational_key
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

    /// Declines the device `[COMM-8]`: appends a report with `status` to `out` `[COMM-15]` (a
    /// `success` status is sent as `failure`).
    pub fn decline(self, status: Status, out: &mut Vec<u8>) -> CommissionError {
        let status = if status == Status::SUCCESS {
            Status::FAILURE
        } else {
            status
        };
        let start = out.len();
        fail(CommissionError::Declined(status), out, start)
    }

    /// Issues the device's operational certificate with `authority` and appends the
    /// install-home message to `out` `[COMM-7]`.
    pub fn install(
        self,
        authority: &mut HomeAuthority,
        assignment: NodeAssignment,
        now: Instant,
        now_unix: u64,
        out: &mut Vec<u8>,
    ) -> Result<ExpectComplete, CommissionError> {
        let start = out.len();
        self.issue(authority, assignment, now, now_unix, out)
            .map_err(|e| fail(e, out, start))
    }

    fn issue(
        self,
        authority: &mut HomeAuthority,
        assignment: NodeAssignment,
        now: Instant,
        now_unix: u64,
        out: &mut Vec<u8>,
    ) -> Result<ExpectComplete, CommissionError> {
        // [COMM-16] [LIMIT-3] a message at exactly the deadline is still processed.
        if now > self.deadline {
            return Err(CommissionError::Timeout {
                deadline: self.deadline,
            });
        }
        // [COMM-7] exactly the attested key, as a device.
        let certificate = authority.issue(
            &self.operational_key,
            assignment.node_id,
            NodeRole::DEVICE,
            assignment.validity,
        );
        let root = authority.root_cert().clone();
        // [COMM-7] never send credentials the device would have to reject.
        validate_operational(&certificate, &root, None, now_unix)
            .map_err(CommissionError::HomeUnusable)?;
        InstallHome {
            root,
            certificate: certificate.clone(),
            time: now_unix,
            admin_node_id: assignment.admin_node_id,
        }
        .encode_into(out);
        Ok(ExpectComplete {
            home_id: authority.home_id(),
            node_id: assignment.node_id,
            device: self.device,
            certificate,
            deadline: deadline_after(now),
        })
    }
}

/// The controller after sending install-home: expects the device's commissioning-complete.
#[derive(Debug)]
pub struct ExpectComplete {
    home_id: HomeId,
    node_id: NodeId,
    device: AttestedDevice,
    certificate: Certificate,
    deadline: Instant,
}

/// A device the controller commissioned successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionedDevice {
    /// The device's node identifier in the home.
    pub node_id: NodeId,
    /// The home the device joined.
    pub home_id: HomeId,
    /// What attestation certified about the device.
    pub attested: AttestedDevice,
    /// The operational certificate the device now holds (its key authenticates the device in
    /// sessions, 06-sessions).
    pub operational_cert: Certificate,
}

impl ExpectComplete {
    /// When this state gives up `[COMM-16]`. A controller that gives up here does not know
    /// whether the device installed the home `[COMM-17]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The node identifier the device was given (to look for it after a timeout
    /// `[COMM-17]`).
    pub fn node_id(&self) -> NodeId {
        self.node_id
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

    /// Handles the device's commissioning-complete. `success` finishes commissioning; a
    /// failure status becomes [`CommissionError::PeerStatus`] and nothing is sent; anything
    /// else is answered with a report appended to `out` `[COMM-15]`.
    pub fn handle(
        self,
        message: &[u8],
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<CommissionedDevice, CommissionError> {
        let start = out.len();
        self.finish(message, now).map_err(|e| fail(e, out, start))
    }

    fn finish(self, message: &[u8], now: Instant) -> Result<CommissionedDevice, CommissionError> {
        // [COMM-16] [LIMIT-3] a message at exactly the deadline is still processed.
        if now > self.deadline {
            return Err(CommissionError::Timeout {
                deadline: self.deadline,
            });
        }
        let complete: CommissioningComplete = receive(message, "commissioning-complete")?;
        if complete.status != Status::SUCCESS {
            return Err(CommissionError::PeerStatus(complete.status));
        }
        Ok(CommissionedDevice {
            node_id: self.node_id,
            home_id: self.home_id,
            attested: self.device,
            operational_cert: self.certificate,
        })
    }
}
