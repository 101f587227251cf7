mod api;
mod common;
mod postgres;
mod process;
mod sdk;
mod stream;
mod turns;
