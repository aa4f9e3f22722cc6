//! Just enough HTTP/1.1 for the fake: one thread per connection, keep-alive, Content-Length
//! bodies (what the SDK's client sends). tiny_http was tried first and left some requests
//! unread for 90 s under the SDK's connection reuse.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<HttpRequest> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, url) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(HttpRequest {
        method,
        url,
        headers,
        body,
    })
}

fn write_response(w: &mut TcpStream, resp: &HttpResponse) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\n",
        resp.status,
        resp.body.len()
    );
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&resp.body);
    w.write_all(out.as_bytes())?;
    w.flush()
}

/// Serves connections on `listener` until it fails, counting them in `connections`; `handle`
/// runs on the connection's thread.
pub fn serve_forever<H>(listener: TcpListener, connections: Arc<AtomicU64>, handle: H)
where
    H: Fn(HttpRequest) -> HttpResponse + Send + Sync + Clone + 'static,
{
    for conn in listener.incoming() {
        let Ok(stream) = conn else { return };
        connections.fetch_add(1, Relaxed);
        let handle = handle.clone();
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            let Ok(mut writer) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            while let Some(req) = read_request(&mut reader) {
                if write_response(&mut writer, &handle(req)).is_err() {
                    return;
                }
            }
        });
    }
}
