//! A small SMTP server for tests: it listens on loopback, speaks enough
//! SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT) for a real client to deliver to it over TCP, and keeps each
//! message it accepts. It can be told to refuse for now (451), refuse for
//! good (550) or to stop answering, so that the worker's retries are
//! tested against a real conversation, not a mock transport.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as the sink received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent (CRLF line ends, dots unstuffed).
    pub data: String,
}

impl Received {
    /// A header's value (the first with that name, any case), as sent:
    /// its first line only when folded ([`Self::unfolded`] for all).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.data.split("\r\n\r\n").next()?.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// A header's whole value, its folded lines joined (RFC 5322 2.2.3).
    pub fn unfolded(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut lines = head.split("\r\n").skip_while(|l| {
            l.split_once(':')
                .is_none_or(|(n, _)| !n.eq_ignore_ascii_case(name))
        });
        let (_, first) = lines.next()?.split_once(':')?;
        let mut value = first.trim().to_owned();
        for more in lines.take_while(|l| l.starts_with([' ', '\t'])) {
            value.push(' ');
            value.push_str(more.trim());
        }
        Some(value)
    }
}

impl Received {
    /// The body as text: after the headers, quoted-printable decoded when
    /// the message says it is (soft line breaks joined, `=XX` bytes
    /// restored), lines ending in `\n`.
    pub fn text(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let quoted = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("quoted-printable"));
        if !quoted {
            return body.replace("\r\n", "\n");
        }
        let joined = body.replace("=\r\n", "");
        let mut bytes = Vec::with_capacity(joined.len());
        let raw = joined.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if raw[i] == b'='
                && let (Some(Some(h)), Some(Some(l))) = (
                    raw.get(i + 1).map(|b| hex(*b)),
                    raw.get(i + 2).map(|b| hex(*b)),
                )
            {
                bytes.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
            bytes.push(raw[i]);
            i += 1;
        }
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

/// How the sink answers a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 451 to every RCPT: try again later.
    RefuseForNow,
    /// 550 to every RCPT: no such mailbox.
    RefuseForGood,
    /// Accepts connections and closes them at once.
    Vanish,
}

/// A running sink.
#[derive(Clone)]
pub struct Sink {
    pub addr: std::net::SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<Mode>>,
}

impl Sink {
    /// Starts a sink on a free loopback port.
    pub async fn start() -> std::io::Result<Sink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let sink = Sink {
            addr: listener.local_addr()?,
            received: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Accept)),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = serving.clone();
                tokio::spawn(async move {
                    let _ = s.converse(stream).await;
                });
            }
        });
        Ok(sink)
    }

    /// The URL a client sends to.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        if let Ok(mut m) = self.mode.lock() {
            *m = mode;
        }
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn mode(&self) -> Mode {
        self.mode.lock().map(|m| *m).unwrap_or(Mode::Accept)
    }

    async fn converse(&self, stream: TcpStream) -> std::io::Result<()> {
        if self.mode() == Mode::Vanish {
            return Ok(());
        }
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 irmer-sink ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split([' ', ':'])
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-irmer-sink\r\n250 8BITMIME\r\n",
                "HELO" | "NOOP" => b"250 OK\r\n",
                "RSET" => {
                    (from, to) = (String::new(), Vec::new());
                    b"250 OK\r\n"
                }
                "MAIL" => {
                    from = address(&command);
                    b"250 OK\r\n"
                }
                "RCPT" => match self.mode() {
                    Mode::RefuseForNow => b"451 4.3.0 try again later\r\n",
                    Mode::RefuseForGood => b"550 5.1.1 no such mailbox\r\n",
                    _ => {
                        to.push(address(&command));
                        b"250 OK\r\n"
                    }
                },
                "DATA" if to.is_empty() => b"503 5.5.1 no recipients\r\n",
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    if let Ok(mut r) = self.received.lock() {
                        r.push(Received {
                            from: std::mem::take(&mut from),
                            to: std::mem::take(&mut to),
                            data,
                        });
                    }
                    b"250 OK queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 5.5.2 command not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}
