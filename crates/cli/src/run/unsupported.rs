//! Documented flags ferrule does not implement: they parse, so that the
//! run can fail with a message naming them instead of ignoring them.

use clap::Args;

/// Flags the reference documents that ferrule does not implement yet.
/// They parse, so that the error can name them, and then fail the run.
#[derive(Debug, Args, Default)]
pub(crate) struct Unsupported {
    #[arg(long, hide = true, num_args = 0..=1)]
    teleport: Option<Option<String>>,
    #[arg(long, hide = true, num_args = 0..=1)]
    remote_control: Option<Option<String>>,
    #[arg(long, hide = true, num_args = 0..=1)]
    output_style: Option<Option<String>>,
    #[arg(long, hide = true)]
    acp: bool,
    #[arg(long, hide = true, num_args = 0..=1)]
    proxy: Option<Option<String>>,
    #[arg(long, hide = true, num_args = 0..=1)]
    extensions: Option<Option<String>>,
}

impl Unsupported {
    /// The first documented flag given that ferrule does not implement.
    pub(crate) fn first(&self) -> Option<&'static str> {
        [
            (self.teleport.is_some(), "--teleport"),
            (self.remote_control.is_some(), "--remote-control"),
            (self.output_style.is_some(), "--output-style"),
            (self.acp, "--acp"),
            (self.proxy.is_some(), "--proxy"),
            (self.extensions.is_some(), "--extensions"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}
