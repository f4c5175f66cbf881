//! The LM3S6965's UARTs, PL011 cells in QEMU: registers enough to send and
//! receive bytes by polling the FIFOs, for the console and the serial link.

use core::fmt;
use core::ptr;

/// Data register: a write sends a byte.
const DR: usize = 0x00;
/// Flag register.
const FR: usize = 0x18;
/// Line control register.
const LCRH: usize = 0x2C;
/// Control register.
const CTL: usize = 0x30;

/// `FR`: the UART is still sending.
const FR_BUSY: u32 = 1 << 3;
/// `FR`: the receive FIFO is empty.
const FR_RXFE: u32 = 1 << 4;
/// `FR`: the transmit FIFO is full.
const FR_TXFF: u32 = 1 << 5;
/// `LCRH`: 16-byte FIFOs, 8-bit words.
const LCRH_FEN: u32 = 1 << 4;
const LCRH_WLEN_8: u32 = 0b11 << 5;
/// `CTL`: the UART, its transmitter and its receiver are enabled.
const CTL_UARTEN: u32 = 1 << 0;
const CTL_TXE: u32 = 1 << 8;
const CTL_RXE: u32 = 1 << 9;

/// One of the chip's UARTs, known by the address of its registers.
#[derive(Clone, Copy, Debug)]
pub struct Uart {
    base: usize,
}

/// UART0, the first `-serial` of QEMU: kept free for the MQTT link.
pub const UART0: Uart = Uart { base: 0x4000_C000 };
/// UART1, the second `-serial` of QEMU: the console.
pub const UART1: Uart = Uart { base: 0x4000_D000 };

impl Uart {
    /// Turns the UART on. QEMU needs no baud rate or pin set-up; a real
    /// LM3S6965 would also need its clock gate and GPIO alternate functions.
    pub fn enable(self) {
        self.write_register(LCRH, LCRH_FEN | LCRH_WLEN_8);
        self.write_register(CTL, CTL_UARTEN | CTL_TXE | CTL_RXE);
    }

    /// Sends one byte if the transmit FIFO has room.
    pub fn try_write_byte(self, byte: u8) -> bool {
        let room = self.read_register(FR) & FR_TXFF == 0;
        if room {
            self.write_register(DR, u32::from(byte));
        }
        room
    }

    /// Takes one received byte, if any. The error bits above the byte
    /// (framing, parity, overrun) cannot happen on QEMU's byte stream.
    pub fn try_read_byte(self) -> Option<u8> {
        let received = self.read_register(FR) & FR_RXFE == 0;
        received.then(|| (self.read_register(DR) & 0xFF) as u8)
    }

    /// Whether every byte written has left the UART.
    pub fn is_idle(self) -> bool {
        self.read_register(FR) & FR_BUSY == 0
    }

    /// Sends one byte, waiting while the transmit FIFO is full.
    pub fn write_byte(self, byte: u8) {
        while !self.try_write_byte(byte) {}
    }

    pub fn write_bytes(self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_byte(byte);
        }
    }

    fn read_register(self, offset: usize) -> u32 {
        // SAFETY: `base` is one of the UART blocks named above and `offset`
        // one of its registers: a valid, aligned MMIO address. Reading the
        // data register takes a byte, which only its caller wants.
        unsafe { ptr::read_volatile((self.base + offset) as *const u32) }
    }

    fn write_register(self, offset: usize, value: u32) {
        // SAFETY: as in `read_register`; the registers written here (data,
        // line control, control) only send a byte or set the UART up.
        unsafe { ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}
