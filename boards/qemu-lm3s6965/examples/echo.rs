//! Sends back every byte that arrives on UART0: the serial link the MQTT
//! client will use, shown on its own. In QEMU, connect UART0 to a socket,
//! for example `-serial tcp:127.0.0.1:PORT` instead of the runner's
//! `-serial null`, and what the socket sends comes back until QEMU is
//! stopped.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use embedded_io_async::{Read, Write};
use psos::Device;
use psos_board_qemu_lm3s6965::{uart0, Serial, Spawner};

static DEVICE: Device = Device::new("echo", "none");

#[embassy_executor::task]
async fn echo(mut serial: Serial) {
    let mut buffer = [0; 64];
    loop {
        let Ok(count) = serial.read(&mut buffer).await;
        let received = buffer.get(..count).unwrap_or_default();
        let Ok(()) = serial.write_all(received).await;
    }
}

fn start_echo(spawner: Spawner) {
    if let Some(token) = uart0().and_then(|serial| echo(serial).ok()) {
        spawner.spawn(token);
    }
}

#[psos_board_qemu_lm3s6965::entry]
fn main() -> ! {
    psos_board_qemu_lm3s6965::serve_with(&DEVICE, &[], start_echo)
}
