//! Direct addresses: `quic://host:port` `[DISC-15]`.
//!
//! A direct address reaches a device without discovery, so discovery is never the only path
//! `[DISC-16]`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

use crate::DiscoveryError;

/// The UDP port a device listens on when none is given `[DISC-1]` `[DISC-15]`.
pub const DEFAULT_PORT: u16 = 5541;

/// The scheme of a direct address, in its canonical (lower-case) spelling.
pub const SCHEME: &str = "quic";

/// Longest DNS name, without a trailing dot (RFC 1035).
const MAX_NAME_LEN: usize = 253;
/// Longest DNS label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// Why a string is not a direct address `[DISC-15]`. Positions count characters from 0 in
/// the whole input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// No `scheme://` prefix.
    #[error("missing \"quic://\": write the address as quic://host:port")]
    MissingScheme,
    /// A scheme other than `quic`.
    #[error("unsupported scheme \"{scheme}\": write the address as quic://host:port")]
    UnsupportedScheme {
        /// The scheme as written (at most 16 characters are kept).
        scheme: String,
    },
    /// Nothing between `quic://` and the port.
    #[error("the address has no host")]
    EmptyHost,
    /// A character that cannot appear at that place (space, `/`, `@`, `_`, non-ASCII...).
    #[error("unexpected character {character:?} at position {position}")]
    UnexpectedCharacter {
        /// 0-based character position in the input.
        position: usize,
        /// The character.
        character: char,
    },
    /// An IPv6 address without its brackets.
    #[error("an IPv6 address must be in brackets, e.g. quic://[fd00::2]:5541")]
    Ipv6NeedsBrackets,
    /// A `[` without its `]`.
    #[error("\"[\" without a closing \"]\"")]
    UnclosedBracket,
    /// The text in brackets is not an IPv6 address (zones are not supported).
    #[error("invalid IPv6 address in brackets")]
    InvalidIpv6,
    /// A host made only of numeric labels that is not an IPv4 address.
    #[error("invalid IPv4 address")]
    InvalidIpv4,
    /// Two dots in a row, or a leading dot, in a host name.
    #[error("empty label in host name")]
    EmptyLabel,
    /// A host name label of more than 63 characters.
    #[error("host name label longer than 63 characters")]
    LabelTooLong,
    /// A host name label starting or ending with `-`.
    #[error("host name label starts or ends with \"-\"")]
    LabelHyphen,
    /// A host name of more than 253 characters.
    #[error("host name longer than 253 characters")]
    NameTooLong,
    /// A `:` with no port after it.
    #[error("\":\" without a port")]
    EmptyPort,
    /// A port that is not a decimal number without leading zeros.
    #[error("the port is not a decimal number without leading zeros")]
    InvalidPort,
    /// Port 0.
    #[error("port 0 is not a valid destination")]
    PortZero,
    /// A port above 65535.
    #[error("port above 65535")]
    PortOutOfRange,
}

/// A validated DNS host name: letters, digits and `-` in dot-separated labels of 1 to 63
/// characters, at most 253 characters, stored in lower case, optionally with a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// Validates `name` `[DISC-15]`. A name whose labels are all digits is an IPv4 address,
    /// not a name, and is rejected with [`AddressError::InvalidIpv4`].
    pub fn new(name: &str) -> Result<Self, AddressError> {
        validate_name(name, 0)?;
        Ok(Self(name.to_ascii_lowercase()))
    }

    /// The name, in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The host part of a direct address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in brackets.
    Ipv6(Ipv6Addr),
    /// A DNS name, resolved by [`DeviceAddress::resolve`].
    Name(DnsName),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
            Host::Name(n) => write!(f, "{n}"),
        }
    }
}

/// A device's QUIC endpoint given directly, `quic://host:port` `[DISC-15]`.
///
/// Displayed in canonical form (lower case, port always written), which parses back to the
/// same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceAddress {
    host: Host,
    port: u16,
}

impl DeviceAddress {
    /// An address from its parts; port 0 is rejected.
    pub fn new(host: Host, port: u16) -> Result<Self, AddressError> {
        if port == 0 {
            return Err(AddressError::PortZero);
        }
        Ok(Self { host, port })
    }

    /// The address of a socket address (an IPv6 scope ID is dropped; connect to the socket
    /// address itself to keep it).
    pub fn from_socket_addr(addr: SocketAddr) -> Result<Self, AddressError> {
        let host = match addr.ip() {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        };
        Self::new(host, addr.port())
    }

    /// Parses `quic://host[:port]` `[DISC-15]`; the port defaults to [`DEFAULT_PORT`].
    /// Never panics; every malformed input gives an [`AddressError`].
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(AddressError::MissingScheme);
        };
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(AddressError::UnsupportedScheme {
                scheme: scheme.chars().take(16).collect(),
            });
        }
        let offset = scheme.chars().count() + 3;
        // Only these characters can appear after the scheme; anything else (spaces, path,
        // user info, query, fragment, `_`, `%` zones, non-ASCII) is rejected here, so the
        // rest works on ASCII where byte and character positions agree.
        for (i, c) in rest.chars().enumerate() {
            if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')) {
                return Err(AddressError::UnexpectedCharacter {
                    position: offset + i,
                    character: c,
                });
            }
        }
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let Some((v6, after)) = bracketed.split_once(']') else {
                return Err(AddressError::UnclosedBracket);
            };
            let ip = Ipv6Addr::from_str(v6).map_err(|_| AddressError::InvalidIpv6)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(unexpected(after, offset + 2 + v6.len())),
            };
            (Host::Ipv6(ip), port)
        } else {
            if let Some(pos) = rest.find(['[', ']']) {
                return Err(unexpected(rest.get(pos..).unwrap_or(""), offset + pos));
            }
            let (host, port) = match rest.matches(':').count() {
                0 => (rest, None),
                1 => match rest.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (rest, None),
                },
                _ => return Err(AddressError::Ipv6NeedsBrackets),
            };
            (parse_host(host, offset)?, port)
        };
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => parse_port(p)?,
        };
        Self::new(host, port)
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The UDP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket addresses to try, in resolver order. IP hosts give one address without any
    /// lookup; a DNS name is looked up with the system resolver (std `ToSocketAddrs`), which
    /// blocks: from async code, call it inside `spawn_blocking`.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>, DiscoveryError> {
        let addrs: Vec<SocketAddr> = match &self.host {
            Host::Ipv4(a) => vec![SocketAddr::new(IpAddr::V4(*a), self.port)],
            Host::Ipv6(a) => vec![SocketAddr::new(IpAddr::V6(*a), self.port)],
            Host::Name(n) => (n.as_str(), self.port)
                .to_socket_addrs()
                .map_err(|source| DiscoveryError::Resolve {
                    address: self.to_string(),
                    source,
                })?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(DiscoveryError::NoAddresses {
                address: self.to_string(),
            });
        }
        Ok(addrs)
    }
}

impl fmt::Display for DeviceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}://{}:{}", self.host, self.port)
    }
}

impl FromStr for DeviceAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<SocketAddr> for Host {
    fn from(addr: SocketAddr) -> Self {
        match addr.ip() {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

/// The error for the first character of `rest`, at `position`.
fn unexpected(rest: &str, position: usize) -> AddressError {
    match rest.chars().next() {
        Some(character) => AddressError::UnexpectedCharacter {
            position,
            character,
        },
        None => AddressError::EmptyHost,
    }
}

/// An IPv4 address if every label is numeric, a DNS name otherwise.
fn parse_host(host: &str, offset: usize) -> Result<Host, AddressError> {
    if host.is_empty() {
        return Err(AddressError::EmptyHost);
    }
    if all_numeric(host) {
        return Ipv4Addr::from_str(host)
            .map(Host::Ipv4)
            .map_err(|_| AddressError::InvalidIpv4);
    }
    validate_name(host, offset)?;
    Ok(Host::Name(DnsName(host.to_ascii_lowercase())))
}

/// Whether every label (ignoring one trailing dot) is made of digits.
fn all_numeric(host: &str) -> bool {
    let body = host.strip_suffix('.').unwrap_or(host);
    !body.is_empty()
        && body
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks the `dns-name` rule of [DISC-15]; `offset` is the position of `name` in the input.
fn validate_name(name: &str, offset: usize) -> Result<(), AddressError> {
    if name.is_empty() {
        return Err(AddressError::EmptyHost);
    }
    if all_numeric(name) {
        return Err(AddressError::InvalidIpv4);
    }
    let body = name.strip_suffix('.').unwrap_or(name);
    if body.len() > MAX_NAME_LEN {
        return Err(AddressError::NameTooLong);
    }
    for (i, c) in name.chars().enumerate() {
        if !(c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(AddressError::UnexpectedCharacter {
                position: offset + i,
                character: c,
            });
        }
    }
    for label in body.split('.') {
        if label.is_empty() {
            return Err(AddressError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(AddressError::LabelTooLong);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(AddressError::LabelHyphen);
        }
    }
    Ok(())
}

/// `port = %x31-39 *4DIGIT`, 1..=65535 `[DISC-15]`.
fn parse_port(p: &str) -> Result<u16, AddressError> {
    if p.is_empty() {
        return Err(AddressError::EmptyPort);
    }
    if !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressError::InvalidPort);
    }
    if p == "0" {
        return Err(AddressError::PortZero);
    }
    if p.starts_with('0') {
        return Err(AddressError::InvalidPort);
    }
    if p.len() > 5 {
        return Err(AddressError::PortOutOfRange);
    }
    let value: u32 = p.parse().map_err(|_| AddressError::InvalidPort)?;
    u16::try_from(value).map_err(|_| AddressError::PortOutOfRange)
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

    fn p(s: &str) -> Result<DeviceAddress, AddressError> {
        DeviceAddress::parse(s)
    }

    // [DISC-15] the three host forms, default port, canonical display.
    #[test]
    fn valid_forms() {
        let a = p("quic://192.168.1.20:5541").unwrap();
        assert_eq!(a.host(), &Host::Ipv4(Ipv4Addr::new(192, 168, 1, 20)));
        assert_eq!(a.port(), 5541);
        let a = p("quic://[fd00::2]:7000").unwrap();
        assert_eq!(a.to_string(), "quic://[fd00::2]:7000");
        let a = p("QUIC://Lamp-1.Local").unwrap();
        assert_eq!(a.port(), DEFAULT_PORT);
        assert_eq!(a.to_string(), "quic://lamp-1.local:5541");
        let a = p("quic://lamp.example.").unwrap();
        assert_eq!(a.to_string(), "quic://lamp.example.:5541");
        assert_eq!(p("quic://[::1]").unwrap().port(), DEFAULT_PORT);
        assert_eq!(p("quic://10.0.0.1:65535").unwrap().port(), 65535);
        assert_eq!(p("quic://a:1").unwrap().port(), 1);
    }

    // [DISC-15] every malformed input names what is wrong.
    #[test]
    fn errors() {
        use AddressError::*;
        let cases: &[(&str, AddressError)] = &[
            ("192.168.1.20:5541", MissingScheme),
            (
                "udp://1.2.3.4",
                UnsupportedScheme {
                    scheme: "udp".into(),
                },
            ),
            ("quic://", EmptyHost),
            ("quic://:5541", EmptyHost),
            (
                "quic://host /x",
                UnexpectedCharacter {
                    position: 11,
                    character: ' ',
                },
            ),
            (
                "quic://host/",
                UnexpectedCharacter {
                    position: 11,
                    character: '/',
                },
            ),
            (
                "quic://u@host",
                UnexpectedCharacter {
                    position: 8,
                    character: '@',
                },
            ),
            (
                "quic://lamp_1",
                UnexpectedCharacter {
                    position: 11,
                    character: '_',
                },
            ),
            (
                "quic://lämp",
                UnexpectedCharacter {
                    position: 8,
                    character: 'ä',
                },
            ),
            ("quic://fd00::2", Ipv6NeedsBrackets),
            ("quic://[fd00::2", UnclosedBracket),
            (
                "quic://[fd00::2]x",
                UnexpectedCharacter {
                    position: 16,
                    character: 'x',
                },
            ),
            ("quic://[zz::]:1", InvalidIpv6),
            (
                "quic://ho[st",
                UnexpectedCharacter {
                    position: 9,
                    character: '[',
                },
            ),
            ("quic://1.2.3.256", InvalidIpv4),
            ("quic://1.2.3", InvalidIpv4),
            ("quic://a..b", EmptyLabel),
            ("quic://.a", EmptyLabel),
            ("quic://-a.b", LabelHyphen),
            ("quic://a-.b", LabelHyphen),
            ("quic://host:", EmptyPort),
            ("quic://host:x1", InvalidPort),
            ("quic://host:01", InvalidPort),
            ("quic://host:0", PortZero),
            ("quic://host:65536", PortOutOfRange),
            ("quic://host:1000000", PortOutOfRange),
        ];
        for (input, want) in cases {
            assert_eq!(&p(input).unwrap_err(), want, "{input}");
        }
        let long_label = format!("quic://{}.x", "a".repeat(64));
        assert_eq!(p(&long_label).unwrap_err(), LabelTooLong);
        let long_name = format!("quic://{}", ["abcdefghi"; 26].join("."));
        assert_eq!(p(&long_name).unwrap_err(), NameTooLong);
        assert_eq!(
            DeviceAddress::new(Host::Ipv4(Ipv4Addr::LOCALHOST), 0).unwrap_err(),
            PortZero
        );
    }

    // [DISC-16] a direct IP address resolves without any lookup.
    #[test]
    fn resolve_ip_and_localhost() {
        let a = p("quic://127.0.0.1:7000").unwrap();
        assert_eq!(
            a.resolve().unwrap(),
            vec!["127.0.0.1:7000".parse().unwrap()]
        );
        let a = p("quic://[::1]").unwrap();
        assert_eq!(a.resolve().unwrap(), vec!["[::1]:5541".parse().unwrap()]);
        // "localhost" is resolved by the system resolver (no network needed).
        let a = p("quic://localhost:7001").unwrap();
        let addrs = a.resolve().unwrap();
        assert!(addrs
            .iter()
            .all(|s| s.ip().is_loopback() && s.port() == 7001));
    }

    fn arb_host() -> impl Strategy<Value = Host> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|b| Host::Ipv4(Ipv4Addr::from(b))),
            any::<[u8; 16]>().prop_map(|b| Host::Ipv6(Ipv6Addr::from(b))),
            "[a-zA-Z]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]{1,8}){0,3}\\.?"
                .prop_map(|s| Host::Name(DnsName::new(&s).unwrap())),
        ]
    }

    proptest! {
        // [DISC-15] parsing is total.
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = DeviceAddress::parse(&s);
        }

        #[test]
        fn parse_never_panics_near_miss(s in "(quic|QUIC|udp)?(://)?[\\[\\]a-f0-9:.\\-_ /@]{0,30}") {
            let _ = DeviceAddress::parse(&s);
        }

        // [DISC-15] display then parse gives the same address.
        #[test]
        fn display_parse_round_trip(host in arb_host(), port in 1u16..) {
            let a = DeviceAddress::new(host, port).unwrap();
            prop_assert_eq!(DeviceAddress::parse(&a.to_string()).unwrap(), a);
        }
    }
}
