//! The few DNS message forms a one-shot query needs `[DISC-28]`: building a query for PTR
//! records and reading the PTR, SRV, TXT, A and AAAA records of a response (RFC 1035 §4,
//! RFC 6762). Everything read comes from the network: every length and pointer is checked and
//! a malformed message is a [`WireError`], never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The DNS record types read here.
const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_TXT: u16 = 16;
const TYPE_AAAA: u16 = 28;
const TYPE_SRV: u16 = 33;
/// Class IN.
const CLASS_IN: u16 = 1;
/// The QR bit of the header flags: set in responses.
const FLAG_RESPONSE: u16 = 0x8000;
/// A name is at most 255 bytes on the wire (RFC 1035 §3.1).
const MAX_NAME: usize = 255;
/// Compression pointers followed while reading one name; more is a loop.
const MAX_JUMPS: usize = 32;

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireError {
    /// The message ends inside a header, name or record.
    #[error("truncated DNS message")]
    Truncated,
    /// A name is too long, has a reserved label type or a compression loop.
    #[error("malformed DNS name")]
    BadName,
    /// The message is a query, not a response.
    #[error("not a DNS response")]
    NotResponse,
    /// A question to send has a label longer than 63 bytes or is too long.
    #[error("name cannot be encoded: {0}")]
    Unencodable(String),
}

/// One record of a response that a browse can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// `owner` PTR `target`.
    Ptr { owner: String, target: String },
    /// `owner` SRV port `port`, target `host`.
    Srv {
        owner: String,
        port: u16,
        host: String,
    },
    /// `owner` TXT strings.
    Txt {
        owner: String,
        strings: Vec<Vec<u8>>,
    },
    /// `owner` A or AAAA `addr`.
    Addr { owner: String, addr: IpAddr },
}

/// A query with message ID `id` for the PTR records of `name` (dotted, ending with a dot).
pub(crate) fn ptr_query(id: u16, name: &str) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(12 + name.len() + 6);
    out.extend_from_slice(&id.to_be_bytes());
    // Flags 0: a standard query. One question, no records.
    out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    let mut encoded = 0usize;
    for label in name.trim_end_matches('.').split('.') {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| WireError::Unencodable(name.to_owned()))?;
        encoded += 1 + label.len();
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    if encoded + 1 > MAX_NAME {
        return Err(WireError::Unencodable(name.to_owned()));
    }
    out.push(0);
    out.extend_from_slice(&TYPE_PTR.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// The records of response `msg` of the types above, from all three sections; other types are
/// skipped. Returns the message ID with them.
pub(crate) fn read_response(msg: &[u8]) -> Result<(u16, Vec<Record>), WireError> {
    let mut r = Reader { msg, pos: 0 };
    let id = r.u16()?;
    if r.u16()? & FLAG_RESPONSE == 0 {
        return Err(WireError::NotResponse);
    }
    let questions = r.u16()?;
    let records = usize::from(r.u16()?) + usize::from(r.u16()?) + usize::from(r.u16()?);
    for _ in 0..questions {
        r.name()?;
        r.take(4)?;
    }
    let mut out = Vec::new();
    for _ in 0..records {
        let owner = r.name()?;
        let ty = r.u16()?;
        // The top bit of the class is mDNS's cache-flush bit (RFC 6762 §10.2).
        let class = r.u16()? & 0x7fff;
        r.take(4)?; // TTL
        let len = usize::from(r.u16()?);
        let start = r.pos;
        let rdata = r.take(len)?;
        if class != CLASS_IN {
            continue;
        }
        // Names inside rdata may point anywhere in the message: read them from the whole
        // message, bounded by the rdata.
        let mut inner = Reader { msg, pos: start };
        let record = match ty {
            TYPE_PTR => Record::Ptr {
                owner,
                target: inner.name()?,
            },
            TYPE_SRV => {
                inner.take(4)?; // priority, weight
                let port = inner.u16()?;
                Record::Srv {
                    owner,
                    port,
                    host: inner.name()?,
                }
            }
            TYPE_TXT => Record::Txt {
                owner,
                strings: txt_strings(rdata)?,
            },
            TYPE_A => match <[u8; 4]>::try_from(rdata) {
                Ok(b) => Record::Addr {
                    owner,
                    addr: IpAddr::V4(Ipv4Addr::from(b)),
                },
                Err(_) => return Err(WireError::Truncated),
            },
            TYPE_AAAA => match <[u8; 16]>::try_from(rdata) {
                Ok(b) => Record::Addr {
                    owner,
                    addr: IpAddr::V6(Ipv6Addr::from(b)),
                },
                Err(_) => return Err(WireError::Truncated),
            },
            _ => continue,
        };
        if inner.pos > start + len {
            return Err(WireError::Truncated);
        }
        out.push(record);
    }
    Ok((id, out))
}

/// The character strings of a TXT rdata.
fn txt_strings(rdata: &[u8]) -> Result<Vec<Vec<u8>>, WireError> {
    let mut r = Reader { msg: rdata, pos: 0 };
    let mut out = Vec::new();
    while r.pos < rdata.len() {
        let len = usize::from(r.u8()?);
        out.push(r.take(len)?.to_vec());
    }
    Ok(out)
}

/// A cursor over a received message.
struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Truncated)?;
        let bytes = self.msg.get(self.pos..end).ok_or(WireError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        self.take(1)?.first().copied().ok_or(WireError::Truncated)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        match b {
            [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
            _ => Err(WireError::Truncated),
        }
    }

    /// A name, dotted and ending with a dot, following compression pointers (RFC 1035
    /// §4.1.4). The cursor ends after the name's bytes at its first position.
    fn name(&mut self) -> Result<String, WireError> {
        let mut name = String::new();
        let mut wire_len = 0usize;
        let mut jumps = 0usize;
        // Where reading goes on after a pointer is followed: the cursor stops at the first.
        let mut cursor = Reader {
            msg: self.msg,
            pos: self.pos,
        };
        let mut resume: Option<usize> = None;
        loop {
            let len = cursor.u8()?;
            match len & 0xc0 {
                0x00 if len == 0 => break,
                0x00 => {
                    let label = cursor.take(usize::from(len))?;
                    wire_len += 1 + label.len();
                    if wire_len + 1 > MAX_NAME {
                        return Err(WireError::BadName);
                    }
                    name.push_str(&String::from_utf8_lossy(label));
                    name.push('.');
                }
                0xc0 => {
                    let low = cursor.u8()?;
                    jumps += 1;
                    if jumps > MAX_JUMPS {
                        return Err(WireError::BadName);
                    }
                    resume.get_or_insert(cursor.pos);
                    cursor.pos = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                }
                _ => return Err(WireError::BadName),
            }
        }
        self.pos = resume.unwrap_or(cursor.pos);
        if name.is_empty() {
            name.push('.');
        }
        Ok(name)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A response holding `records` as answers, built by hand, with the name of the first
    /// record reused through a compression pointer by the second.
    fn response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x84, 0x00, 0, 0, 0, 3, 0, 0, 0, 1];
        // PTR _orbit._udp.local. -> c1._orbit._udp.local.
        let owner_at = m.len();
        m.extend_from_slice(b"\x06_orbit\x04_udp\x05local\x00");
        m.extend_from_slice(&[0, 12, 0, 1, 0, 0, 0, 120]);
        m.extend_from_slice(&[0, 5, 2, b'c', b'1', 0xc0, owner_at as u8]);
        // SRV c1._orbit._udp.local. (pointer into the PTR rdata) port 5540 host h.local.
        let inst_at = m.len() - 5;
        m.extend_from_slice(&[0xc0, inst_at as u8, 0, 33, 0x80, 1, 0, 0, 0, 120]);
        m.extend_from_slice(&[0, 15, 0, 0, 0, 0, 0x15, 0xa4]);
        let host_at = m.len();
        m.extend_from_slice(b"\x01h\x05local\x00");
        // TXT c1...: "m=c", "d=1"
        m.extend_from_slice(&[0xc0, inst_at as u8, 0, 16, 0x80, 1, 0, 0, 0, 120, 0, 8]);
        m.extend_from_slice(b"\x03m=c\x03d=1");
        // Additional: A h.local. 127.0.0.1
        m.extend_from_slice(&[0xc0, host_at as u8, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4]);
        m.extend_from_slice(&[127, 0, 0, 1]);
        m
    }

    #[test]
    fn reads_a_compressed_response() {
        let (id, records) = read_response(&response()).unwrap();
        assert_eq!(id, 0x1234);
        assert_eq!(
            records,
            vec![
                Record::Ptr {
                    owner: "_orbit._udp.local.".into(),
                    target: "c1._orbit._udp.local.".into()
                },
                Record::Srv {
                    owner: "c1._orbit._udp.local.".into(),
                    port: 5540,
                    host: "h.local.".into()
                },
                Record::Txt {
                    owner: "c1._orbit._udp.local.".into(),
                    strings: vec![b"m=c".to_vec(), b"d=1".to_vec()]
                },
                Record::Addr {
                    owner: "h.local.".into(),
                    addr: IpAddr::V4(Ipv4Addr::LOCALHOST)
                },
            ]
        );
    }

    #[test]
    fn builds_a_ptr_query() {
        let q = ptr_query(7, "_L1._sub._orbit._udp.local.").unwrap();
        assert_eq!(&q[..12], &[0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            &q[12..],
            b"\x03_L1\x04_sub\x06_orbit\x04_udp\x05local\x00\x00\x0c\x00\x01"
        );
        assert!(ptr_query(7, &format!("{}.local.", "a".repeat(64))).is_err());
        assert!(ptr_query(7, "a..local.").is_err());
        // A query is not a response.
        assert_eq!(read_response(&q), Err(WireError::NotResponse));
    }

    #[test]
    fn pointer_loops_and_truncation_are_errors() {
        // A name that points at itself.
        let mut m = vec![0, 1, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12];
        assert_eq!(read_response(&m), Err(WireError::BadName));
        m.truncate(13);
        assert_eq!(read_response(&m), Err(WireError::Truncated));
        let full = response();
        for cut in 0..full.len() {
            assert!(read_response(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    proptest! {
        // Bytes off the network never panic the reader.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = read_response(&bytes);
        }

        #[test]
        fn mutated_responses_never_panic(at in 0usize..120, byte in any::<u8>()) {
            let mut m = response();
            let i = at % m.len();
            m[i] = byte;
            let _ = read_response(&m);
        }
    }
}
