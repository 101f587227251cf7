//! Entering and leaving full-screen mode. The terminal is restored when the
//! guard drops, and also by a panic hook, so a panic never leaves the
//! shell in raw mode on the alternate screen.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyboardEnhancementFlags,
    PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

/// Whether the keyboard enhancement flags were pushed (and must be popped).
static ENHANCED: AtomicBool = AtomicBool::new(false);
/// Whether the terminal is in full-screen mode now.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminal in full-screen mode; restores it when dropped.
pub(crate) struct TerminalGuard {
    pub(crate) terminal: Terminal<CrosstermBackend<Stdout>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl TerminalGuard {
    /// Raw mode, alternate screen, bracketed paste, Shift+Enter reporting
    /// where the terminal offers it; terminal events are sent to `events`.
    pub(crate) fn enter(events: mpsc::UnboundedSender<Event>) -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(error) = execute!(stdout, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(error);
        }
        if matches!(
            crossterm::terminal::supports_keyboard_enhancement(),
            Ok(true)
        ) && execute!(
            stdout,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )
        .is_ok()
        {
            ENHANCED.store(true, Ordering::SeqCst);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => terminal,
            Err(error) => {
                restore();
                return Err(error);
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let reader = spawn_reader(events, Arc::clone(&stop));
        Ok(Self {
            terminal,
            stop,
            reader: Some(reader),
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        restore();
    }
}

/// Reads terminal events on a thread of its own (crossterm's reads block),
/// polling so it notices `stop` within a tenth of a second.
fn spawn_reader(events: mpsc::UnboundedSender<Event>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    let (started, ready) = std_mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = started.send(());
        while !stop.load(Ordering::SeqCst) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if events.send(ev).is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reading the terminal");
                        return;
                    }
                },
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "polling the terminal");
                    return;
                }
            }
        }
    });
    let _ = ready.recv();
    handle
}

/// Leaves full-screen mode; does nothing when not in it.
pub(crate) fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    if ENHANCED.swap(false, Ordering::SeqCst) {
        let _ = execute!(stdout, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
