//! The address a request comes from, for throttling and the audit log.
//!
//! `X-Forwarded-For` is believed only from a proxy the deployer trusts (`TRUSTED_PROXIES`,
//! CIDR ranges): a caller that reaches the server directly could otherwise name any address
//! per request and never be throttled. From a trusted peer, the header is read from the right
//! and the first address that is not itself a trusted proxy is the client (entries further
//! left are whatever the client sent).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use ipnet::IpNet;

/// The default: loopback (a local tunnel or reverse proxy), and the private ranges Railway's
/// edge and private network reach a service from (100.64.0.0/10 and fd00::/8). No address in
/// them can be a direct caller from the internet.
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8, ::1/128, 100.64.0.0/10, fd00::/8";

/// The longest `X-Forwarded-For` read; proxies chain a few entries, not hundreds.
const MAX_HEADER_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// `10.0.0.0/8, 192.168.1.7`; `none` trusts no proxy.
    pub fn parse(list: &str) -> Result<Self, String> {
        if list.trim().eq_ignore_ascii_case("none") {
            return Ok(Self::none());
        }
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("{entry:?} is not an IP address or a CIDR range such as 10.0.0.0/8")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request that came from `peer`.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for.filter(|h| h.len() <= MAX_HEADER_LEN) else {
            return peer;
        };
        let mut client = peer;
        for entry in header.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                // Garbage where an address should be: stop at the last one we could trust.
                break;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }

    /// [`TrustedProxies::client`] of an axum request (`unknown` without a peer address, as
    /// in tests that call the router directly).
    pub fn client_of(&self, req: &Request) -> String {
        let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() else {
            return "unknown".to_owned();
        };
        // Every line of the header, in order: some proxies add a line of their own rather
        // than extend the client's, and reading only the first would read the client's.
        let lines: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let header = (!lines.is_empty()).then(|| lines.join(","));
        self.client(peer.ip(), header.as_deref()).to_string()
    }
}

/// An IPv4 address that arrived mapped into IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn default() -> TrustedProxies {
        TrustedProxies::parse(DEFAULT_TRUSTED_PROXIES).expect("default")
    }

    #[test]
    fn a_direct_caller_cannot_name_its_address() {
        let proxies = default();
        assert_eq!(
            proxies.client(ip("203.0.113.5"), Some("198.51.100.1")),
            ip("203.0.113.5")
        );
        assert_eq!(
            TrustedProxies::none().client(ip("127.0.0.1"), Some("198.51.100.1")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = default();
        // The client prepended a lie; the edge appended the real address.
        assert_eq!(
            proxies.client(ip("100.64.3.2"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        // Two proxies in a row.
        assert_eq!(
            proxies.client(ip("::1"), Some("198.51.100.7, 100.64.0.9")),
            ip("198.51.100.7")
        );
        // No header, a garbage one, an oversized one: the peer.
        assert_eq!(proxies.client(ip("127.0.0.1"), None), ip("127.0.0.1"));
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("not-an-ip")),
            ip("127.0.0.1")
        );
        let long = vec!["198.51.100.7"; 200].join(",");
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some(&long)),
            ip("127.0.0.1")
        );
        // An IPv4 peer seen through an IPv6 socket.
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), Some("198.51.100.7")),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn lists_parse_or_say_what_is_wrong() {
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8, 192.168.1.7")
                .expect("list")
                .0
                .len(),
            2
        );
        assert_eq!(TrustedProxies::parse("none"), Ok(TrustedProxies::none()));
        let err = TrustedProxies::parse("10.0.0.0/33").expect_err("refused");
        assert!(err.contains("CIDR"), "{err}");
    }
}
