mod api;
mod common;
mod process;
mod sdk;
mod stream;
mod turns;
