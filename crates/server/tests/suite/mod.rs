mod api;
mod common;
mod memory;
mod postgres;
mod process;
mod sdk;
mod stream;
mod turns;
