//! The host console: where each PL011's output goes (`--uart N=...`), and
//! how the UARTs that share standard output are told apart.
//!
//! On FVP each UART has its own terminal window; here the UARTs routed to
//! `stdio` share the host's standard output. While only one of them has
//! spoken its bytes pass through unchanged. Once a second one speaks, every
//! line (from then on) starts with the tag of the UART that printed it,
//! `[uart1] `, so BL1/BL2 on UART0, BL31 on UART1 and the TRP/RMM on UART3
//! can be told apart. A line another UART interrupts is ended first, so
//! two UARTs never share one output line.
//!
//! Bytes go out as they arrive (a prompt without a newline is visible at
//! once); the writer is flushed at each newline and by [`Console::flush`].

use parking_lot::Mutex;
use rme_devices::{FileSink, NullSink, UartSink};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Number of PL011s on FVP Base RevC.
pub const UART_COUNT: usize = 4;

/// Where one UART's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UartTarget {
    /// The host's standard output, shared with the other `stdio` UARTs.
    Stdio,
    /// A file, created (or truncated) at start.
    File(PathBuf),
    /// Discarded.
    Null,
}

/// One `--uart N=TARGET` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UartRoute {
    pub index: usize,
    pub target: UartTarget,
}

/// Parses `N=stdio`, `N=file:PATH` or `N=null` (N in 0..=3).
pub fn parse_uart_route(s: &str) -> Result<UartRoute, String> {
    let (n, target) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected N=stdio, N=file:PATH or N=null (N = 0..3)"))?;
    let index: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: `{n}` is not a UART number (0..3)"))?;
    if index >= UART_COUNT {
        return Err(format!(
            "`{s}`: there is no UART{index} (FVP Base RevC has UART0..UART3)"
        ));
    }
    let target = match target {
        "stdio" | "stdout" | "-" => UartTarget::Stdio,
        "null" => UartTarget::Null,
        t => match t.strip_prefix("file:") {
            Some("") => return Err(format!("`{s}`: file: needs a path")),
            Some(p) => UartTarget::File(PathBuf::from(p)),
            None => {
                return Err(format!(
                    "`{s}`: unknown target `{t}` (use stdio, file:PATH or null)"
                ));
            }
        },
    };
    Ok(UartRoute { index, target })
}

/// Every UART's target after applying `routes` (later ones win) to the
/// default, all on `stdio`.
pub fn uart_targets(routes: &[UartRoute]) -> [UartTarget; UART_COUNT] {
    let mut t = [
        UartTarget::Stdio,
        UartTarget::Stdio,
        UartTarget::Stdio,
        UartTarget::Stdio,
    ];
    for r in routes {
        t[r.index] = r.target.clone();
    }
    t
}

struct ConsoleState {
    out: Box<dyn Write + Send>,
    /// Bit i: UART i has written at least one byte.
    spoken: u8,
    /// The UART whose line is open (its last byte was not a newline).
    open_line: Option<usize>,
}

impl ConsoleState {
    fn write_byte(&mut self, uart: usize, b: u8) {
        self.spoken |= 1 << uart;
        let tagging = self.spoken.count_ones() > 1;
        if self.open_line != Some(uart) {
            if self.open_line.is_some() {
                // Another UART's line is unfinished: end it here.
                let _ = self.out.write_all(b"\n");
            }
            if tagging {
                let _ = write!(self.out, "[uart{uart}] ");
            }
        }
        let _ = self.out.write_all(&[b]);
        if b == b'\n' {
            self.open_line = None;
            let _ = self.out.flush();
        } else {
            self.open_line = Some(uart);
        }
    }
}

/// The shared standard-output console of the `stdio` UARTs. Cloning shares it.
#[derive(Clone)]
pub struct Console {
    state: Arc<Mutex<ConsoleState>>,
}

impl Console {
    /// A console writing to the host's standard output.
    pub fn stdout() -> Console {
        Console::new(Box::new(std::io::stdout()))
    }

    /// A console writing to `out` (tests pass a buffer).
    pub fn new(out: Box<dyn Write + Send>) -> Console {
        Console {
            state: Arc::new(Mutex::new(ConsoleState {
                out,
                spoken: 0,
                open_line: None,
            })),
        }
    }

    /// The sink for UART `uart` on this console.
    pub fn sink(&self, uart: usize) -> Box<dyn UartSink> {
        Box::new(ConsoleSink {
            console: self.clone(),
            uart,
        })
    }

    /// Pushes out buffered bytes.
    pub fn flush(&self) {
        let _ = self.state.lock().out.flush();
    }
}

/// One UART's way into a [`Console`].
struct ConsoleSink {
    console: Console,
    uart: usize,
}

impl UartSink for ConsoleSink {
    fn write_byte(&mut self, b: u8) {
        self.console.state.lock().write_byte(self.uart, b);
    }

    fn flush(&mut self) {
        self.console.flush();
    }
}

/// Bytes typed at the host's terminal, on their way to UART0's receiver.
/// Clones share the queue.
#[derive(Clone, Default)]
pub struct ConsoleInput {
    state: Arc<(Mutex<InputState>, parking_lot::Condvar)>,
}

#[derive(Default)]
struct InputState {
    bytes: std::collections::VecDeque<u8>,
    /// The source reached its end (or failed): no more input will come.
    closed: bool,
}

impl ConsoleInput {
    /// Reads the host's standard input on a thread, when it is a terminal
    /// (interactive use). Piped or redirected input is not read: a run's
    /// output must not depend on when bytes happen to arrive.
    pub fn from_stdin_terminal() -> Option<ConsoleInput> {
        use std::io::{IsTerminal, Read};
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let input = ConsoleInput::default();
        let feed = input.clone();
        let spawned = std::thread::Builder::new().name("console-input".into()).spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => feed.push(&buf[..n]),
                }
            }
            feed.close();
        });
        spawned.ok().map(|_| input)
    }

    /// Adds bytes (tests, other sources).
    pub fn push(&self, bytes: &[u8]) {
        let (m, cv) = &*self.state;
        m.lock().bytes.extend(bytes);
        cv.notify_all();
    }

    /// Marks the end of the input.
    pub fn close(&self) {
        let (m, cv) = &*self.state;
        m.lock().closed = true;
        cv.notify_all();
    }

    /// Takes up to `max` bytes.
    pub fn take(&self, max: usize) -> Vec<u8> {
        let mut s = self.state.0.lock();
        let n = max.min(s.bytes.len());
        s.bytes.drain(..n).collect()
    }

    /// Blocks until input is waiting (true), or the input is closed or
    /// `stop` is set (false). Wakes every 50 ms to look at `stop` (Ctrl-C).
    pub fn wait_for_input(&self, stop: &std::sync::atomic::AtomicBool) -> bool {
        let (m, cv) = &*self.state;
        let mut s = m.lock();
        loop {
            if !s.bytes.is_empty() {
                return true;
            }
            if s.closed || stop.load(std::sync::atomic::Ordering::Relaxed) {
                return false;
            }
            cv.wait_for(&mut s, std::time::Duration::from_millis(50));
        }
    }
}

/// Why a UART's target could not be opened (bad input: exit 2).
#[derive(Debug, thiserror::Error)]
#[error("--uart {index}=file:{}: cannot create the file: {err}", path.display())]
pub struct UartTargetError {
    pub index: usize,
    pub path: PathBuf,
    pub err: std::io::Error,
}

/// The sinks of UART0-3 for `targets`, the `stdio` ones sharing `console`.
pub fn open_sinks(
    targets: &[UartTarget; UART_COUNT],
    console: &Console,
) -> Result<crate::UartSinks, UartTargetError> {
    let mut sinks: Vec<Box<dyn UartSink>> = Vec::with_capacity(UART_COUNT);
    for (index, t) in targets.iter().enumerate() {
        sinks.push(match t {
            UartTarget::Stdio => console.sink(index),
            UartTarget::Null => Box::new(NullSink),
            UartTarget::File(path) => {
                Box::new(FileSink::create(path).map_err(|err| UartTargetError {
                    index,
                    path: path.clone(),
                    err,
                })?)
            }
        });
    }
    let mut it = sinks.into_iter();
    Ok(crate::UartSinks::each(|_| {
        it.next().unwrap_or_else(|| Box::new(NullSink))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` whose bytes a test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn put(sink: &mut Box<dyn UartSink>, s: &str) {
        for b in s.bytes() {
            sink.write_byte(b);
        }
    }

    #[test]
    fn one_speaker_is_untagged_then_every_line_is_tagged() {
        let buf = Shared::default();
        let c = Console::new(Box::new(buf.clone()));
        let (mut u0, mut u1, mut u3) = (c.sink(0), c.sink(1), c.sink(3));
        put(&mut u0, "NOTICE:  Booting Trusted Firmware\r\n");
        put(&mut u0, "NOTICE:  BL1: Booting BL2\r\n");
        put(&mut u1, "NOTICE:  BL31: v2.12\r\n");
        put(&mut u0, "back on 0\n");
        put(&mut u3, "TRP: hello\n");
        let text = String::from_utf8(buf.0.lock().clone()).unwrap();
        assert_eq!(
            text,
            "NOTICE:  Booting Trusted Firmware\r\nNOTICE:  BL1: Booting BL2\r\n\
             [uart1] NOTICE:  BL31: v2.12\r\n[uart0] back on 0\n[uart3] TRP: hello\n"
        );
    }

    #[test]
    fn an_interrupted_line_is_ended_first() {
        let buf = Shared::default();
        let c = Console::new(Box::new(buf.clone()));
        let (mut u0, mut u2) = (c.sink(0), c.sink(2));
        put(&mut u0, "a\n");
        put(&mut u0, "prompt# ");
        put(&mut u2, "x\n");
        put(&mut u0, "ls\n");
        let text = String::from_utf8(buf.0.lock().clone()).unwrap();
        assert_eq!(text, "a\nprompt# \n[uart2] x\n[uart0] ls\n");
    }

    #[test]
    fn routes_parse() {
        assert_eq!(
            parse_uart_route("1=stdio"),
            Ok(UartRoute {
                index: 1,
                target: UartTarget::Stdio
            })
        );
        assert_eq!(
            parse_uart_route("3=null"),
            Ok(UartRoute {
                index: 3,
                target: UartTarget::Null
            })
        );
        assert_eq!(
            parse_uart_route("0=file:/tmp/u0.log"),
            Ok(UartRoute {
                index: 0,
                target: UartTarget::File("/tmp/u0.log".into())
            })
        );
        for bad in ["4=stdio", "x=stdio", "1", "1=tty", "1=file:", ""] {
            assert!(parse_uart_route(bad).is_err(), "{bad}");
        }
        let t = uart_targets(&[
            UartRoute {
                index: 1,
                target: UartTarget::Null,
            },
            UartRoute {
                index: 1,
                target: UartTarget::File("f".into()),
            },
        ]);
        assert_eq!(t[0], UartTarget::Stdio);
        assert_eq!(t[1], UartTarget::File("f".into()));
    }

    #[test]
    fn file_and_null_targets() {
        let dir = std::env::temp_dir().join(format!("rme-emu-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("uart1.log");
        let buf = Shared::default();
        let c = Console::new(Box::new(buf.clone()));
        let targets = [
            UartTarget::Stdio,
            UartTarget::File(path.clone()),
            UartTarget::Null,
            UartTarget::Stdio,
        ];
        let crate::UartSinks([mut s0, mut s1, mut s2, mut s3]) = open_sinks(&targets, &c).unwrap();
        put(&mut s0, "zero\n");
        put(&mut s1, "one\n");
        put(&mut s2, "two\n");
        put(&mut s3, "three\n");
        s1.flush();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
        assert_eq!(
            String::from_utf8(buf.0.lock().clone()).unwrap(),
            "zero\n[uart3] three\n"
        );
        let bad = [
            UartTarget::File(dir.join("no/such/dir/f")),
            UartTarget::Null,
            UartTarget::Null,
            UartTarget::Null,
        ];
        let e = open_sinks(&bad, &c).err().unwrap().to_string();
        assert!(
            e.starts_with("--uart 0=file:") && e.contains("cannot create the file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
