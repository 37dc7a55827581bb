//! Who is on the other end of the connection: the client's address and whether the request came
//! over HTTPS. `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the TCP peer is
//! one of the configured trusted proxies (setting `trusted_proxies`, addresses or CIDRs, default
//! none), so a client cannot choose the address its login attempts are counted under.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{request::Parts, HeaderMap};
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`127.0.0.1`, `::1`) and networks (`10.0.0.0/8`); the first bad entry is
    /// the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for e in entries {
            let e = e.as_ref().trim();
            if e.is_empty() {
                continue;
            }
            let net = match e.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => match e.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(format!("not an address or network: '{e}'")),
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client of one request, decided once per request (by [`crate::headers::secure`]) and kept
/// in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the TCP peer, or what a trusted proxy says it forwarded for.
    /// `None` when unknown (requests that did not come over a socket, e.g. in-process tests).
    pub ip: Option<IpAddr>,
    /// The TCP peer.
    pub peer: Option<IpAddr>,
    /// Served over TLS or forwarded by a trusted proxy that says `X-Forwarded-Proto: https`.
    pub https: bool,
}

impl Client {
    /// Decides the client from the peer and the headers.
    pub fn decide(
        peer: Option<IpAddr>,
        headers: &HeaderMap,
        proxies: &TrustedProxies,
        tls: bool,
    ) -> Client {
        let peer = peer.map(|p| p.to_canonical());
        let trusted = peer.is_some_and(|p| proxies.contains(p));
        if !trusted {
            return Client {
                ip: peer,
                peer,
                https: tls,
            };
        }
        // X-Forwarded-For: client, proxy1, proxy2 — each proxy appends the address it saw. The
        // client is the last address that is not itself a trusted proxy, read from the right; an
        // entry that is not an address ends the walk (everything left of it is the client's word).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut ip = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(a) => {
                    ip = Some(a);
                    if !proxies.contains(a) {
                        break;
                    }
                }
                None => break,
            }
        }
        let proto_https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Client {
            ip,
            peer,
            https: tls || proto_https,
        }
    }

    /// The address as written in the audit and used for throttling (`unknown` without one).
    pub fn addr(&self) -> String {
        self.ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// The client is this machine.
    pub fn is_loopback(&self) -> bool {
        self.ip.is_some_and(|i| i.is_loopback())
    }

    /// From the request's parts: what the middleware decided, or (outside it) the peer alone.
    pub fn of(parts: &Parts) -> Client {
        if let Some(c) = parts.extensions.get::<Client>() {
            return c.clone();
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Client::decide(peer, &parts.headers, &TrustedProxies::default(), false)
    }
}

/// One X-Forwarded-For entry: an address, optionally with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xff: &[&str], proto: Option<&str>) -> HeaderMap {
        let mut m = HeaderMap::new();
        for v in xff {
            m.append("x-forwarded-for", v.parse().unwrap());
        }
        if let Some(p) = proto {
            m.insert("x-forwarded-proto", p.parse().unwrap());
        }
        m
    }

    #[test]
    fn forwarded_headers_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // An untrusted peer: its own address, headers ignored.
        let c = Client::decide(
            ip("203.0.113.9"),
            &h(&["198.51.100.1"], Some("https")),
            &proxies,
            false,
        );
        assert_eq!((c.ip, c.https), (ip("203.0.113.9"), false));
        // A trusted proxy: the address it forwarded for, and its word on HTTPS.
        let c = Client::decide(
            ip("127.0.0.1"),
            &h(&["198.51.100.1"], Some("https")),
            &proxies,
            false,
        );
        assert_eq!((c.ip, c.https), (ip("198.51.100.1"), true));
        // A client's forged entry on the left is skipped: the right-most untrusted one counts.
        let c = Client::decide(
            ip("127.0.0.1"),
            &h(&["6.6.6.6, 198.51.100.1", "10.1.2.3"], None),
            &proxies,
            false,
        );
        assert_eq!((c.ip, c.https), (ip("198.51.100.1"), false));
        // Garbage ends the walk at the last good hop.
        let c = Client::decide(
            ip("::ffff:127.0.0.1"),
            &h(&["nonsense, 10.0.0.7"], None),
            &proxies,
            false,
        );
        assert_eq!(c.ip, ip("10.0.0.7"));
        // No header: the proxy itself.
        let c = Client::decide(ip("127.0.0.1"), &HeaderMap::new(), &proxies, true);
        assert_eq!((c.ip, c.https), (ip("127.0.0.1"), true));
        // Nothing trusted by default.
        let c = Client::decide(
            ip("127.0.0.1"),
            &h(&["198.51.100.1"], Some("https")),
            &TrustedProxies::default(),
            false,
        );
        assert_eq!((c.ip, c.https), (ip("127.0.0.1"), false));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
    }
}
