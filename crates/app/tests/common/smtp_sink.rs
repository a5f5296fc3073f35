//! An SMTP server for the tests, speaking real SMTP on loopback (EHLO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT) and recording every message it accepts. It can be told to be down
//! (every command answered 421, as a server in maintenance does) or to hang after a
//! message's data (never acknowledging it, as a server whose client node dies mid-send).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, with dot-stuffing undone and lines joined by CRLF.
    pub data: String,
}

impl Received {
    /// The message as a mail client shows it: quoted-printable undone (soft line breaks
    /// joined, `=XX` decoded), which is how lettre sends long or non-ASCII lines.
    pub fn decoded(&self) -> String {
        let bytes = self.data.replace("=\r\n", "").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The value of the first header `name` (unfolded), if any.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut()
                && (line.starts_with(' ') || line.starts_with('\t'))
            {
                v.push_str(line.trim_start());
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }
}

const UP: u8 = 0;
const DOWN: u8 = 1;
const HANG: u8 = 2;

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    mode: Arc<AtomicU8>,
    received: Arc<std::sync::Mutex<Vec<Received>>>,
    /// Connections turned away while down.
    refused: Arc<AtomicUsize>,
    /// Messages whose data arrived while hanging (never acknowledged).
    hung: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            port: listener.local_addr().unwrap().port(),
            mode: Arc::new(AtomicU8::new(UP)),
            received: Default::default(),
            refused: Default::default(),
            hung: Default::default(),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serving.clone().session(socket));
            }
        });
        sink
    }

    /// `smtp_url` for a site that sends here.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn up(&self) {
        self.mode.store(UP, Ordering::SeqCst);
    }
    pub fn down(&self) {
        self.mode.store(DOWN, Ordering::SeqCst);
    }
    pub fn hang(&self) {
        self.mode.store(HANG, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
    pub fn hung(&self) -> usize {
        self.hung.load(Ordering::SeqCst)
    }

    async fn session(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        let down = |sink: &SmtpSink| sink.mode.load(Ordering::SeqCst) == DOWN;
        if down(&self) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            let _ = write.write_all(b"421 sink.test Service not available\r\n").await;
            return;
        }
        if write.write_all(b"220 sink.test ESMTP test sink\r\n").await.is_err() {
            return;
        }
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if down(&self) {
                self.refused.fetch_add(1, Ordering::SeqCst);
                let _ = write.write_all(b"421 sink.test Service not available\r\n").await;
                return;
            }
            let command = line.trim_end().to_owned();
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                "HELO" | "NOOP" => b"250 OK\r\n",
                "RSET" => {
                    (from, to) = (String::new(), Vec::new());
                    b"250 OK\r\n"
                }
                "MAIL" => {
                    from = address(&command);
                    b"250 OK\r\n"
                }
                "RCPT" => {
                    to.push(address(&command));
                    b"250 OK\r\n"
                }
                "DATA" => {
                    if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                        return;
                    }
                    let mut data = Vec::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end_matches(['\r', '\n']);
                        if l == "." {
                            break;
                        }
                        data.push(l.strip_prefix('.').unwrap_or(l).to_owned());
                    }
                    if self.mode.load(Ordering::SeqCst) == HANG {
                        self.hung.fetch_add(1, Ordering::SeqCst);
                        // Hold the connection open, never answering, until the client goes.
                        let mut rest = String::new();
                        while lines.read_line(&mut rest).await.unwrap_or(0) > 0 {
                            rest.clear();
                        }
                        return;
                    }
                    let message = Received {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        data: data.join("\r\n"),
                    };
                    self.received.lock().unwrap().push(message);
                    b"250 OK queued\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 Bye\r\n").await;
                    return;
                }
                _ => b"502 Command not implemented\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

/// The address in `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}
