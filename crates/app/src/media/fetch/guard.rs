//! The SSRF guard: which addresses a media link may reach, and the resolver that enforces
//! it on the addresses a connection actually uses.
//!
//! Two doors lead to an address, and both are guarded:
//! - a host name goes through [`GuardedResolver`], which reqwest consults for every new
//!   connection. The guard runs on the very addresses that are then dialled, so a name that
//!   answers a public address to a first lookup and a private one to a second (DNS
//!   rebinding) gains nothing.
//! - an IP literal (`http://169.254.169.254/`, also spelled `http://2852039166/`, which the
//!   URL parser normalises) never reaches a resolver, so [`check_url`] classifies it before
//!   each request, the first and every redirect hop alike.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::error::FetchError;

/// Why an address is off limits. Everything not listed here is treated as public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `0.0.0.0/8`: "this network".
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16` (RFC 1918), and NAT64's local-use prefix.
    Private,
    /// `100.64/10`: carrier-grade NAT (RFC 6598).
    SharedNat,
    /// `169.254/16` (where cloud metadata services answer), `fe80::/10`.
    LinkLocal,
    /// `fc00::/7`.
    UniqueLocal,
    /// `fec0::/10`, deprecated but still routed inside some networks.
    SiteLocal,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// Everything else no public server has: `240/4`, `192.0.0/24`, `192.88.99/24`,
    /// `100::/64` and IPv6 outside `2000::/3`.
    Reserved,
}

impl AddressClass {
    /// The class as the end of a sentence: "… resolves to 10.0.0.1, a private address".
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::ThisNetwork => "a \"this network\" address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedNat => "a carrier-grade NAT address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::UniqueLocal => "a unique-local address",
            AddressClass::SiteLocal => "a site-local address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// IPv4 ranges, most specific first (the first match wins).
const V4: &[([u8; 4], u32, AddressClass)] = &[
    ([0, 0, 0, 0], 32, AddressClass::Unspecified),
    ([0, 0, 0, 0], 8, AddressClass::ThisNetwork),
    ([10, 0, 0, 0], 8, AddressClass::Private),
    ([100, 64, 0, 0], 10, AddressClass::SharedNat),
    ([127, 0, 0, 0], 8, AddressClass::Loopback),
    ([169, 254, 0, 0], 16, AddressClass::LinkLocal),
    ([172, 16, 0, 0], 12, AddressClass::Private),
    ([192, 0, 0, 0], 24, AddressClass::Reserved),
    ([192, 0, 2, 0], 24, AddressClass::Documentation),
    ([192, 88, 99, 0], 24, AddressClass::Reserved),
    ([192, 168, 0, 0], 16, AddressClass::Private),
    ([198, 18, 0, 0], 15, AddressClass::Benchmarking),
    ([198, 51, 100, 0], 24, AddressClass::Documentation),
    ([203, 0, 113, 0], 24, AddressClass::Documentation),
    ([224, 0, 0, 0], 4, AddressClass::Multicast),
    ([255, 255, 255, 255], 32, AddressClass::Broadcast),
    ([240, 0, 0, 0], 4, AddressClass::Reserved),
];

/// IPv6 ranges that do not embed an IPv4 address, most specific first.
const V6: &[(u128, u32, AddressClass)] = &[
    (0, 128, AddressClass::Unspecified),
    (1, 128, AddressClass::Loopback),
    (0x0064_ff9b_0001 << 80, 48, AddressClass::Private),
    (0x0100 << 112, 64, AddressClass::Reserved),
    (0x2001_0002 << 96, 48, AddressClass::Benchmarking),
    (0x2001_0db8 << 96, 32, AddressClass::Documentation),
    (0x3fff << 112, 20, AddressClass::Documentation),
    (0xfc00 << 112, 7, AddressClass::UniqueLocal),
    (0xfe80 << 112, 10, AddressClass::LinkLocal),
    (0xfec0 << 112, 10, AddressClass::SiteLocal),
    (0xff00 << 112, 8, AddressClass::Multicast),
];

/// `None` for an address a public media server may have; otherwise why it may not be
/// fetched from.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let n = u32::from(ip);
    V4.iter()
        .find(|(base, bits, _)| n & mask32(*bits) == u32::from_be_bytes(*base))
        .map(|(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let n = u128::from(ip);
    if let Some((_, _, class)) = V6
        .iter()
        .find(|(base, bits, _)| n & mask128(*bits) == *base)
    {
        return Some(*class);
    }
    // An IPv6 address that carries an IPv4 one reaches that IPv4 address (the kernel for
    // the mapped and compatible forms, a NAT64 or 6to4 gateway for the others), so it is
    // judged as that address.
    if let Some(v4) = embedded_v4(n) {
        return classify_v4(v4);
    }
    // Only 2000::/3 holds global unicast addresses.
    (n & mask128(3) != 0x2000 << 112).then_some(AddressClass::Reserved)
}

/// The IPv4 address inside `::ffff:0:0/96` (mapped), `::/96` (compatible, deprecated),
/// `64:ff9b::/96` (NAT64) or `2002::/16` (6to4).
fn embedded_v4(n: u128) -> Option<Ipv4Addr> {
    let low = Ipv4Addr::from(n as u32);
    let prefix96 = n & mask128(96);
    if prefix96 == 0xffff << 32 || prefix96 == 0 || prefix96 == 0x0064_ff9b << 96 {
        Some(low)
    } else if n & mask128(16) == 0x2002 << 112 {
        Some(Ipv4Addr::from((n >> 80) as u32))
    } else {
        None
    }
}

fn mask32(bits: u32) -> u32 {
    u32::MAX.checked_shl(32 - bits).unwrap_or(0)
}

fn mask128(bits: u32) -> u128 {
    u128::MAX.checked_shl(128 - bits).unwrap_or(0)
}

/// The error for `addr` when the guard refuses it.
fn refuse(addr: IpAddr, allow_private: bool) -> Result<(), FetchError> {
    match classify(addr) {
        Some(class) if !allow_private => Err(FetchError::Blocked { addr, class }),
        _ => Ok(()),
    }
}

/// Whether wagate may request `url` at all: http or https, no credentials, and (unless
/// private networks are allowed) not an IP literal of a refused range. Runs before every
/// request, redirect hops included; a host name is checked later, by [`GuardedResolver`].
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::Scheme(other.to_owned())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Userinfo);
    }
    match ip_literal(url)? {
        Some(addr) => refuse(addr, allow_private),
        None => Ok(()),
    }
}

/// The address of a URL whose host is an IP literal; `None` for a name. The URL parser has
/// already normalised every spelling of an IPv4 address to dotted decimal, so a host that
/// does not parse as one is a name.
fn ip_literal(url: &Url) -> Result<Option<IpAddr>, FetchError> {
    let host = url.host_str().ok_or(FetchError::InvalidUrl)?;
    Ok(
        match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => Some(IpAddr::V6(v6.parse().map_err(|_| FetchError::InvalidUrl)?)),
            None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        },
    )
}

/// reqwest's resolver for media links: resolves a name with the system resolver and hands
/// back its addresses only if every one of them passes the guard. One refused address
/// refuses the name, whichever address would have been dialled first.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let unresolvable = || FetchError::Unresolvable(host.clone());
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| unresolvable())?
                .collect();
            if addrs.is_empty() {
                return Err(unresolvable().into());
            }
            for addr in &addrs {
                refuse(addr.ip(), allow_private)?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::AddressClass::*;
    use super::*;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges_and_their_edges() {
        let cases: &[(&str, Option<AddressClass>)] = &[
            ("0.0.0.0", Some(Unspecified)),
            ("0.0.0.1", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            ("9.255.255.255", None),
            ("10.0.0.0", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedNat)),
            ("100.127.255.255", Some(SharedNat)),
            ("100.128.0.0", None),
            ("126.255.255.255", None),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.255", Some(Loopback)),
            ("128.0.0.0", None),
            ("169.253.255.255", None),
            ("169.254.0.0", Some(LinkLocal)),
            ("169.254.169.254", Some(LinkLocal)),
            ("169.254.255.255", Some(LinkLocal)),
            ("169.255.0.0", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            ("192.0.0.1", Some(Reserved)),
            ("192.0.1.0", None),
            ("192.0.2.0", Some(Documentation)),
            ("192.0.2.255", Some(Documentation)),
            ("192.0.3.0", None),
            ("192.88.99.1", Some(Reserved)),
            ("192.167.255.255", None),
            ("192.168.0.0", Some(Private)),
            ("192.168.255.255", Some(Private)),
            ("192.169.0.0", None),
            ("198.17.255.255", None),
            ("198.18.0.0", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.20.0.0", None),
            ("198.51.100.7", Some(Documentation)),
            ("203.0.113.7", Some(Documentation)),
            ("203.0.114.0", None),
            ("8.8.8.8", None),
            ("93.184.216.34", None),
            ("223.255.255.255", None),
            ("224.0.0.0", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.0", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
        ];
        for (addr, expected) in cases {
            assert_eq!(class(addr), *expected, "{addr}");
        }
    }

    #[test]
    fn ipv6_ranges_and_their_edges() {
        let cases: &[(&str, Option<AddressClass>)] = &[
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("::2", Some(ThisNetwork)),
            ("fe80::", Some(LinkLocal)),
            ("fe80::1", Some(LinkLocal)),
            ("febf:ffff::", Some(LinkLocal)),
            ("fec0::1", Some(SiteLocal)),
            ("fc00::", Some(UniqueLocal)),
            ("fd12:3456::1", Some(UniqueLocal)),
            ("fdff:ffff::", Some(UniqueLocal)),
            ("fbff:ffff::", Some(Reserved)),
            ("ff02::1", Some(Multicast)),
            ("2001:db8::1", Some(Documentation)),
            ("2001:db9::1", None),
            ("3fff::1", Some(Documentation)),
            ("3fff:1000::", None),
            ("2001:2::1", Some(Benchmarking)),
            ("100::1", Some(Reserved)),
            ("64:ff9b:1::1", Some(Private)),
            ("1fff:ffff::", Some(Reserved)),
            ("4000::1", Some(Reserved)),
            ("2606:4700::1111", None),
            ("2a00:1450:4001::200e", None),
            ("3ffe::1", None),
        ];
        for (addr, expected) in cases {
            assert_eq!(class(addr), *expected, "{addr}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_judged_as_the_ipv4_address() {
        let cases: &[(&str, Option<AddressClass>)] = &[
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::ffff:100.64.0.1", Some(SharedNat)),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some(Loopback)),
            ("::8.8.8.8", None),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("64:ff9b::808:808", None),
            ("2002:c0a8:0101::1", Some(Private)),
            ("2002:7f00:0001::", Some(Loopback)),
            ("2002:0808:0808::1", None),
        ];
        for (addr, expected) in cases {
            assert_eq!(class(addr), *expected, "{addr}");
        }
    }

    fn check(url: &str, allow_private: bool) -> Result<(), FetchError> {
        check_url(&Url::parse(url).unwrap(), allow_private)
    }

    #[test]
    fn ip_literals_are_checked_before_any_request() {
        for url in [
            "http://127.0.0.1/",
            "http://[::1]:8080/x",
            "http://0.0.0.0/",
            "http://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/a.png",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            // Spellings the URL parser normalises to 127.0.0.1 and 169.254.169.254.
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0251.0376.0251.0376/",
        ] {
            let err = check(url, false).unwrap_err();
            assert!(matches!(err, FetchError::Blocked { .. }), "{url}: {err:?}");
            check(url, true).unwrap();
        }
        check("http://93.184.216.34/", false).unwrap();
        check("https://[2606:4700::1111]/", false).unwrap();
        // A name is left to the resolver.
        check("http://localhost/", false).unwrap();
    }

    #[test]
    fn a_redirect_hop_is_checked_like_the_first_url() {
        // The fetcher runs check_url on every Location it follows: a public page that
        // redirects to the metadata service is refused at that hop.
        let first = Url::parse("https://cdn.example.com/a.png").unwrap();
        check_url(&first, false).unwrap();
        let hop = first
            .join("http://169.254.169.254/latest/meta-data/")
            .unwrap();
        let err = check_url(&hop, false).unwrap_err();
        assert_eq!(
            err.details(),
            "the media link resolves to 169.254.169.254, a link-local address; \
             wagate does not fetch from private networks"
        );
    }

    #[test]
    fn only_http_and_https_without_credentials() {
        for (url, scheme) in [
            ("ftp://example.com/a.png", "ftp"),
            ("file:///etc/passwd", "file"),
            ("gopher://example.com/", "gopher"),
            ("data:image/png;base64,AAAA", "data"),
        ] {
            assert_eq!(check(url, true), Err(FetchError::Scheme(scheme.to_owned())));
        }
        for url in [
            "http://user:secret@example.com/a.png",
            "https://user@example.com/a.png",
            "https://:secret@example.com/a.png",
        ] {
            assert_eq!(check(url, true), Err(FetchError::Userinfo), "{url}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_a_private_address() {
        let resolver = GuardedResolver {
            allow_private: false,
        };
        let err = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        let err = err.downcast_ref::<FetchError>().unwrap();
        assert!(
            matches!(
                err,
                FetchError::Blocked {
                    class: Loopback,
                    ..
                }
            ),
            "{err:?}"
        );

        let allowed = GuardedResolver {
            allow_private: true,
        };
        let addrs: Vec<_> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
