//! `replydesk simulate`: plays Meta, posting signed webhook deliveries to a running server.
//!
//! For contributors without a Meta account (watch the dashboard fill up) and for the webhook
//! benchmark: it reports throughput and acknowledgement latency. With `--floor` it measures a
//! bare axum handler that answers 200 in the same process, the lowest latency this machine and
//! client can show.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::routing::post;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::sync::Mutex;

use crate::whatsapp::signature::sign;

pub const USAGE: &str = "\
replydesk simulate [options]     post signed WhatsApp webhook deliveries to a server

  --url URL            server to post to (default http://127.0.0.1:3000); its
                       WHATSAPP_APP_SECRET must be set in this environment too
  --floor              post to a bare in-process handler instead (the benchmark floor)
  --messages N         how many messages (default 1000, at most 1000000)
  --rate R             messages per second (default: as fast as --concurrency allows)
  --concurrency C      requests in flight at once (default 16, at most 512)
  --customers K        distinct customers writing (default 50)";

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub url: String,
    pub floor: bool,
    pub messages: usize,
    pub rate: Option<f64>,
    pub concurrency: usize,
    pub customers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:3000".to_owned(),
            floor: false,
            messages: 1000,
            rate: None,
            concurrency: 16,
            customers: 50,
        }
    }
}

pub fn parse(args: &[&str]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    let number = |name: &str, value: Option<&&str>, max: f64| -> Result<f64, String> {
        value
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v >= 1.0 && *v <= max)
            .ok_or_else(|| format!("{name} needs a number from 1 to {max}"))
    };
    while let Some(arg) = args.next() {
        match *arg {
            "--url" => options.url = args.next().ok_or("--url needs a URL")?.to_string(),
            "--floor" => options.floor = true,
            "--messages" => options.messages = number("--messages", args.next(), 1e6)? as usize,
            "--rate" => options.rate = Some(number("--rate", args.next(), 1e6)?),
            "--concurrency" => {
                options.concurrency = number("--concurrency", args.next(), 512.0)? as usize
            }
            "--customers" => options.customers = number("--customers", args.next(), 1e6)? as usize,
            other => return Err(format!("unknown option {other}\n\n{USAGE}")),
        }
    }
    Ok(options)
}

/// One delivery as Meta sends it: compact JSON, `\u` escapes and escaped slashes included.
fn delivery(n: usize, customers: usize, run: u64) -> String {
    let customer = 5_511_900_000_000u64 + (n % customers) as u64;
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "204815162342108", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001234", "phone_number_id": "301122334455667"},
            "contacts": [{"profile": {"name": format!("Cliente {}", n % customers)}, "wa_id": customer.to_string()}],
            "messages": [{"from": customer.to_string(), "id": format!("wamid.sim.{run}.{n}"),
                "timestamp": now.to_string(), "type": "text",
                "text": {"body": format!("Olá! Pedido {n} — onde está? https://example.com/t/{n}")}}]
        }}]}]
    })
    .to_string();
    // serde_json writes UTF-8 and plain slashes; Meta escapes both.
    let mut escaped = String::with_capacity(body.len() + 32);
    for c in body.chars() {
        match c {
            '/' => escaped.push_str("\\/"),
            c if c.is_ascii() => escaped.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    escaped.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    escaped
}

/// Serves a bare 200 on a free loopback port; returns its URL.
async fn floor() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new().route(
        "/api/webhook/whatsapp",
        post(|_body: axum::body::Bytes| async { "" }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

pub struct Report {
    pub ok: usize,
    pub failed: usize,
    pub elapsed: Duration,
    /// Sorted acknowledgement latencies of the successful deliveries.
    pub latencies: Vec<Duration>,
}

impl Report {
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }

    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

pub async fn run(options: &Options, secret: Option<SecretString>) -> anyhow::Result<Report> {
    let base = if options.floor {
        floor().await?
    } else {
        options.url.trim_end_matches('/').to_owned()
    };
    let secret = match (options.floor, secret) {
        (true, _) => SecretString::from("floor"),
        (false, Some(secret)) => secret,
        (false, None) => {
            bail!("WHATSAPP_APP_SECRET must be set to the server's app secret to sign deliveries")
        }
    };
    let url = format!("{base}/api/webhook/whatsapp");
    let client = crate::crypto::http_client()
        .pool_max_idle_per_host(options.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let run = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(options.messages)));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.concurrency.max(1) {
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        let (next, latencies, failed) = (next.clone(), latencies.clone(), failed.clone());
        let (total, customers, rate) = (options.messages, options.customers.max(1), options.rate);
        workers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return;
                }
                if let Some(rate) = rate {
                    // Open loop: message n is due at n / rate seconds, whatever came before.
                    let due = started + Duration::from_secs_f64(n as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let body = delivery(n, customers, run);
                let signature = sign(secret.expose_secret().as_bytes(), body.as_bytes());
                let sent = Instant::now();
                let result = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await;
                match result {
                    Ok(res) if res.status().is_success() => {
                        latencies.lock().await.push(sent.elapsed());
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let mut latencies = std::mem::take(&mut *latencies.lock().await);
    latencies.sort_unstable();
    Ok(Report {
        ok: latencies.len(),
        failed: failed.load(Ordering::Relaxed),
        elapsed,
        latencies,
    })
}

pub fn print(options: &Options, report: &Report) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let target = if options.floor {
        "floor (bare axum 200)"
    } else {
        options.url.as_str()
    };
    println!(
        "{target}: {} ok, {} failed in {:.2} s = {:.0} messages/s; ack latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        report.ok,
        report.failed,
        report.elapsed.as_secs_f64(),
        report.throughput(),
        ms(report.percentile(50.0)),
        ms(report.percentile(90.0)),
        ms(report.percentile(99.0)),
        ms(report.latencies.last().copied().unwrap_or_default()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_look_like_metas() {
        let body = delivery(7, 5, 1);
        assert!(body.contains(r"https:\/\/example.com"), "{body}");
        assert!(body.contains(r"Ol\u00e1"), "{body}");
        assert!(body.contains(r"\u2014"), "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        let message = &value["entry"][0]["changes"][0]["value"]["messages"][0];
        assert_eq!(message["from"], "5511900000002");
        assert!(message["text"]["body"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Olá! Pedido 7"));
    }

    #[test]
    fn options() {
        assert_eq!(parse(&[]).expect("defaults"), Options::default());
        let o = parse(&[
            "--floor",
            "--messages",
            "500",
            "--rate",
            "200",
            "--concurrency",
            "8",
        ])
        .expect("valid");
        assert!(o.floor);
        assert_eq!((o.messages, o.rate, o.concurrency), (500, Some(200.0), 8));
        assert!(parse(&["--messages", "0"]).is_err());
        assert!(parse(&["--concurrency", "10000"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
