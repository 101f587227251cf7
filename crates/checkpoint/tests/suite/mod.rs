mod bash;
mod rewind;
mod support;
