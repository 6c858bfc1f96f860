//! Whether Meta can call a webhook address: only public https addresses receive WhatsApp
//! messages. Checked in the browser, which knows the address the owner actually uses.

/// Why Meta would not call `url`, in the owner's words; `None` when it can.
pub fn webhook_address_problem(url: &str) -> Option<&'static str> {
    let url = url.trim();
    let https = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    let Some(rest) = url.get(8..).filter(|_| https) else {
        return Some("Meta sends WhatsApp messages only to https:// addresses, and this one is not https. Messages will not reach this server.");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    }
    .trim_end_matches('.')
    .to_ascii_lowercase();
    is_private_host(&host).then_some(
        "This address only works on this computer or its local network: Meta cannot reach it, so WhatsApp messages will not arrive.",
    )
}

/// Hosts the internet cannot reach: loopback, private and link-local addresses, names without
/// a dot, and names reserved for local networks.
fn is_private_host(host: &str) -> bool {
    if host.is_empty() || !host.contains(['.', ':']) {
        return true;
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    // Carrier-grade NAT (100.64.0.0/10), e.g. Tailscale addresses.
                    || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
            }
            std::net::IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00 // unique local
                    || (first & 0xffc0) == 0xfe80 // link-local
            }
        };
    }
    [
        "localhost",
        "local",
        "internal",
        "lan",
        "home",
        "test",
        "invalid",
        "example",
    ]
    .iter()
    .any(|suffix| host == *suffix || host.ends_with(&format!(".{suffix}")))
}

#[cfg(test)]
mod tests {
    use super::webhook_address_problem;

    #[test]
    fn public_https_addresses_pass() {
        for ok in [
            "https://support.example.com/api/webhook/whatsapp",
            "https://replydesk-production.up.railway.app/api/webhook/whatsapp",
            "https://abc-123.trycloudflare.com/api/webhook/whatsapp",
            "https://203.0.113.7:8443/api/webhook/whatsapp",
            "https://[2001:db8::1]/api/webhook/whatsapp",
            "HTTPS://Support.Example.com/api/webhook/whatsapp",
        ] {
            assert_eq!(webhook_address_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn http_and_private_addresses_are_explained() {
        let not_https = webhook_address_problem("http://support.example.com/api/webhook/whatsapp");
        assert!(not_https.is_some_and(|m| m.contains("https://")));
        for local in [
            "https://localhost:3000/api/webhook/whatsapp",
            "https://127.0.0.1:3000/api/webhook/whatsapp",
            "https://192.168.1.20/api/webhook/whatsapp",
            "https://10.0.0.5/x",
            "https://172.20.1.1/x",
            "https://100.100.1.1/x",
            "https://[::1]:3000/x",
            "https://[fd00::1]/x",
            "https://myserver:3000/x",
            "https://shop.local/x",
            "https://replydesk.railway.internal/x",
            "https://user@localhost./x",
            "https://",
        ] {
            assert!(
                webhook_address_problem(local).is_some_and(|m| m.contains("Meta cannot reach")),
                "{local}"
            );
        }
    }
}
