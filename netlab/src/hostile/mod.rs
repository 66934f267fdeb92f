//! The hostile host: a stranger on the LAN that sends garbage datagrams, half QUIC handshakes
//! and connection floods at a device, while an honest controller goes on with its work; what
//! the honest controller sees before, during and after each attack.

pub mod attack;
pub mod honest;
pub mod initial;
