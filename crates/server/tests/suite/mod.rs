mod api;
mod common;
mod process;
mod stream;
mod turns;
