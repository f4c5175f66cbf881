//! UART0 as an async byte stream (`embedded-io-async` `Read` + `Write`),
//! for the MQTT link: QEMU bridges UART0 to a TCP socket of the broker.
//!
//! The stream polls the UART's 16-byte FIFOs and sleeps one tick when it
//! can make no progress. That costs at most a millisecond of latency per
//! burst and caps reception at 16 bytes a millisecond; QEMU holds back what
//! does not fit in the FIFO, so no byte is lost. An interrupt-driven stream
//! would remove both limits.

use core::convert::Infallible;
use core::sync::atomic::{AtomicBool, Ordering};

use embassy_time::Timer;
use embedded_io_async::{ErrorType, Read, Write};

use crate::uart::{Uart, UART0};

/// The byte stream on UART0, QEMU's first `-serial`.
pub struct Serial {
    uart: Uart,
}

static UART0_TAKEN: AtomicBool = AtomicBool::new(false);

/// Hands out UART0 as a byte stream, once: two owners would interleave
/// their bytes.
pub fn uart0() -> Option<Serial> {
    if UART0_TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    UART0.enable();
    Some(Serial { uart: UART0 })
}

impl ErrorType for Serial {
    type Error = Infallible;
}

impl Read for Serial {
    /// Waits for at least one byte, then takes what the FIFO holds.
    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Infallible> {
        if buffer.is_empty() {
            return Ok(0);
        }
        loop {
            let mut count = 0;
            for slot in buffer.iter_mut() {
                match self.uart.try_read_byte() {
                    Some(byte) => {
                        *slot = byte;
                        count += 1;
                    }
                    None => break,
                }
            }
            if count > 0 {
                return Ok(count);
            }
            Timer::after_ticks(1).await;
        }
    }
}

impl Write for Serial {
    /// Waits for room for at least one byte, then fills the FIFO.
    async fn write(&mut self, bytes: &[u8]) -> Result<usize, Infallible> {
        if bytes.is_empty() {
            return Ok(0);
        }
        loop {
            let count = bytes
                .iter()
                .take_while(|&&byte| self.uart.try_write_byte(byte))
                .count();
            if count > 0 {
                return Ok(count);
            }
            Timer::after_ticks(1).await;
        }
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        while !self.uart.is_idle() {
            Timer::after_ticks(1).await;
        }
        Ok(())
    }
}

/// UART0 as the MQTT client's transport: the one stream it has, lent to
/// each session in turn, since a UART cannot be dialled again. QEMU dials
/// the broker again itself (its chardev's `reconnect`), and the client's
/// keepalive notices when the broker went away.
pub struct Uart0 {
    serial: Option<Serial>,
}

impl Uart0 {
    pub fn new() -> Self {
        Self { serial: uart0() }
    }
}

impl Default for Uart0 {
    fn default() -> Self {
        Self::new()
    }
}

/// How long UART0 must stay silent before a new session starts on it.
/// QEMU refills the FIFO as soon as there is room, so a pause this long
/// means the bytes of the last session are all gone.
const QUIET: embassy_time::Duration = embassy_time::Duration::from_millis(20);

impl psos::mqtt::Transport for Uart0 {
    type Io = Serial;

    /// UART0 again, emptied of what the last session left unread: the
    /// rest of a packet from a broker that went away, or a CONNACK that
    /// came after the handshake gave up. The broker sends nothing before
    /// the CONNECT, so the next byte read belongs to the new session.
    async fn connect(&mut self) -> Option<Serial> {
        let mut serial = self.serial.take()?;
        let mut scrap = [0u8; 16];
        // A read returns at least one byte, or waits: the loop ends at the
        // first quiet pause.
        while embassy_time::with_timeout(QUIET, serial.read(&mut scrap))
            .await
            .is_ok()
        {}
        Some(serial)
    }

    fn release(&mut self, io: Serial) {
        self.serial = Some(io);
    }
}
